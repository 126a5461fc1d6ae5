"""Admin reference data: users, courses and assignments, classes, categories."""

import pytest
from sqlalchemy import insert, select

from portal import clock
from portal.domain.enrolment import enrol_users, link_class
from portal.domain.journal import SYSTEM
from portal.domain.passwords import verify_password
from portal.extensions import db
from portal.models import (
    Assignment,
    ClassMembership,
    Course,
    Enrolment,
    SessionCategory,
    SessionClass,
    Submission,
    User,
    UserClass,
)
from tests.conftest import TEST_PASSWORD
from tests.helpers import add_course, make_session

NEW_PASSWORD = "a long enough secret"


# --- helpers -------------------------------------------------------------------------------


def errors(page) -> dict[str, str]:
    """Field id -> its error text, as shown under each field."""
    return {e["id"].removesuffix("-error"): e.text.strip() for e in page.select(".error[id]")}


def flashes(page) -> list[str]:
    return [p.text.strip() for p in page.select(".flash")]


def table_column(page, index=0) -> list[str]:
    return [row.select("td")[index].text.strip() for row in page.select("#results tbody tr")
            if len(row.select("td")) > index and not row.select_one("td[colspan]")]


@pytest.fixture
def admin(client, make_user):
    user = make_user("ada", role="admin")
    client.login("ada")
    return user


@pytest.fixture
def existing(make_user):
    """One of each kind, to collide with."""
    bob = make_user("bob", email="bob@example.org", first_name="Bob", last_name="Builder")
    course = Course(code="PY101", title="Python basics", description="")
    user_class = UserClass(name="Sales team")
    category = SessionCategory(name="Onboarding")
    db.session.add_all([course, user_class, category])
    db.session.commit()
    return {"user": bob, "course": course, "class": user_class, "category": category}


# --- access --------------------------------------------------------------------------------

PAGES = ["/admin/users", "/admin/users/new", "/admin/courses", "/admin/courses/new",
         "/admin/classes", "/admin/classes/new", "/admin/categories", "/admin/categories/new"]


