"""The portal's data model, one module per concept."""

from . import to_grade_count
from .access_event import AccessEvent
from .api_token import ApiToken
from .base import Base, UTCDateTime
from .category import SessionCategory
from .course import Assignment, Course
from .enrolment import Enrolment, EnrolmentSource, SessionClass
from .import_upload import ImportUpload
from .job import Job, JobStatus
from .journal import JournalEntry
from .login_session import LoginSession
from .notification_opt_out import NotificationOptOut
from .outbox import MessageStatus, OutboxMessage
from .session_course import AssignmentDue, SessionCourse, SessionCourseCoach
from .submission import Grade, Submission
from .training_session import AfterEndPolicy, TrainingSession
from .user import PlatformRole, User
from .user_class import ClassMembership, UserClass

# Once every table is declared: the triggers read several of them.
to_grade_count.install(Base.metadata)

__all__ = [
    "AccessEvent",
    "ApiToken",
    "AfterEndPolicy",
    "Assignment",
    "AssignmentDue",
    "Base",
    "ClassMembership",
    "Course",
    "Enrolment",
    "EnrolmentSource",
    "Grade",
    "ImportUpload",
    "Job",
    "JobStatus",
    "JournalEntry",
    "LoginSession",
    "MessageStatus",
    "NotificationOptOut",
    "OutboxMessage",
    "PlatformRole",
    "SessionCategory",
    "SessionClass",
    "SessionCourse",
    "SessionCourseCoach",
    "Submission",
    "TrainingSession",
    "User",
    "UserClass",
    "UTCDateTime",
]
