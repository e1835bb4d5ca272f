"""Domain exceptions: expected failures that views and the CLI turn into messages."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A rule of the domain refused the request; the message is safe to show."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ValidationFailed(DomainError):
    """Input broke a rule; `errors` maps a field name to its messages."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in errors.items()))

    @property
    def messages(self) -> list[str]:
        return [message for messages in self.errors.values() for message in messages]

    @classmethod
    def single(cls, field: str, message: str) -> ValidationFailed:
        return cls({field: [message]})


class StaleRecord(DomainError):
    """Someone saved the record after the caller loaded it; nothing was overwritten.

    `changes` lists what happened meanwhile, one dict per change
    (field, old, new, by, at), taken from the audit trail.
    """

    def __init__(self, current: Any, changes: list[dict[str, Any]]) -> None:
        self.current = current
        self.changes = changes
        super().__init__("This record was changed by someone else after you opened it.")


class PermissionDenied(DomainError):
    """The actor's role does not allow this step (a 403, recorded in the audit trail)."""


class InvalidTransition(DomainError):
    """A case cannot move this way; the message names the rule (a 409 on the API)."""


class ImportRejected(DomainError):
    """An import file broke the record format; `problems` lists each (row, column,
    message), and nothing was written."""

    def __init__(self, problems: list[Any]) -> None:
        self.problems = problems
        super().__init__(f"{len(problems)} problems in the file; nothing was imported.")


class LoginFailed(DomainError):
    """Any failed login. One message for every cause, so it reveals nothing."""

    def __init__(self) -> None:
        super().__init__("Login failed: wrong username or password, or the account is locked.")
