"""API tokens: a user's bearer credentials for the JSON API."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casemgr.database import Base, utcnow

if TYPE_CHECKING:
    from casemgr.auth.models import User


class ApiToken(Base):
    """One bearer token of a user. Only the SHA-256 of the token is stored: it is shown
    once, when it is made, and cannot be read back from the database. A token acts as its
    user, with the user's role and scope; deactivating the user stops it too."""

    __tablename__ = "api_tokens"
    audit_type = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100), default="")
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    # The first characters of the token, so a user can tell their tokens apart.
    prefix: Mapped[str] = mapped_column(sa.String(8))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()

    def usable(self, now: datetime) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)

    def __repr__(self) -> str:
        return f"<ApiToken {self.id} user={self.user_id} {self.prefix}…>"
