"""The one way a session page asks before a removal: a confirmation box.

Each removal (a course, a learner, a class link) has a GET URL that asks and a POST
on the same URL that does it. Without JavaScript the GET is a page; with htmx it is a
box swapped in beside the button, whose Keep link removes it again (``?keep=1``).
"""

from dataclasses import dataclass

from flask import render_template, request

from ..web import wants_fragment


@dataclass(frozen=True)
class Confirmation:
    """What the box says and where its two answers go."""

    id: str  # the box's id, unique on the page
    question: str  # "Remove Lea Tester from this session?"
    details: tuple[str, ...]  # what the removal does, one sentence each
    action: str  # the URL the danger button posts to (and the GET that asked)
    button: str  # "Remove Lea Tester"
    keep: str  # where Keep leads without JavaScript
    section: str  # the section the POST's answer replaces, "#people"
    columns: int = 0  # in a table: the box is a row spanning this many columns


def ask(confirmation: Confirmation, training_session):
    """The confirmation: the box for htmx (nothing once kept), else the page."""
    if wants_fragment():
        if request.args.get("keep"):
            return ""
        return render_template("admin/session/_confirm.html", confirm=confirmation,
                               in_table=bool(confirmation.columns), as_page=False)
    return render_template("admin/session/confirm.html", confirm=confirmation,
                           training_session=training_session, in_table=False, as_page=True)
