"""API tokens: how an integration (an HR or student-records system) calls the JSON API."""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, UTCDateTime, utcnow
from .user import User


class ApiToken(Base):
    """A bearer token an admin created for an integration (portal/domain/api_tokens.py).

    Only the SHA-256 of the secret is kept (``secret_hash``, unique: a request is matched
    by one index lookup); the secret itself is shown once, when the token is created.
    ``hint`` is the start of the secret, to tell tokens apart in the list. The token acts
    as its ``owner``, who must still be an active administrator for it to work.
    """

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    # Owner -> their tokens (the list, and tokens to end when an owner leaves).
    owner_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    scopes: Mapped[list] = mapped_column(JSON, default=list)
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hint: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    owner: Mapped[User] = relationship()
