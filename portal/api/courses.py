"""Courses and their assignments through the API: list, get, create and change, with the
checks of the admin course and assignment forms, on the domain functions the pages call."""

from __future__ import annotations

from flask import url_for
from pydantic import BaseModel, ConfigDict, Field
from spectree import Response

from .. import clock
from ..admin.forms_reference import AssignmentForm, CourseForm
from ..admin.reference_courses import TAKEN
from ..domain.courses import (
    assignments_of,
    courses_matching,
    create_assignment,
    create_course,
    update_assignment,
    update_course,
)
from ..domain.keyset import Key
from ..extensions import db
from ..models import Assignment, Course
from . import bp
from .core import ERRORS, actor, endpoint, not_found, token_required
from .users import (
    ListQuery,
    SearchQuery,
    checked_form,
    committed,
    found,
    keyset_page,
    search_text,
)

TAGS = ["Courses"]
COURSE_KEYS = [Key(Course.code, "text")]  # the admin list's order; codes are unique
ASSIGNMENT_KEYS = [Key(Assignment.position, "int"), Key(Assignment.id, "int")]


class CourseSummary(BaseModel):
    id: int
    code: str
    title: str
    assignment_count: int
    session_count: int = Field(description="Sessions using the course")


class CoursePage(BaseModel):
    items: list[CourseSummary]
    next: str | None = Field(description="The next page's URL; null on the last page.")


class CourseOut(BaseModel):
    id: int
    code: str
    title: str
    description: str


class CourseChange(BaseModel):
    """The fields to change; those left out keep their value."""

    model_config = ConfigDict(extra="forbid")

    code: str | None = Field(None, max_length=1000)
    title: str | None = Field(None, max_length=1000)
    description: str | None = Field(None, max_length=100_000)


class CourseNew(CourseChange):
    code: str = Field(max_length=1000)
    title: str = Field(max_length=1000)


class AssignmentOut(BaseModel):
    id: int
    course_id: int
    title: str
    instructions: str
    max_score: int
    position: int = Field(description="Its place in the course's order")


class AssignmentPage(BaseModel):
    items: list[AssignmentOut]
    next: str | None = Field(description="The next page's URL; null on the last page.")


class AssignmentChange(BaseModel):
    """The fields to change; those left out keep their value."""

    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(None, max_length=1000)
    instructions: str | None = Field(None, max_length=100_000)
    max_score: int | None = Field(None, description="From 1 to 1000")


class AssignmentNew(AssignmentChange):
    title: str = Field(max_length=1000)
    max_score: int = Field(100, description="From 1 to 1000")


def course_out(course: Course) -> CourseOut:
    return CourseOut(id=course.id, code=course.code, title=course.title,
                     description=course.description)


def _summary(row) -> CourseSummary:
    course = row[0]
    return CourseSummary(id=course.id, code=course.code, title=course.title,
                         assignment_count=row.assignments, session_count=row.sessions)


def assignment_out(assignment: Assignment) -> AssignmentOut:
    return AssignmentOut(id=assignment.id, course_id=assignment.course_id,
                         title=assignment.title, instructions=assignment.instructions,
                         max_score=assignment.max_score, position=assignment.position)


def _merged(current: dict, change: BaseModel) -> dict:
    """The values a form would show after the change: the current ones, overwritten by
    those sent (a null is an empty field)."""
    return {**current, **change.model_dump(exclude_unset=True)}


def _assignment_of(course: Course, assignment_id: int) -> Assignment:
    assignment = found(Assignment, assignment_id, "assignment")
    if assignment.course_id != course.id:
        raise not_found("assignment")
    return assignment


def _course_answer(course: Course, status: int = 200):
    return course_out(course), status, {"Location": url_for("api.course_get",
                                                            course_id=course.id)}


def _assignment_answer(assignment: Assignment, status: int = 200):
    return assignment_out(assignment), status, {"Location": url_for(
        "api.assignment_get", course_id=assignment.course_id, assignment_id=assignment.id)}