@pytest.mark.parametrize("url", PAGES)
def test_anonymous_visitors_are_sent_to_login(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


@pytest.mark.parametrize("url", PAGES)
def test_learners_get_not_found(client, make_user, url):
    make_user("lea")
    client.login("lea")
    page = client.get_page(url, status=404)
    assert page.select_one("h1").text == "Not found"


@pytest.mark.parametrize("url", PAGES)
def test_pages_have_no_inline_script_or_style(client, admin, url):
    page = client.get_page(url)
    assert all(script.get("src") for script in page.select("script"))
    assert not page.select("[style]")
    assert not any(attr.startswith("on") for tag in page.find_all(True) for attr in tag.attrs)


def test_admin_sub_navigation_links_the_four_lists(client, admin):
    page = client.get_page("/admin/users")
    links = {a.text: a["href"] for a in page.select("aside.sidebar a")}
    assert links["Users"] == "/admin/users" and links["Courses"] == "/admin/courses"
    assert links["Classes"] == "/admin/classes" and links["Categories"] == "/admin/categories"
    assert page.select_one("aside.sidebar a[aria-current=page]").text == "Users"


@pytest.mark.parametrize("url", ["/admin/users/abc", "/admin/courses/9999",
                                 "/admin/classes/1x/delete", "/admin/categories/-1",
                                 "/admin/courses/1/assignments/zz"])
def test_bad_ids_in_urls_are_not_found(client, admin, url):
    assert client.get(url).status_code == 404


# --- create --------------------------------------------------------------------------------

CREATES = [
    ("/admin/users/new",
     {"username": "NewBie", "first_name": "Nina", "last_name": "New", "email": "Nina@Example.org",
      "role": "teacher", "timezone": "Asia/Tokyo", "active": "y", "password": NEW_PASSWORD},
     "User newbie created.", "/admin/users", "Nina New"),
    ("/admin/courses/new",
     {"code": "GO201", "title": "Go for teams", "description": "*Markdown* welcome"},
     "Course GO201 created. You can add its assignments now.", "/admin/courses", "GO201"),
    ("/admin/classes/new", {"name": "Night shift", "description": "Works late"},
     "Class Night shift created. You can add its members now.", "/admin/classes", "Night shift"),
    ("/admin/categories/new", {"name": "2026 Spring"},
     "Category 2026 Spring created.", "/admin/categories", "2026 Spring"),
]


@pytest.mark.parametrize(("url", "data", "message", "list_url", "row"), CREATES)
def test_create(client, admin, url, data, message, list_url, row):
    response = client.post(url, data)
    assert response.status_code == 303
    page = client.get_page(response.headers["Location"])
    assert message in flashes(page)
    assert row in table_column(client.get_page(list_url))


def test_created_user_is_stored_as_typed(client, admin):
    client.post("/admin/users/new", CREATES[0][1])
    user = db.session.scalar(select(User).where(User.username == "newbie"))
    assert (user.email, user.role, user.timezone, user.active) == (
        "nina@example.org", "teacher", "Asia/Tokyo", True)
    assert verify_password(user.password_hash, NEW_PASSWORD)
    client.logout()
    assert client.login("newbie", NEW_PASSWORD).status_code == 302


def test_user_with_empty_zone_uses_the_portal_default_and_can_start_inactive(client, admin):
    client.post("/admin/users/new", {"username": "zed", "email": "zed@example.org",
                                     "role": "learner", "timezone": "",
                                     "password": NEW_PASSWORD})
    user = db.session.scalar(select(User).where(User.username == "zed"))
    assert user.timezone is None and user.active is False


def test_course_description_is_stored_raw(client, admin):
    client.post("/admin/courses/new", CREATES[1][1])
    course = db.session.scalar(select(Course).where(Course.code == "GO201"))
    assert course.description == "*Markdown* welcome"


def test_forms_have_a_label_for_every_field(client, admin):
    page = client.get_page("/admin/users/new")
    for name in ("username", "first_name", "last_name", "email", "role", "timezone", "active",
                 "password"):
        label = page.select_one(f"label[for={name}]")
        assert label is not None and page.select_one(f"#{name}") is not None, name
    assert page.select_one("label[for=password]").text.strip().startswith("Set a password")


# --- validation ----------------------------------------------------------------------------

USER = {"username": "carl", "first_name": "Carl", "last_name": "Chen",
        "email": "carl@example.org", "role": "learner", "timezone": "", "active": "y",
        "password": NEW_PASSWORD}

INVALID = [
    ("/admin/users/new", {**USER, "username": "BOB"}, "username",
     "The username bob is already taken."),
    ("/admin/users/new", {**USER, "email": "Bob@Example.org"}, "email",
     "The e-mail bob@example.org already belongs to another user."),
    ("/admin/users/new", {**USER, "timezone": "Mars/Olympus"}, "timezone",
     "Mars/Olympus is not a time zone we know. Pick one from the list, such as Europe/Paris, "
     "or leave it empty for the portal's zone."),
    ("/admin/users/new", {**USER, "password": "short"}, "password",
     "Use at least 10 characters."),
    ("/admin/users/new", {**USER, "password": ""}, "password",
     "Set a password for the new user."),
    ("/admin/users/new", {**USER, "username": "carl chen"}, "username",
     "A username has no spaces and no @."),
    ("/admin/users/new", {**USER, "email": "not-an-address"}, "email",
     "Enter an e-mail address such as ann@example.org."),
    ("/admin/users/new", {**USER, "role": "superuser"}, "role", "Not a valid choice."),
    ("/admin/users/new", {**USER, "username": "x" * 10_000}, "username",
     "Use at most 80 characters."),
    ("/admin/users/new", {**USER, "first_name": "x" * 101}, "first_name",
     "Use at most 100 characters."),
    ("/admin/courses/new", {"code": "PY101", "title": "Again"}, "code",
     "The course code PY101 is already used by another course."),
    ("/admin/courses/new", {"code": "", "title": "No code"}, "code", "Enter a course code."),
    ("/admin/courses/new", {"code": "C" * 41, "title": "Long"}, "code",
     "Use at most 40 characters."),
    ("/admin/courses/new", {"code": "X1", "title": "T" * 201}, "title",
     "Use at most 200 characters."),
    ("/admin/classes/new", {"name": "Sales team"}, "name",
     "A class named Sales team already exists."),
    ("/admin/classes/new", {"name": "   "}, "name", "Enter a name."),
    ("/admin/categories/new", {"name": "Onboarding"}, "name",
     "A category named Onboarding already exists."),
    ("/admin/categories/new", {"name": "n" * 121}, "name", "Use at most 120 characters."),
]


@pytest.mark.parametrize(("url", "data", "field", "message"), INVALID)
def test_invalid_input_comes_back_with_the_message_and_what_was_typed(
        client, admin, existing, url, data, field, message):
    page = client.post_page(url, data, status=422)
    assert errors(page) == {field: message}
    kept = next(name for name in data if name not in ("password", "role", "active"))
    shown = page.select_one(f"[name={kept}]")
    assert (shown.get("value") or shown.text) == data[kept].strip()


@pytest.mark.parametrize("max_score", ["0", "1001", "abc", "", "1e3", "99999999999999999999"])
def test_assignment_max_score_must_be_1_to_1000(client, admin, existing, max_score):
    url = f"/admin/courses/{existing['course'].id}/assignments/new"
    page = client.post_page(url, {"title": "Quiz", "max_score": max_score}, status=422)
    assert errors(page) == {"max_score": "Enter a whole number from 1 to 1000."}
    assert page.select_one("#max_score")["value"] == max_score
    assert page.select_one("#title")["value"] == "Quiz"


def test_a_form_without_csrf_token_is_refused(client, admin):
    response = client.client.post("/admin/categories/new", data={"name": "Sneaky"})
    assert response.status_code == 400
    assert db.session.scalar(select(SessionCategory)) is None


# --- edit ----------------------------------------------------------------------------------


def test_edit_user_keeps_own_username_and_changes_the_rest(client, admin, existing):
    bob = existing["user"]
    response = client.post(f"/admin/users/{bob.id}", {
        "username": "bob", "first_name": "Robert", "last_name": "Builder",
        "email": "bob@example.org", "role": "teacher", "timezone": "America/New_York",
        "password": ""})
    assert response.status_code == 303
    page = client.get_page(response.headers["Location"])
    assert "User bob saved." in flashes(page)
    assert page.select_one("#first_name")["value"] == "Robert"
    db.session.refresh(bob)
    assert (bob.role, bob.timezone, bob.active) == ("teacher", "America/New_York", False)
    assert verify_password(bob.password_hash, TEST_PASSWORD)  # empty password: unchanged


def test_edit_user_sets_a_new_password(client, admin, existing):
    bob = existing["user"]
    client.post(f"/admin/users/{bob.id}", {
        "username": "bob", "email": "bob@example.org", "role": "learner", "active": "y",
        "password": NEW_PASSWORD})
    db.session.refresh(bob)
    assert verify_password(bob.password_hash, NEW_PASSWORD)


def test_edit_user_refuses_another_users_email(client, admin, existing):
    page = client.post_page(f"/admin/users/{existing['user'].id}", {
        "username": "bob", "email": "ADA@example.org", "role": "learner", "active": "y"},
        status=422)
    assert errors(page) == {"email": "The e-mail ada@example.org already belongs to another user."}


def test_admin_cannot_lock_themselves_out_by_editing(client, admin):
    page = client.post_page(f"/admin/users/{admin.id}", {
        "username": "ada", "email": "ada@example.org", "role": "learner"}, status=422)
    assert errors(page) == {"active": "You cannot deactivate your own account.",
                            "role": "You cannot remove your own admin role."}
    db.session.refresh(admin)
    assert admin.is_admin and admin.active


@pytest.mark.parametrize(("kind", "url", "data", "message"), [
    ("course", "/admin/courses/{id}", {"code": "PY102", "title": "Python, again"},
     "Course PY102 saved."),
    ("class", "/admin/classes/{id}", {"name": "Sales people", "description": "Field sales"},
     "Class Sales people saved."),
    ("category", "/admin/categories/{id}", {"name": "Induction"}, "Category Induction saved."),
])
def test_edit(client, admin, existing, kind, url, data, message):
    target = existing[kind]
    response = client.post(url.format(id=target.id), data)
    assert response.status_code == 303
    page = client.get_page(response.headers["Location"])
    assert message in flashes(page)
    db.session.refresh(target)
    assert all(getattr(target, key) == value for key, value in data.items())


def test_course_page_lists_and_manages_assignments(client, admin, existing):
    course = existing["course"]
    base = f"/admin/courses/{course.id}"
    response = client.post(f"{base}/assignments/new",
                           {"title": "Loops", "instructions": "Write a loop.", "max_score": "20"})
    assert response.status_code == 303 and response.headers["Location"] == base
    client.post(f"{base}/assignments/new", {"title": "Functions", "max_score": "50"})
    page = client.get_page(base)
    rows = [[td.text.strip() for td in tr.select("td")[:2]]
            for tr in page.select("#assignments-heading + table tbody tr")]
    assert rows == [["Loops", "20"], ["Functions", "50"]]

    loops = db.session.scalar(select(Assignment).where(Assignment.title == "Loops"))
    response = client.post(f"{base}/assignments/{loops.id}",
                           {"title": "For loops", "instructions": "", "max_score": "25"})
    assert "Assignment For loops saved." in flashes(client.get_page(response.headers["Location"]))
    db.session.refresh(loops)
    assert (loops.title, loops.max_score) == ("For loops", 25)

    response = client.post(f"{base}/assignments/{loops.id}/delete")
    page = client.get_page(response.headers["Location"])
    assert "Assignment For loops deleted." in flashes(page)
    assert [a.text for a in page.select("#assignments-heading + table tbody a")] == ["Functions"]


def test_assignment_of_another_course_is_not_found(client, admin, existing):
    other = Course(code="OTHER", title="Other")
    db.session.add(other)
    db.session.flush()
    assignment = Assignment(course_id=other.id, title="Theirs", max_score=10)
    db.session.add(assignment)
    db.session.commit()
    url = f"/admin/courses/{existing['course'].id}/assignments/{assignment.id}"
    assert client.get(url).status_code == 404
    assert client.post(url + "/delete").status_code == 404


# --- search and pagination -----------------------------------------------------------------


@pytest.fixture
def crowd(make_user, existing):
    make_user("cathy", email="cathy@corp.test", first_name="Cathy", last_name="Zhang")
    make_user("dan", email="dan@example.org", first_name="Daniel", last_name="Moss")
    db.session.add_all([Course(code="GO201", title="Go for teams"),
                        Course(code="SQL1", title="Databases and Python"),
                        UserClass(name="Night shift"), SessionCategory(name="2026 Spring")])
    db.session.commit()


@pytest.mark.parametrize(("url", "column", "expected"), [
    ("/admin/users?q=zhang", 1, ["cathy"]),           # last name
    ("/admin/users?q=daniel+moss", 1, ["dan"]),       # full name
    ("/admin/users?q=CORP.TEST", 1, ["cathy"]),       # e-mail
    ("/admin/users?q=bo", 1, ["bob"]),                # username
    ("/admin/users?q=100%25", 1, []),                 # LIKE wildcards are literal
    ("/admin/courses?q=python", 0, ["PY101", "SQL1"]),  # title
    ("/admin/courses?q=go2", 0, ["GO201"]),           # code
    ("/admin/classes?q=night", 0, ["Night shift"]),
    ("/admin/categories?q=spring", 0, ["2026 Spring"]),
])
def test_search(client, admin, crowd, url, column, expected):
    page = client.get_page(url)
    assert table_column(page, column) == expected
    assert page.select_one("#q")["value"] == url.split("q=")[1].replace("+", " ").replace(
        "%25", "%")
    if not expected:
        assert "No user matches" in page.select_one("#results").text


def test_search_box_is_wired_for_htmx(client, admin):
    search = client.get_page("/admin/users").select_one("#q")
    assert search["data-hx-get"] == "/admin/users"
    assert "delay:300ms" in search["data-hx-trigger"]
    assert search["data-hx-push-url"] == "true" and search["data-hx-target"] == "#results"
    assert search.find_parent("form")["method"] == "get"


@pytest.mark.parametrize("url", ["/admin/users?q=bob", "/admin/courses?q=py",
                                 "/admin/classes?q=sales", "/admin/categories?q=onb"])
def test_htmx_search_returns_only_the_results(client, admin, existing, url):
    response = client.htmx_get(url)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "<html" not in body and "<table>" in body
    assert "HX-Request" in response.headers["Vary"]
    from bs4 import BeautifulSoup

    rows = BeautifulSoup(body, "html.parser").select("tbody tr")
    assert len(rows) == 1


def test_history_restore_gets_the_whole_page(client, admin):
    response = client.get("/admin/users?q=ada",
                          headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert "<html" in response.get_data(as_text=True)


def test_pagination(client, admin):
    db.session.execute(insert(SessionCategory), [{"name": f"Cat {n:02}"} for n in range(30)])
    db.session.commit()
    first = client.get_page("/admin/categories")
    assert len(table_column(first)) == 25
    assert first.select_one("p.count").text == "1–25 of 30"
    next_link = first.select_one("nav.pagination a[rel=next]")["href"]
    second = client.get_page(next_link)
    assert table_column(second) == [f"Cat {n:02}" for n in range(25, 30)]
    assert second.select_one("nav.pagination a[aria-current=page]").text == "2"
    fifty = first.select_one("p.per-page").find("a", string="50")["href"]
    assert len(table_column(client.get_page(fifty))) == 30


def test_pagination_keeps_the_search(client, admin):
    db.session.execute(insert(SessionCategory), [{"name": f"Team {n:02}"} for n in range(27)]
                       + [{"name": "Other"}])
    db.session.commit()
    page = client.get_page("/admin/categories?q=team")
    href = page.select_one("nav.pagination a[rel=next]")["href"]
    assert "q=team" in href
    assert table_column(client.get_page(href)) == ["Team 25", "Team 26"]


@pytest.mark.parametrize("url", ["/admin/users?page=abc&per_page=7", "/admin/users?page=999",
                                 "/admin/classes?page=-3&per_page=x"])
def test_odd_page_arguments_are_harmless(client, admin, url):
    client.get_page(url)


def _fill(kind: str, prefix: str, count: int, coach: User) -> None:
    """``count`` rows of ``kind`` named from ``prefix``, each with something the list counts."""
    if kind == "users":
        db.session.execute(insert(User), [
            {"username": f"{prefix}{n}", "email": f"{prefix}{n}@example.org",
             "last_name": f"{prefix}{n:03}", "role": "learner"} for n in range(count)])
    elif kind == "courses":
        for n in range(count):
            course = Course(code=f"{prefix}{n:03}", title=f"Course {prefix}{n}")
            course.assignments.append(Assignment(title="A", max_score=10))
            db.session.add(course)
    elif kind == "classes":
        for n in range(count):
            user_class = UserClass(name=f"Class {prefix}{n:03}")
            user_class.memberships.append(ClassMembership(user_id=coach.id))
            db.session.add(user_class)
    else:
        db.session.execute(insert(SessionCategory),
                           [{"name": f"Category {prefix}{n:03}"} for n in range(count)])
    db.session.commit()


@pytest.mark.parametrize("kind", ["users", "courses", "classes", "categories"])
def test_lists_cost_the_same_number_of_queries_whatever_their_size(
        app, client, admin, count_queries, kind):
    url = f"/admin/{kind}?per_page=100"
    _fill(kind, "a", 3, admin)
    session = make_session(admin, "Counted", category_id=db.session.scalar(
        select(SessionCategory.id).limit(1)))
    if kind == "courses":
        add_course(session, code="a000")
    # Each counted request gets its own application context, as in production: the test's
    # context would otherwise carry g (the logged-in user) and loaded rows between requests.
    with app.app_context(), count_queries() as small:
        page = client.get_page(url)
    assert len(table_column(page)) >= 3
    _fill(kind, "b", 57, admin)
    with app.app_context(), count_queries() as large:
        page = client.get_page(url)
    assert len(table_column(page)) >= 60
    assert large.count == small.count, (small.statements, large.statements)
    assert small.count <= 4, small.statements  # user, navigation, count, page


def test_lists_show_their_counts(client, admin, existing):
    session = make_session(admin, "Spring intake", category_id=existing["category"].id)
    add_course(session, code="PY101")
    db.session.add(Assignment(course_id=existing["course"].id, title="Quiz", max_score=5))
    link_class(db.session, session.id, existing["class"].id, by=SYSTEM, now=clock.now())
    db.session.add(ClassMembership(class_id=existing["class"].id, user_id=existing["user"].id))
    db.session.commit()
    courses = client.get_page("/admin/courses").select_one("#results tbody tr")
    assert [td.text.strip() for td in courses.select("td")] == ["PY101", "Python basics", "1", "1"]
    classes = client.get_page("/admin/classes").select_one("#results tbody tr")
    assert [td.text.strip() for td in classes.select("td")] == ["Sales team", "1", "1"]
    categories = client.get_page("/admin/categories").select_one("#results tbody tr")
    assert [td.text.strip() for td in categories.select("td")] == ["Onboarding", "1"]


# --- delete --------------------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "url", "message", "list_url"), [
    ("user", "/admin/users/{id}/delete", "User bob deleted.", "/admin/users"),
    ("course", "/admin/courses/{id}/delete", "Course PY101 deleted.", "/admin/courses"),
    ("class", "/admin/classes/{id}/delete", "Class Sales team deleted.", "/admin/classes"),
    ("category", "/admin/categories/{id}/delete", "Category Onboarding deleted.",
     "/admin/categories"),
])
def test_delete_unused(client, admin, existing, kind, url, message, list_url):
    model, target_id = type(existing[kind]), existing[kind].id
    url = url.format(id=target_id)
    confirm = client.get_page(url)
    assert confirm.select_one("main form[method=post] button[type=submit]") is not None
    response = client.post(url)
    assert response.status_code == 303 and response.headers["Location"] == list_url
    page = client.get_page(list_url)
    assert message in flashes(page)
    db.session.expire_all()
    assert db.session.scalar(select(model.id).where(model.id == target_id)) is None


