"""The case state machine: which status may follow which, and what each step records.

This is the only place that knows the transitions of DOMAIN.md. Everything that changes a
case's status (pages, API, import, demo) goes through `services.transition_case`, which
asks this module whether the step is allowed.
"""

from __future__ import annotations

from dataclasses import dataclass

from casemgr.cases.models import CaseStatus as S


@dataclass(frozen=True)
class Step:
    """One allowed transition. `outcomes` are what the statistics count (the first is the
    default); `decision` marks steps only supervisors and admins may record."""

    outcomes: tuple[str, ...] = ()
    decision: bool = False


TRANSITIONS: dict[S, dict[S, Step]] = {
    S.REFERRAL_PENDING: {
        S.FIRST_INSTANCE: Step(("referred", "lapsed")),
        S.NOT_REFERRED: Step(("not_referred",)),
        S.WITHDRAWN: Step(),
    },
    S.NOT_REFERRED: {
        S.REFERRAL_LITIGATION: Step(),
        S.CLOSED: Step(),
    },
    S.REFERRAL_LITIGATION: {
        S.FIRST_INSTANCE: Step(("annulled",)),
        S.CLOSED: Step(("dismissed",)),
    },
    S.FIRST_INSTANCE: {
        S.RECOGNIZED: Step(("recognized",), decision=True),
        S.HUMANITARIAN: Step(("humanitarian",), decision=True),
        S.REJECTED: Step(("rejected",), decision=True),
        S.WITHDRAWN: Step(("withdrawn",)),
        S.TERMINATED: Step(("terminated",)),
    },
    S.REJECTED: {S.OBJECTION: Step(), S.LITIGATION: Step(), S.CLOSED: Step()},
    S.HUMANITARIAN: {S.OBJECTION: Step(), S.LITIGATION: Step(), S.CLOSED: Step()},
    S.OBJECTION: {
        S.RECOGNIZED: Step(("accepted",), decision=True),
        S.HUMANITARIAN: Step(("dismissed_humanitarian",), decision=True),
        S.REJECTED: Step(("dismissed",), decision=True),
        S.CLOSED: Step(("inadmissible",), decision=True),
        S.WITHDRAWN: Step(("withdrawn",)),
    },
    S.LITIGATION: {
        S.RECOGNIZED: Step(("granted",), decision=True),
        S.FIRST_INSTANCE: Step(("remitted",)),
        S.CLOSED: Step(("dismissed",)),
    },
    S.RECOGNIZED: {S.CLOSED: Step(("cancelled",), decision=True)},
}

# Stages in which an application is still being decided: a person may have only one.
PENDING = frozenset({S.REFERRAL_PENDING, S.NOT_REFERRED, S.REFERRAL_LITIGATION,
                     S.FIRST_INSTANCE, S.OBJECTION, S.LITIGATION})
# Steps that decide something on the merits: their notice date starts the next clocks.
NOTICE_STEPS = frozenset({S.RECOGNIZED, S.HUMANITARIAN, S.REJECTED, S.NOT_REFERRED})
# Statuses whose decision deadline may be extended once.
EXTENDABLE = frozenset({S.FIRST_INSTANCE, S.OBJECTION})


def allowed_targets(status: S) -> dict[S, Step]:
    return TRANSITIONS.get(status, {})


def step_for(current: S, target: S) -> Step | None:
    return TRANSITIONS.get(current, {}).get(target)


def initial_status(lodged_at: str) -> S:
    """A port-of-entry application waits for the referral decision; others go straight in."""
    return S.REFERRAL_PENDING if lodged_at == "port_of_entry" else S.FIRST_INSTANCE
