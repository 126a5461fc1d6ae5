"""Accounts made from an enrolment file: who is new, under which username, and the
writes that make them.

An enrolment file may carry ``email``, ``first_name`` and ``last_name`` (and optionally
``username`` and ``class``). With "create the missing accounts", an add row naming nobody
known plans a learner account instead of being an error; its username is the one given
or one made from the e-mail, unique. The preview refuses an e-mail already used by
someone of another name, and rows that lack what an account needs. The apply makes the
accounts without a usable password (passwords.NO_PASSWORD), journaled, and queues each a
set-password message (portal.domain.password_links); all of it set-based, in the
caller's transaction, a fixed number of statements whatever the number of accounts.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Integer,
    String,
    func,
    insert,
    literal,
    null,
    select,
    true,
    type_coerce,
)

from ..models import (
    ClassMembership,
    JournalEntry,
    PlatformRole,
    SessionClass,
    User,
    UserClass,
)
from ..models.base import UTCDateTime
from . import journal, notify
from .enrolment import ClassChange, EnrolmentRequest, change_enrolments
from .journal import Actor
from .language import _, _l, ngettext
from .passwords import NO_PASSWORD
from .tabular import place_in
from .value_lists import one_of

MAX_USERNAME = 80
MAX_EMAIL = 254
MAX_NAME = 100
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_USERNAME = re.compile(r"^[^\s@]+$")
_NOT_IN_USERNAME = re.compile(r"[^a-z0-9._-]+")
TICK_LABEL = _l("Create the missing accounts")


@dataclass(slots=True)
class NewAccount:
    """A learner account the apply makes. ``key``: a stand-in user id (negative) that the
    preview's rows carry until the account has its real id."""

    key: int
    email: str
    first_name: str
    last_name: str
    username: str = ""  # given in the file, or made from the e-mail by the preview
    username_given: bool = False
    line: int = 0  # its first line in the file
    rows: list = field(default_factory=list)  # its PreviewRows

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


def _same_name(first: str, last: str, other_first: str, other_last: str) -> bool:
    return (first.casefold(), last.casefold()) == (other_first.casefold(), other_last.casefold())