def test_user_who_coaches_sessions_cannot_be_deleted_but_can_be_deactivated(
        client, admin, existing):
    bob = existing["user"]
    bob.role = "teacher"  # only teachers and admins coach
    for name in ("Beta", "Alpha"):
        make_session(bob, name)
    confirm = client.get_page(f"/admin/users/{bob.id}/delete")
    assert [li.text for li in confirm.select("ul.reasons li")] == [
        "coach of 2 sessions: Alpha, Beta"]
    assert confirm.find("button", string="Delete user") is None

    response = client.post(f"/admin/users/{bob.id}/delete")
    assert response.status_code == 303
    page = client.get_page(response.headers["Location"])
    assert flashes(page) == [
        "bob cannot be deleted: coach of 2 sessions: Alpha, Beta. Deactivate the account "
        "instead: they can no longer log in and their history stays."]
    deactivate = page.find("button", string="Deactivate")
    assert deactivate is not None
    response = client.post(deactivate.find_parent("form")["action"])
    page = client.get_page(response.headers["Location"])
    assert "bob is deactivated and can no longer log in." in flashes(page)
    db.session.refresh(bob)
    assert bob.active is False and db.session.get(User, bob.id) is not None


def test_user_delete_refusal_names_every_use(client, admin, existing, make_user):
    bob = existing["user"]
    bob.role = "teacher"  # only teachers and admins coach; a teacher may also be enrolled
    coach = make_user("cora", role="teacher")
    session = make_session(coach, "Gamma")
    course = add_course(session, coaches=[bob], code="PY101")
    enrol_users(db.session, session.id, [bob.id], "individual", by=SYSTEM, now=clock.now())
    assignment = Assignment(course_id=course.id, title="Quiz", max_score=10)
    db.session.add(assignment)
    db.session.flush()
    db.session.add(Submission(session_id=session.id, assignment_id=assignment.id,
                              user_id=bob.id, answer="42"))
    db.session.commit()
    page = client.post_page(f"/admin/users/{bob.id}/delete", follow_redirects=True)
    assert flashes(page) == [
        "bob cannot be deleted: course coach in 1 session; has 1 submission; enrolled in "
        "1 session. Deactivate the account instead: they can no longer log in and their "
        "history stays."]


