"""Big sessions imports run as jobs by the worker: progress, the same preview and result
pages as a small import, nothing written by a failure, the admin's own job only."""

import io

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import func, select, text

from portal.domain import jobs, session_import, sessions
from portal.extensions import db
from portal.models import (
    Course,
    ImportUpload,
    Job,
    JobStatus,
    SessionCourse,
    TrainingSession,
    User,
)
from tests.helpers import make_session, run_jobs

URL, APPLY_URL = "/admin/sessions/import", "/admin/sessions/import/apply"
ROWS = jobs.SESSION_JOB_ROWS + 1  # one more than a request handles itself


@pytest.fixture
def big_file(client, make_user, frozen_now):
    """root (admin) logged in, cora teaches, courses PY101 and WEB2 exist; a file of ROWS
    new sessions, each with both courses and cora as its coach."""
    make_user("root", role="admin")
    make_user("cora", role="teacher")
    db.session.add_all([Course(code="PY101", title="Python", description=""),
                        Course(code="WEB2", title="Web", description="")])
    db.session.commit()
    client.login("root")
    lines = ["name,code,category,session_coach,access_start,access_end,courses"] + [
        f"Cohort {i:04},C-{i:04},Cohorts,cora,2027-03-01,2027-03-31,PY101 (cora); WEB2"
        for i in range(ROWS)]
    return "\n".join(lines).encode()






def start_preview(client, data) -> str:
    response = client.post(URL, {"file": (io.BytesIO(data), "cohorts.csv")})
    assert response.status_code == 303, response.data[:500]
    return response.headers["Location"]


def start_apply(client, preview_page: BeautifulSoup) -> str:
    form = {name: preview_page.select_one(f"input[name={name}]")["value"]
            for name in ("token", "signature")}
    response = client.post(APPLY_URL, form)
    assert response.status_code == 303, response.data[:500]
    return response.headers["Location"]


def counts(soup) -> dict[str, str]:
    return {row.th.text: row.td.text for row in soup.select("table.import-counts tr")}


def sessions_count() -> int:
    return db.session.scalar(select(func.count()).select_from(TrainingSession))


def test_a_big_sessions_file_is_previewed_by_a_job_showing_progress_then_the_preview(
        client, big_file, monkeypatch):
    job_url = start_preview(client, big_file)
    assert job_url.startswith("/admin/sessions/import/jobs/")
    waiting = client.get_page(job_url)
    assert "Waiting for the worker" in waiting.select_one("#job-phase").text
    area = waiting.select_one("#import-area")
    assert area["data-hx-trigger"] == "every 1s" and area["data-hx-get"] == job_url
    assert waiting.select_one("nav [aria-current=page]").text.strip() == "Sessions"

    seen_while_running = []
    real_preview = session_import.preview

    def preview_and_look(*args, **kwargs):  # the page, seen by another request mid-job
        seen_while_running.append(client.htmx_get(job_url).data.decode())
        return real_preview(*args, **kwargs)

    monkeypatch.setattr(session_import, "preview", preview_and_look)
    assert len(run_jobs()) == 1
    running = BeautifulSoup(seen_while_running[0], "html.parser")
    assert f"{ROWS:,} of {ROWS:,} rows" in running.select_one("#job-phase").text  # all read
    assert running.select_one("progress")["value"] == "25"

    done = client.get_page(job_url)
    assert done.select_one("#import-area").get("data-hx-trigger") is None  # polling stops
    assert counts(done) == {"In error": "0", "Sessions to create": f"{ROWS:,}",
                            "Sessions to update": "0", "Unchanged": "0"}
    assert f"{ROWS:,} sessions read" in done.text
    assert "Cohorts" in done.select_one("#categories-to-create").text
    shown = done.select("#rows-create li")
    assert len(shown) == ROWS - 1 and shown[0].text == "Cohort 0000 (C-0000)"  # the first 200
    assert "the first 200 rows" in done.select_one("#rows-shown").text
    assert done.select_one("#import-area form button").text.startswith(f"Apply: create {ROWS}")
    assert sessions_count() == 0  # a preview writes nothing
    # An admin who left comes back through the import page, which lists the job.
    listed = client.get_page("/admin/sessions/import").select(".import-jobs a")
    assert [a["href"] for a in listed] == [job_url.replace("/sessions/import/", "/import/")]
    assert client.get(listed[0]["href"]).headers["Location"].endswith(job_url)