class AccountPlan:
    """The account columns of one file, checked row by row (``check``), then the usernames
    chosen for the whole file at once (``settle``). Without ``create``, it only checks
    names and classes and says, for unknown users, that ticking the box would help."""

    def __init__(self, db, parsed, people, *, create: bool):
        self.create = create
        columns = set(parsed.columns)
        self.has_names = {"first_name", "last_name"} & columns
        self.can_make = {"email", "first_name", "last_name"} <= columns
        self.people = people
        self.place = getattr(parsed, "place", lambda line, column=None: place_in(None, line))
        self.by_email: dict[str, NewAccount] = {}
        self.by_username: dict[str, NewAccount] = {}
        self.classes: dict[str, tuple[int, str]] = {}
        if "class" in columns:
            names = {row.class_name.casefold() for row in parsed.rows if row.class_name}
            self.classes = _find_classes(db, names)

    # --- row by row ----------------------------------------------------------------

    def check(self, row, read, person) -> bool:
        """Check ``row`` (``read``: as written; ``person``: the user found, or None); True
        when the row is settled here: it plans an account, or is in error."""
        if read is None:
            return False
        if read.class_name:
            self._check_class(row, read.class_name)
        if person is not None:
            self._check_names(row, read, person)
            return row.kind == "error"
        if not self.create or row.action != "add":
            return False
        if row.kind == "error":  # already refused (its class, its cells): no account
            return True
        missing = [name for name, value in (("email", read.email), ("first_name", read.first_name),
                                            ("last_name", read.last_name)) if not value]
        if missing:
            row.fail(", ".join(missing), _missing_text(row.user_column, missing))
            return True
        return self._plan(row, read)

    def hint(self, read) -> str:
        """What to add to an unknown user's error without the box ticked."""
        if self.create or read is None or read.action.lower() not in ("", "add"):
            return ""
        if self.can_make and read.email and read.first_name and read.last_name:
            return _("Tick “%(label)s” to make this learner's account from the file.",
                     label=TICK_LABEL)
        return ""

    def _check_class(self, row, name: str) -> None:
        found = self.classes.get(name.casefold())
        if found is None:
            row.fail("class", _("Unknown class: no class is named “%(name)s”. Create it under "
                                "Classes first, or correct the name.", name=name))
        else:
            row.class_id = found[0]

    def _check_names(self, row, read, person) -> None:
        """A file that names a known account must name the same person."""
        _id, _active, username, first, last, email = person
        if not self.has_names or not (read.first_name or read.last_name):
            return
        # Only the names the file gives are compared: an empty cell says nothing.
        if all(not given or given.casefold() == known.casefold()
               for given, known in ((read.first_name, first), (read.last_name, last))):
            return
        values = {"user": row.user_text, "known": f"{first} {last}", "username": username,
                  "given": f"{read.first_name} {read.last_name}"}
        if row.user_column == "email":
            message = _("The e-mail “%(user)s” belongs to %(known)s (%(username)s), not "
                        "%(given)s: correct the names, or the e-mail if this is someone "
                        "else.", **values)
        else:
            message = _("The username “%(user)s” belongs to %(known)s (%(username)s), not "
                        "%(given)s: correct the names, or the username if this is someone "
                        "else.", **values)
        row.fail("first_name, last_name", message)

    def _plan(self, row, read) -> bool:
        email = User.normalise_email(read.email)
        first, last = read.first_name, read.last_name
        username = User.normalise_username(read.username) if read.username else ""
        problem = _value_problem(email, username, first, last)
        if problem:
            row.fail(*problem)
            return True
        account = self.by_email.get(email)
        if account is not None:
            if not _same_name(first, last, account.first_name, account.last_name) or \
                    (username and username != account.username):
                row.fail("email", _(
                    "%(place)s gives the e-mail %(email)s to %(name)s (%(username)s): one "
                    "e-mail, one person. Correct one of the two lines.",
                    place=self._where(account.line), email=email, name=account.full_name,
                    username=account.username or _("a new account")))
                return True
        elif username and username in self.by_username:
            other = self.by_username[username]
            row.fail("username", _("%(place)s gives the username %(username)s to %(email)s: "
                                   "choose another username for one of them.",
                                   place=self._where(other.line), username=username,
                                   email=other.email))
            return True
        else:
            account = NewAccount(-1 - len(self.by_email), email, first, last, username,
                                 bool(username), row.line)
            self.by_email[email] = account
            if username:
                self.by_username[username] = account
        account.rows.append(row)
        row.user_id = account.key
        row.message = _("New account.")
        row.user_text = account.username or email
        return True

    def _where(self, line: int) -> str:
        where = self.place(line)
        return where[:1].upper() + where[1:]

    # --- the whole file --------------------------------------------------------------

    def settle(self, db, rows) -> None:
        """Refuse e-mails already in use, choose the usernames (three queries at most)."""
        if not self.by_email:
            return
        self._refuse_used_emails(db)
        self._choose_usernames(db)

    def _refuse_used_emails(self, db) -> None:
        """A new account named by its username whose e-mail someone else has."""
        wanted = {email for email, account in self.by_email.items() if account.username_given}
        if not wanted:
            return
        used = {email: (username, f"{first} {last}".strip()) for email, username, first, last
                in db.execute(select(User.email, User.username, User.first_name, User.last_name)
                              .where(one_of(db, User.email, wanted)))}
        for email, (username, name) in used.items():
            account = self.by_email.pop(email)
            self.by_username.pop(account.username, None)
            for row in account.rows:
                row.user_id = None
                row.fail("email", _("The e-mail %(email)s is already used by %(name)s "
                                    "(%(username)s): write the username %(username)s to "
                                    "enrol that account, or give another e-mail.",
                                    email=email, name=name or username, username=username))

    def _choose_usernames(self, db) -> None:
        used = set(self.by_username)
        waiting = [account for account in self.by_email.values() if not account.username]
        bases = {account.key: _username_base(account.email) for account in waiting}
        rounds = (lambda base: [base],
                  lambda base: [f"{base}{n}" for n in range(2, 21)],
                  lambda base: [f"{base}-{secrets.token_hex(3)}"])
        for candidates_of in rounds:
            if not waiting:
                break
            candidates = {account.key: candidates_of(bases[account.key]) for account in waiting}
            wanted = {name for names in candidates.values() for name in names}
            taken = set(db.scalars(select(User.username).where(one_of(db, User.username,
                                                                      wanted))))
            still = []
            for account in waiting:
                free = next((name for name in candidates[account.key]
                             if name not in taken and name not in used), None)
                if free is None:
                    still.append(account)
                    continue
                used.add(free)
                account.username = free
                for row in account.rows:
                    row.user_text = free
            waiting = still
        for account in waiting:
            self.by_email.pop(account.email)
            for row in account.rows:
                row.user_id = None
                row.fail("username", _("No free username could be made from this e-mail: "
                                       "give one in the username column."))

    def accounts(self) -> list[NewAccount]:
        """The accounts an apply would make: those with a row that enrols them."""
        return [account for account in self.by_email.values()
                if any(row.kind == "add" for row in account.rows)]