def test_admin_cannot_delete_or_deactivate_themselves(client, admin):
    assert client.get_page(f"/admin/users/{admin.id}/delete").find(
        "button", string="Delete user") is None
    page = client.post_page(f"/admin/users/{admin.id}/delete", follow_redirects=True)
    assert "You cannot delete your own account." in flashes(page)
    page = client.post_page(f"/admin/users/{admin.id}/deactivate", follow_redirects=True)
    assert "You cannot deactivate your own account." in flashes(page)
    db.session.refresh(admin)
    assert admin.active


def test_course_used_in_sessions_cannot_be_deleted(client, admin, existing):
    for n in range(7):
        add_course(make_session(admin, f"Session {n}"), code="PY101")
    page = client.post_page(f"/admin/courses/{existing['course'].id}/delete",
                            follow_redirects=True)
    assert flashes(page) == [
        "Course PY101 cannot be deleted: it is used in 7 sessions: Session 0, Session 1, "
        "Session 2, Session 3, Session 4 and 2 more. Remove it from those sessions first."]
    assert db.session.get(Course, existing["course"].id) is not None


def test_category_used_by_sessions_cannot_be_deleted(client, admin, existing):
    for name in ("One", "Two"):
        make_session(admin, name, category_id=existing["category"].id)
    confirm = client.get_page(f"/admin/categories/{existing['category'].id}/delete")
    assert "it is used by 2 sessions" in confirm.select_one("main").text
    page = client.post_page(f"/admin/categories/{existing['category'].id}/delete",
                            follow_redirects=True)
    assert flashes(page) == ["Category Onboarding cannot be deleted: it is used by 2 sessions. "
                             "Move them to another category first."]