@bp.get("/courses")
@token_required("courses:read")
@endpoint(query=SearchQuery, resp=Response(HTTP_200=CoursePage, **ERRORS), tags=TAGS)
def course_list_get(query: SearchQuery):
    """List courses

    Every course, or those whose code or title contains `q`, by code.
    """
    return CoursePage(**keyset_page("api.course_list_get", query, COURSE_KEYS,
                                    courses_matching(search_text(query)), _summary))


@bp.get("/courses/<int:course_id>")
@token_required("courses:read")
@endpoint(resp=Response(HTTP_200=CourseOut, **ERRORS), tags=TAGS)
def course_get(course_id: int):
    """Get a course"""
    return _course_answer(found(Course, course_id, "course"))


@bp.post("/courses")
@token_required("courses:write")
@endpoint(json=CourseNew, resp=Response(HTTP_201=CourseOut, **ERRORS), tags=TAGS)
def course_create(json: CourseNew):
    """Create a course

    The checks of the admin course form: a unique code, a title.
    """
    form = checked_form(CourseForm, json.model_dump())
    course = committed(lambda: create_course(db.session, form.values(), by=actor(),
                                             now=clock.now()), "code", TAKEN)
    return _course_answer(course, 201)


@bp.patch("/courses/<int:course_id>")
@token_required("courses:write")
@endpoint(json=CourseChange, resp=Response(HTTP_200=CourseOut, **ERRORS), tags=TAGS)
def course_update(course_id: int, json: CourseChange):
    """Change a course"""
    course = found(Course, course_id, "course")
    current = {"code": course.code, "title": course.title, "description": course.description}
    form = checked_form(CourseForm, _merged(current, json), editing_id=course.id)
    committed(lambda: update_course(db.session, course, form.values(), by=actor(),
                                    now=clock.now()), "code", TAKEN)
    return _course_answer(course)


@bp.get("/courses/<int:course_id>/assignments")
@token_required("courses:read")
@endpoint(query=ListQuery, resp=Response(HTTP_200=AssignmentPage, **ERRORS), tags=TAGS)
def assignment_list_get(course_id: int, query: ListQuery):
    """List a course's assignments

    In the course's order.
    """
    course = found(Course, course_id, "course")
    return AssignmentPage(**keyset_page(
        "api.assignment_list_get", query, ASSIGNMENT_KEYS, assignments_of(course.id),
        lambda row: assignment_out(row[0]), course_id=course.id))


@bp.get("/courses/<int:course_id>/assignments/<int:assignment_id>")
@token_required("courses:read")
@endpoint(resp=Response(HTTP_200=AssignmentOut, **ERRORS), tags=TAGS)
def assignment_get(course_id: int, assignment_id: int):
    """Get an assignment"""
    return _assignment_answer(_assignment_of(found(Course, course_id, "course"),
                                             assignment_id))


@bp.post("/courses/<int:course_id>/assignments")
@token_required("courses:write")
@endpoint(json=AssignmentNew, resp=Response(HTTP_201=AssignmentOut, **ERRORS), tags=TAGS)
def assignment_create(course_id: int, json: AssignmentNew):
    """Add an assignment to a course

    Last in the course's order; a title and a maximum score from 1 to 1000, as the form.
    """
    course = found(Course, course_id, "course")
    form = checked_form(AssignmentForm, json.model_dump())
    assignment = create_assignment(db.session, course, form.values(), by=actor(),
                                   now=clock.now())
    db.session.commit()
    return _assignment_answer(assignment, 201)


@bp.patch("/courses/<int:course_id>/assignments/<int:assignment_id>")
@token_required("courses:write")
@endpoint(json=AssignmentChange, resp=Response(HTTP_200=AssignmentOut, **ERRORS), tags=TAGS)
def assignment_update(course_id: int, assignment_id: int, json: AssignmentChange):
    """Change an assignment"""
    assignment = _assignment_of(found(Course, course_id, "course"), assignment_id)
    current = {"title": assignment.title, "instructions": assignment.instructions,
               "max_score": assignment.max_score}
    form = checked_form(AssignmentForm, _merged(current, json))
    update_assignment(db.session, assignment, form.values(), by=actor(), now=clock.now())
    db.session.commit()
    return _assignment_answer(assignment)
