"""A session's courses and course coaches through the API: the list in the session's order,
add and remove a course (its hand-ins hidden, not lost, as on the session page), add and
remove a course coach; on the domain functions the session page calls."""

from __future__ import annotations

from pydantic import BaseModel, Field
from spectree import Response

from .. import clock
from ..domain import sessions
from ..domain.keyset import Key
from ..extensions import db
from ..models import Course, SessionCourse
from . import bp
from .core import ERRORS, actor, endpoint, field_errors, not_found, token_required
from .sessions import session_or_404
from .users import ListQuery, active_user, found, keyset_page

TAGS = ["Session courses"]
KEYS = [Key(SessionCourse.position, "int"), Key(SessionCourse.id, "int")]


class CourseRef(BaseModel):
    id: int
    code: str
    title: str


class Coach(BaseModel):
    id: int
    username: str
    name: str


class SessionCourseOut(BaseModel):
    course: CourseRef
    position: int = Field(description="From 0, in the session's order")
    coaches: list[Coach] = Field(description="The course coaches, by name")


class SessionCoursePage(BaseModel):
    items: list[SessionCourseOut]
    next: str | None = Field(description="The next page's URL; null on the last page.")


class CourseRemoved(BaseModel):
    course: CourseRef
    hidden_hand_ins: int = Field(description="Hand-ins of this session to the course's "
                                             "assignments: kept, and shown again if the "
                                             "course is added back")
    coaches_removed: list[str] = Field(description="The course coaches who went with it")


def _course_ref(course: Course) -> CourseRef:
    return CourseRef(id=course.id, code=course.code, title=course.title)


def session_course_out(link: SessionCourse) -> SessionCourseOut:
    coaches = sorted((c.user for c in link.coaches), key=lambda u: (u.full_name, u.id))
    return SessionCourseOut(course=_course_ref(link.course), position=link.position,
                            coaches=[Coach(id=u.id, username=u.username, name=u.full_name)
                                     for u in coaches])


def _answer(session_id: int, course_id: int, status: int):
    """The course as the session now has it (one query: the session with its courses)."""
    session = sessions.load_session(db.session, session_id)
    link = next(sc for sc in session.courses if sc.course_id == course_id)
    return session_course_out(link), status


def _course_in(session, course_id: int) -> Course:
    """The course, when the session has it; else a 404."""
    course = found(Course, course_id, "course")
    if not any(sc.course_id == course.id for sc in session.courses):
        raise not_found("course in this session")
    return course



@bp.get("/sessions/<int:session_id>/courses")
@token_required("sessions:read")
@endpoint(query=ListQuery, resp=Response(HTTP_200=SessionCoursePage, **ERRORS), tags=TAGS)
def session_course_list(session_id: int, query: ListQuery):
    """List a session's courses

    In the session's order, each with its course coaches.
    """
    session = session_or_404(session_id)
    return SessionCoursePage(**keyset_page(
        "api.session_course_list", query, KEYS, sessions.session_courses_of(session.id),
        lambda row: session_course_out(row[0]), session_id=session.id))


@bp.put("/sessions/<int:session_id>/courses/<int:course_id>")
@token_required("sessions:write")
@endpoint(resp=Response(HTTP_200=SessionCourseOut, HTTP_201=SessionCourseOut, **ERRORS),
          tags=TAGS)
def session_course_put(session_id: int, course_id: int):
    """Add a course to a session

    Last in the session's order: 201. A course the session already has is left as it is:
    200.
    """
    session = session_or_404(session_id)
    course = found(Course, course_id, "course")
    added = sessions.add_course(db.session, session, course, by=actor(), now=clock.now())
    db.session.commit()
    return _answer(session.id, course.id, 200 if added is None else 201)


@bp.delete("/sessions/<int:session_id>/courses/<int:course_id>")
@token_required("sessions:write")
@endpoint(resp=Response(HTTP_200=CourseRemoved, **ERRORS), tags=TAGS)
def session_course_delete(session_id: int, course_id: int):
    """Remove a course from a session

    With its course coaches. The session's hand-ins to its assignments are hidden, not
    deleted: they come back if the course is added again.
    """
    session = session_or_404(session_id)
    course = _course_in(session, course_id)
    hidden = sessions.hidden_submissions(db.session, session.id, course.id)
    removed = sessions.remove_course(db.session, session, course, by=actor(), now=clock.now())
    db.session.commit()
    return CourseRemoved(course=_course_ref(course), hidden_hand_ins=hidden,
                         coaches_removed=removed["coaches"])


@bp.put("/sessions/<int:session_id>/courses/<int:course_id>/coaches/<int:user_id>")
@token_required("sessions:write")
@endpoint(resp=Response(HTTP_200=SessionCourseOut, HTTP_201=SessionCourseOut, **ERRORS),
          tags=TAGS)
def session_course_coach_put(session_id: int, course_id: int, user_id: int):
    """Add a course coach

    A teacher or an administrator (422 for a learner): 201; one who already coaches the
    course here: 200. Answers the course with its coaches.
    """
    session = session_or_404(session_id)
    course = _course_in(session, course_id)
    user = active_user(user_id)
    try:
        added = sessions.add_course_coach(db.session, session, course, user, by=actor(),
                                          now=clock.now())
    except sessions.NotACoach as refused:
        raise field_errors({"user_id": str(refused)}) from None
    db.session.commit()
    return _answer(session.id, course.id, 201 if added else 200)


@bp.delete("/sessions/<int:session_id>/courses/<int:course_id>/coaches/<int:user_id>")
@token_required("sessions:write")
@endpoint(resp=Response("HTTP_204", **ERRORS), tags=TAGS)
def session_course_coach_delete(session_id: int, course_id: int, user_id: int):
    """Remove a course coach

    404 when the user does not coach this course in the session.
    """
    session = session_or_404(session_id)
    course = _course_in(session, course_id)
    removed = sessions.remove_course_coach(db.session, session, course, user_id, by=actor(),
                                           now=clock.now())
    if removed is None:
        raise not_found("course coach")
    db.session.commit()
    return "", 204