def test_assignment_with_submissions_cannot_be_deleted(client, admin, existing):
    session = make_session(admin, "Delta")
    course = add_course(session, code="PY101")
    assignment = Assignment(course_id=course.id, title="Quiz", max_score=10)
    db.session.add(assignment)
    db.session.flush()
    db.session.add(Submission(session_id=session.id, assignment_id=assignment.id,
                              user_id=existing["user"].id))
    db.session.commit()
    page = client.post_page(f"/admin/courses/{course.id}/assignments/{assignment.id}/delete",
                            follow_redirects=True)
    assert flashes(page) == ["Assignment Quiz cannot be deleted: it has 1 submission."]


# --- classes and their members -------------------------------------------------------------


@pytest.fixture
def linked(admin, existing):
    """The Sales team class, linked to a session."""
    session = make_session(admin, "Linked session")
    link_class(db.session, session.id, existing["class"].id, by=SYSTEM, now=clock.now())
    db.session.commit()
    return session


def enrolled(session, user) -> bool:
    return db.session.scalar(select(Enrolment).where(
        Enrolment.session_id == session.id, Enrolment.user_id == user.id)) is not None


def test_adding_and_removing_a_member_follows_the_linked_session(client, linked, existing):
    user_class, bob = existing["class"], existing["user"]
    page_url = f"/admin/classes/{user_class.id}"
    page = client.get_page(page_url)
    picker = page.select_one("input#username")
    assert picker["data-hx-get"] == "/admin/lookup/users" and picker["list"] == "username-options"

    response = client.post(f"{page_url}/members", {"username": " BOB "})
    assert response.status_code == 303
    page = client.get_page(response.headers["Location"])
    assert flashes(page) == ["Bob Builder (bob) added to Sales team. Enrolled in 1 session "
                             "the class is linked to."]
    assert [td.text for td in page.select("#members-heading ~ table tbody td:nth-of-type(2)")] \
        == ["bob"]
    assert enrolled(linked, bob)

    remove = page.find("button", string="Remove").find_parent("form")["action"]
    page = client.get_page(client.post(remove).headers["Location"])
    assert flashes(page) == ["Bob Builder (bob) removed from Sales team. Unenrolled from "
                             "1 session the class brought them to."]
    assert "No members yet." in page.select_one("#members-heading ~ table").text
    db.session.expire_all()
    assert not enrolled(linked, bob)


