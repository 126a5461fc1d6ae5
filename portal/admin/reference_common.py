"""What the reference data pages share: searchable paginated lists, form answers, usage text."""

from collections.abc import Callable
from typing import TypeVar

from flask import redirect, render_template, request, url_for
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql import Select

from ..domain.language import ngettext
from ..domain.pagination import paginate, read_page_args
from ..extensions import db
from ..web import wants_fragment

T = TypeVar("T")


def list_page(folder: str, stmt: Select, q: str, *, scalars: bool = False, **context):
    """One page of ``stmt`` (a statement the domain built) as ``folder/list.html``, or
    only ``folder/_results.html`` for an htmx request (the page includes that fragment)."""
    page_no, per_page = read_page_args(request.args)
    page = paginate(db.session, stmt, page_no, per_page, scalars=scalars)
    endpoint = request.endpoint

    def page_url(number: int, per: int | None = None) -> str:
        return url_for(endpoint, q=q or None, page=number if number > 1 else None,
                       per_page=per or page.per_page, **(request.view_args or {}))

    template = "_results.html" if wants_fragment() else "list.html"
    return render_template(f"{folder}/{template}", page=page, q=q, page_url=page_url, **context)


def member_page(stmt: Select, endpoint: str, **view_args):
    """A page of ``stmt`` (scalars) for a list inside the page at ``endpoint``,
    with its page_url."""
    page_no, per_page = read_page_args(request.args)
    page = paginate(db.session, stmt, page_no, per_page)

    def page_url(number: int, per: int | None = None) -> str:
        return url_for(endpoint, page=number if number > 1 else None,
                       per_page=per or page.per_page, **view_args)

    return page, page_url


def commit_or_explain(field, message: str, write: Callable[[], T] | None = None
                      ) -> T | bool | None:
    """Run ``write`` (a domain write function, called with no arguments) and commit.

    When another admin's save just took the same unique value (an IntegrityError at the
    write's flush or at the commit), roll back, put ``message`` on ``field`` and return
    None: the form is shown again, nothing lost. Otherwise return what ``write``
    returned (True without ``write``).
    """
    try:
        result = write() if write is not None else True
        db.session.commit()
        return result
    except IntegrityError:
        db.session.rollback()
        field.errors.append(str(message))  # a lazy text: read in the reader's language
        return None


def form_page(template: str, form, **context):
    """The form page: 200 when shown, 422 when it comes back with errors."""
    status = 422 if form.errors else 200
    return render_template(template, form=form, **context), status


def see_other(endpoint: str, **values):
    """Redirect after a successful POST (303: the browser follows with a GET)."""
    return redirect(url_for(endpoint, **values), code=303)


def names_and_more(names: list[str], total: int) -> str:
    """'A, B, C' or 'A, B, C, D, E and 3 more' for the first names of ``total``."""
    text = ", ".join(names)
    if total > len(names):
        text = ngettext("%(names)s and %(num)s more", "%(names)s and %(num)s more",
                        total - len(names), names=text)
    return text