def _value_problem(email: str, username: str, first: str, last: str):
    if len(email) > MAX_EMAIL or not _EMAIL.match(email):
        return "email", _("“%(email)s” is not an e-mail address: write it as "
                          "name@example.org.", email=email[:60])
    if username and (len(username) > MAX_USERNAME or not _USERNAME.match(username)):
        return "username", _("“%(username)s” cannot be a username: at most %(max)s "
                             "characters, no spaces and no @.", username=username[:60],
                             max=MAX_USERNAME)
    for column, value in (("first_name", first), ("last_name", last)):
        if len(value) > MAX_NAME:
            return column, _("At most %(max)s characters: shorten the name.", max=MAX_NAME)
    return None


def _missing_text(user_column: str, missing: list[str]) -> str:
    """An unknown user whose row lacks what a new account needs (``missing``: columns)."""
    from .csv_import import column_labels  # the enrolment file's columns (it imports us)

    labels = column_labels()
    columns = ", ".join(labels.get(name, name) for name in missing)
    if user_column == "username":
        return ngettext("No account has this username, and a new one needs %(columns)s: "
                        "fill in the column.", "No account has this username, and a new one "
                        "needs %(columns)s: fill in the columns.", len(missing),
                        columns=columns)
    return ngettext("No account has this e-mail, and a new one needs %(columns)s: fill in "
                    "the column.", "No account has this e-mail, and a new one needs "
                    "%(columns)s: fill in the columns.", len(missing), columns=columns)


def _username_base(email: str) -> str:
    """A username made from an e-mail's local part: lower case letters, digits, . _ -."""
    base = _NOT_IN_USERNAME.sub("", email.partition("@")[0].lower()).strip("._-")
    return base[:MAX_USERNAME - 8] or "learner"


def _find_classes(db, names: set[str]) -> dict[str, tuple[int, str]]:
    """Classes by case-folded name (one query; class lists are short, compared here)."""
    if not names:
        return {}
    return {name.casefold(): (class_id, name) for class_id, name in
            db.execute(select(UserClass.id, UserClass.name)) if name.casefold() in names}


# --- the apply ------------------------------------------------------------------


def create_accounts(db, accounts: list[NewAccount], *, file_name: str, by: Actor,
                    now: datetime) -> dict[int, int]:
    """Make ``accounts`` as learners with no usable password, journaled (one head entry
    naming the file, one item each), and queue their set-password messages. Returns the
    real user id of each account's stand-in key."""
    if not accounts:
        return {}
    values = [{"username": a.username, "email": a.email, "first_name": a.first_name,
               "last_name": a.last_name, "password_hash": NO_PASSWORD,
               "role": PlatformRole.LEARNER.value, "active": True, "created_at": now}
              for a in accounts]
    # A plain executemany, then the ids in one read: RETURNING would make the driver
    # send the rows in small batches of one statement each.
    db.execute(insert(User.__table__), values)
    made = dict(db.execute(select(User.username, User.id).where(
        one_of(db, User.username, {a.username for a in accounts}))).all())
    ids = {account.key: made[account.username] for account in accounts}
    head = journal.record(db, by, now, "accounts", "create", object_label=file_name,
                          after={"created": len(accounts), "file": file_name})
    _record_creations(db, set(ids.values()), head.id, by=by, now=now)
    notify.queue_set_password_links(db, list(ids.values()), now=now)
    return ids