def test_removing_a_member_keeps_an_individual_enrolment(client, linked, existing):
    user_class, bob = existing["class"], existing["user"]
    client.post(f"/admin/classes/{user_class.id}/members", {"username": "bob"})
    enrol_users(db.session, linked.id, [bob.id], "individual", by=SYSTEM, now=clock.now())
    db.session.commit()
    client.post(f"/admin/classes/{user_class.id}/members/{bob.id}/remove")
    db.session.expire_all()
    assert enrolled(linked, bob)


def test_adding_an_unknown_username_says_so(client, admin, existing):
    url = f"/admin/classes/{existing['class'].id}/members"
    page = client.post_page(url, {"username": "nobody"}, status=422)
    assert errors(page) == {"username": "No user has the username nobody. Type a few letters "
                                        "and pick a person from the list."}
    assert page.select_one("input#username")["value"] == "nobody"
    assert page.select_one("#name")["value"] == "Sales team"


def test_adding_a_member_twice_is_harmless(client, admin, existing):
    url = f"/admin/classes/{existing['class'].id}/members"
    client.post(url, {"username": "bob"})
    page = client.post_page(url, {"username": "bob@example.org"}, follow_redirects=True)
    assert flashes(page) == ["Bob Builder (bob) is already a member of Sales team."]