def test_the_apply_of_a_big_sessions_file_runs_as_a_job_and_creates_every_session(
        client, big_file):
    preview_url = start_preview(client, big_file)
    run_jobs()
    apply_url = start_apply(client, client.get_page(preview_url))
    assert apply_url != preview_url and sessions_count() == 0  # not before the worker runs it
    run_jobs()
    result = client.get_page(apply_url)
    assert result.select_one("#result-title").text == "Import applied"
    assert result.select_one("#result-created").text == f"{ROWS:,}"
    assert result.select_one("#result-categories").text == "1"
    assert f"and {ROWS - 50:,} more" in result.text
    assert sessions_count() == ROWS
    assert db.session.scalar(select(func.count()).select_from(SessionCourse)) == 2 * ROWS
    assert db.session.scalar(select(func.count()).select_from(ImportUpload)) == 0


def test_a_failing_sessions_apply_writes_nothing_and_says_why(client, big_file, monkeypatch):
    preview_url = start_preview(client, big_file)
    run_jobs()
    apply_url = start_apply(client, client.get_page(preview_url))
    real_create = sessions.create_session
    made = []

    def create_then_fail(db_session, *args, **kwargs):  # the database fails at the 150th
        made.append(real_create(db_session, *args, **kwargs))
        if len(made) == 150:
            db_session.execute(text("SELECT no_such_column FROM training_session"))
        return made[-1]

    monkeypatch.setattr(session_import, "create_session", create_then_fail)
    run_jobs()
    failed = client.get_page(apply_url)
    message = failed.select_one("#import-area [role=alert]").text
    assert message.startswith("Nothing was written: the import stopped on an unexpected error")
    assert "no_such_column" in message
    assert failed.select_one("#import-area").get("data-hx-trigger") is None
    back = failed.select_one("#import-area a[href='/admin/sessions']")
    assert back.text == "Back to the sessions"
    assert sessions_count() == 0
    assert db.session.scalar(select(func.count()).select_from(ImportUpload)) == 1  # kept
    job = db.session.get(Job, int(apply_url.rsplit("/", 1)[1]))
    assert (job.status, job.phase) == (JobStatus.FAILED.value, "writing")


def test_a_sessions_job_changed_meanwhile_shows_the_new_preview(client, big_file):
    preview_url = start_preview(client, big_file)
    run_jobs()
    preview_page = client.get_page(preview_url)
    cora = db.session.scalar(select(User).where(User.username == "cora"))
    make_session(cora, "Cohort 0007", code="C-0007")  # made by hand meanwhile
    apply_url = start_apply(client, preview_page)
    run_jobs()
    again = client.get_page(apply_url)
    assert "Something changed since the preview" in again.select_one("[role=alert]").text
    assert counts(again)["Sessions to create"] == f"{ROWS - 1:,}"
    assert sessions_count() == 1  # nothing of the file was written


def test_another_admins_sessions_job_is_not_shown(client, big_file, make_user):
    job_url = start_preview(client, big_file)
    make_user("other", role="admin")
    client.logout()
    client.login("other")
    assert client.get(job_url).status_code == 404
    assert client.get("/admin/sessions/import/jobs/999999").status_code == 404


def test_a_sessions_job_reached_by_the_enrolment_job_address_is_sent_under_sessions(
        client, big_file):
    job_url = start_preview(client, big_file)
    job_id = job_url.rsplit("/", 1)[1]
    response = client.get(f"/admin/import/jobs/{job_id}")
    assert response.status_code == 302 and response.headers["Location"] == job_url


def test_a_small_sessions_file_is_still_previewed_in_the_request(client, big_file):
    small = b"\n".join(big_file.split(b"\n")[:jobs.SESSION_JOB_ROWS + 1])  # 200 rows
    response = client.post(URL, {"file": (io.BytesIO(small), "cohorts.csv")})
    assert response.status_code == 200
    assert db.session.scalar(select(func.count()).select_from(Job)) == 0