def _record_creations(db, user_ids: set[int], parent_id: int, *, by: Actor,
                      now: datetime) -> None:
    """One ("user", "create") item per new account, as users.create_user records it,
    in one INSERT … SELECT from the accounts just written."""
    users = User.__table__
    name = func.trim(users.c.first_name + " " + users.c.last_name)
    label = func.coalesce(func.nullif(name, "") + " (" + users.c.username + ")",
                          users.c.username)
    pairs = []
    for field_name in ("username", "email", "first_name", "last_name", "role"):
        pairs += [literal(field_name), users.c[field_name]]
    json_object = func.json_build_object if db.get_bind().dialect.name == "postgresql" \
        else func.json_object
    after = json_object(*pairs, literal("timezone"), null(), literal("active"), true())
    chosen = select(
        literal(now, UTCDateTime), literal(by.user_id, Integer), literal(by.name[:200], String),
        literal(by.request_id, String), literal(by.address, String), literal("user"),
        literal("create"), users.c.id, func.substr(label, 1, 300), users.c.id,
        func.substr(label, 1, 200), literal(parent_id, BigInteger), type_coerce(after, JSON),
    ).where(one_of(db, users.c.id, user_ids)).order_by(users.c.id)
    db.execute(insert(JournalEntry.__table__).from_select(
        ["at", "actor_id", "actor_name", "request_id", "address", "object_type", "action",
         "object_id", "object_label", "learner_id", "learner_label", "parent_id", "after"],
        chosen))


def join_classes(db, pairs: set[tuple[int, int]], *, by: Actor, now: datetime) -> int:
    """Make each (class id, user id) of ``pairs`` a membership unless it is one already,
    journaled one item each; the sessions those classes are linked to then enrol their
    new members through the enrolment write path. Returns how many joined."""
    if not pairs:
        return 0
    user_ids = {user_id for _, user_id in pairs}
    present = set(db.execute(select(ClassMembership.class_id, ClassMembership.user_id)
                             .where(one_of(db, ClassMembership.user_id, user_ids))).all())
    new = sorted(pairs - present)
    if not new:
        return 0
    db.execute(insert(ClassMembership.__table__),
               [{"class_id": class_id, "user_id": user_id, "added_at": now}
                for class_id, user_id in new])
    class_ids = {class_id for class_id, _ in new}
    names = dict(db.execute(select(UserClass.id, UserClass.name)
                            .where(UserClass.id.in_(class_ids))).all())
    people = {user_id: (first, last, username) for user_id, first, last, username in
              db.execute(select(User.id, User.first_name, User.last_name, User.username)
                         .where(one_of(db, User.id, {u for _, u in new})))}
    journal.record_items(db, by, now, "class_member", "add", (
        {"object_id": class_id, "object_label": names.get(class_id, ""),
         "learner_id": user_id, "learner_label": _person(people.get(user_id))}
        for class_id, user_id in new))
    links = db.execute(select(SessionClass.class_id, SessionClass.session_id)
                       .where(SessionClass.class_id.in_(class_ids))
                       .order_by(SessionClass.class_id, SessionClass.session_id)).all()
    for class_id, session_id in links:
        # The link is there already: this enrols the class's members not yet enrolled
        # in that session, as linking the class does.
        change_enrolments(db, EnrolmentRequest(classes=ClassChange(
            class_id, joining=True, session_id=session_id)), by=by, now=now)
    return len(new)


def _person(person) -> str:
    if person is None:
        return ""
    first, last, username = person
    name = f"{first} {last}".strip()
    return f"{name} ({username})" if name else username