def test_removing_a_non_member_is_harmless(client, admin, existing):
    url = f"/admin/classes/{existing['class'].id}/members/{existing['user'].id}/remove"
    page = client.post_page(url, follow_redirects=True)
    assert flashes(page) == ["This person is not a member of the class (any more)."]


def test_members_are_paginated(client, admin, existing):
    db.session.execute(insert(User), [
        {"username": f"m{n:02}", "email": f"m{n:02}@example.org", "last_name": f"M{n:02}",
         "role": "learner"} for n in range(27)])
    ids = db.session.scalars(select(User.id).where(User.username.like("m%"))).all()
    db.session.execute(insert(ClassMembership),
                       [{"class_id": existing["class"].id, "user_id": uid} for uid in ids])
    db.session.commit()
    page = client.get_page(f"/admin/classes/{existing['class'].id}")
    assert len(page.select("#members-heading ~ table tbody tr")) == 25
    href = page.select_one("nav.pagination a[rel=next]")["href"]
    assert len(client.get_page(href).select("#members-heading ~ table tbody tr")) == 2


def test_deleting_a_linked_class_warns_and_unenrols_what_it_brought(client, linked, existing):
    user_class, bob = existing["class"], existing["user"]
    client.post(f"/admin/classes/{user_class.id}/members", {"username": "bob"})
    confirm = client.get_page(f"/admin/classes/{user_class.id}/delete")
    assert "This class is linked to 1 session." in confirm.select_one("p.warning").text
    response = client.post(f"/admin/classes/{user_class.id}/delete")
    page = client.get_page(response.headers["Location"])
    assert flashes(page) == [
        "Class Sales team deleted. It was unlinked from 1 session; members it had enrolled "
        "there are unenrolled unless enrolled another way."]
    db.session.expire_all()
    assert not enrolled(linked, bob)
    assert db.session.scalar(select(SessionClass)) is None
    assert db.session.get(User, bob.id) is not None


