"""Logins: one row per login, so that each can be listed and ended on the server."""

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, BigId, UTCDateTime

USER_AGENT_MAX = 300
ADDRESS_MAX = 64


class LoginSession(Base):
    """One login of a user. The browser's session cookie carries a random token; only its
    SHA-256 is stored, so a copy of this table lets no one in. A login counts while it is
    not ended, not idle too long and not too old (``portal.domain.logins``)."""

    __tablename__ = "login_session"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # Deleting a user deletes their logins with them.
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    user_agent: Mapped[str] = mapped_column(String(USER_AGENT_MAX), default="")
    address: Mapped[str | None] = mapped_column(String(ADDRESS_MAX))

    def __repr__(self) -> str:
        return f"<LoginSession {self.id} of user {self.user_id}>"
