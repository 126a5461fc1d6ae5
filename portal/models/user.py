"""Platform users: admins, teachers and learners."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, CheckConstraint, Index, String, func, text
from sqlalchemy.orm import Mapped, mapped_column, validates

from . import user_search
from .base import Base, UTCDateTime, utcnow


class PlatformRole(StrEnum):
    ADMIN = "admin"
    TEACHER = "teacher"
    LEARNER = "learner"


class User(Base):
    __tablename__ = "user"
    __table_args__ = (
        CheckConstraint("role IN ('admin', 'teacher', 'learner')", name="role"),
        # Learner lists of a session sorted by name (grading, tracking): read in this
        # order, the first page of a 2,000-learner session stops after 25 matches.
        Index("ix_user_lower_name", func.lower(text("last_name")), func.lower(text("first_name")),
              "username", "id"),
        # The admin's user list, in its order: a deep page reads its ids from this index
        # alone (pagination.paginate's key), then only its own rows.
        Index("ix_user_name_order", "last_name", "first_name", "username", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored lower-cased: uniqueness is case-insensitive on every database.
    username: Mapped[str] = mapped_column(String(80), unique=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    first_name: Mapped[str] = mapped_column(String(100), default="")
    last_name: Mapped[str] = mapped_column(String(100), default="")
    password_hash: Mapped[str] = mapped_column(String(255), default="")
    role: Mapped[str] = mapped_column(String(16), default=PlatformRole.LEARNER.value)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # IANA zone name; None means the portal's configured zone.
    timezone: Mapped[str | None] = mapped_column(String(64))
    # The language pages and e-mails are in for this user (portal.domain.language.LANGUAGES);
    # None: the browser's, else the portal's.
    language: Mapped[str | None] = mapped_column(String(8))
    # Secret for the personal calendar feed URL; reset by the user.
    calendar_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @staticmethod
    def normalise_username(value: str) -> str:
        return value.strip().lower()

    @staticmethod
    def normalise_email(value: str) -> str:
        return value.strip().lower()

    @validates("username", "email")
    def _normalise(self, key: str, value: str) -> str:
        # Lower-cased on the way in, so uniqueness and lookups ignore case everywhere.
        return value.strip().lower()

    # What Flask-Login asks of a user object (its UserMixin, written out so the
    # models stay free of Flask).
    is_authenticated = True
    is_anonymous = False

    def get_id(self) -> str:
        return str(self.id)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    @property
    def is_admin(self) -> bool:
        return self.role == PlatformRole.ADMIN

    @property
    def full_name(self) -> str:
        name = f"{self.first_name} {self.last_name}".strip()
        return name or self.username

    def __repr__(self) -> str:
        return f"<User {self.username}>"


user_search.install(User.__table__)
