"""CSV files waiting between their preview and their application.

The bytes live in the database, not in the process or on local disk, because the
portal runs on several servers: the apply request may reach another one.
"""

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, utcnow


class ImportUpload(Base):
    __tablename__ = "import_upload"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Random handle carried by the preview page; only its uploader may use it.
    token: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    # Set when uploaded on a session's page: every row then belongs to that session.
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("training_session.id", ondelete="CASCADE"), index=True
    )
    file_name: Mapped[str] = mapped_column(String(255), default="")
    content: Mapped[bytes] = mapped_column(LargeBinary)
    # Uploads older than a day are purged: the index serves that delete.
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