# --- odd input -----------------------------------------------------------------------------


@pytest.mark.parametrize(("url", "data"), [
    ("/admin/categories/new", {"name": "Bad\x00name"}),
    ("/admin/courses/new", {"code": "NUL\x00", "title": "T\x00", "description": "D\x00"}),
    ("/admin/users/new", {**USER, "username": "\x00" * 5}),
    ("/admin/classes/new", {"name": "C", "description": "x" * 20_001}),
    ("/admin/users/new", {**USER, "timezone": "../../etc/passwd"}),
    ("/admin/users/new", {"csrf_token": "forged"}),
])
def test_odd_input_never_fails_the_server(client, admin, url, data):
    response = client.post(url, data)
    assert response.status_code in (303, 400, 422)


def test_nul_characters_are_dropped_and_search_survives_them(client, admin):
    client.post("/admin/categories/new", {"name": "Bad\x00name"})
    assert db.session.scalar(select(SessionCategory.name)) == "Badname"
    assert table_column(client.get_page("/admin/categories?q=bad%00")) == ["Badname"]


# --- typeahead lookups and page sizes (H3) ---------------------------------------------


def _options(client, url) -> list[str]:
    from bs4 import BeautifulSoup

    response = client.htmx_get(url)
    assert response.status_code == 200, response.data[:300]
    return [o["value"] for o in BeautifulSoup(response.data, "html.parser").select("option")]


@pytest.mark.parametrize(("url", "expected"), [
    ("/admin/users?q=moss+daniel", ["dan"]),              # last name first
    ("/admin/users?q=zha%00ng", ["cathy"]),               # NUL dropped, not refused
])
def test_user_search_reads_names_in_either_order(client, admin, crowd, url, expected):
    assert table_column(client.get_page(url), 1) == expected


@pytest.mark.parametrize(("url", "expected"), [
    ("/admin/lookup/users?add_learner=moss+dan", ["dan"]),
    ("/admin/lookup/users?username=%00bo%00", ["bob"]),
    ("/admin/lookup/users?username=100%25", []),
    ("/admin/lookup/courses?add_course=go", ["GO201"]),
    ("/admin/lookup/courses?add_course=py&not_in_session=99999999999999999999",
     ["PY101", "SQL1"]),
    ("/admin/lookup/classes?class_name=NIGHT", ["Night shift"]),
])
def test_lookups_clean_what_was_typed(client, admin, crowd, url, expected):
    assert _options(client, url) == expected


def test_user_lookup_leaves_out_inactive_users(client, admin, crowd):
    dan = db.session.scalar(select(User).where(User.username == "dan"))
    dan.active = False
    db.session.commit()
    assert _options(client, "/admin/lookup/users?username=dan") == []


@pytest.mark.parametrize("url", ["/admin/users", "/admin/courses", "/admin/classes",
                                 "/admin/categories"])
def test_page_sizes_are_the_portals_choices(client, admin, url):
    from portal.domain.pagination import PER_PAGE_CHOICES

    sizes = client.get_page(url).select_one("p.per-page")
    assert [int(n.text) for n in sizes.select("a, strong")] == list(PER_PAGE_CHOICES)
