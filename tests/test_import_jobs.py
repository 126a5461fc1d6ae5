"""Big enrolment imports run as jobs by the worker: progress, result, failure, claiming."""

import io
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from portal.domain import csv_import, enrolment, jobs
from portal.extensions import db
from portal.models import Enrolment, ImportUpload, Job, JobStatus, User
from tests.helpers import NOW, make_session, run_jobs

ROOT = Path(__file__).resolve().parent.parent
ROWS = jobs.JOB_ROWS + 1_000  # 6,000 rows: over the limit a request handles itself


@pytest.fixture
def admin(client, make_user, frozen_now):
    user = make_user("root", role="admin")
    client.login("root")
    return user


@pytest.fixture
def big_file(admin, make_user):
    """A session and ROWS learners not enrolled yet; the CSV that enrols them all."""
    session = make_session(make_user("cora", role="teacher"), "Onboarding")
    db.session.execute(User.__table__.insert(), [
        {"username": f"big{i:05}", "email": f"big{i}@example.org", "first_name": "Big",
         "last_name": f"{i:05}", "role": "learner", "active": True} for i in range(ROWS)])
    db.session.commit()
    lines = ["username,session"] + [f"big{i:05},Onboarding" for i in range(ROWS)]
    return session, "\n".join(lines).encode()


def upload(client, data, url="/admin/import"):
    return client.post(url, {"file": (io.BytesIO(data), "term.csv")})






def enrolled() -> int:
    return db.session.scalar(select(func.count()).select_from(Enrolment))


def start_preview(client, data, url="/admin/import") -> str:
    response = upload(client, data, url)
    assert response.status_code == 303, response.data[:500]
    return response.headers["Location"]


def test_a_big_file_is_previewed_by_a_job_whose_page_shows_progress_then_the_preview(
        client, big_file, monkeypatch):
    _, data = big_file
    job_url = start_preview(client, data)
    waiting = client.get_page(job_url)
    assert "Waiting for the worker" in waiting.select_one("#job-phase").text
    area = waiting.select_one("#import-area")
    assert area["data-hx-trigger"] == "every 1s" and area["data-hx-get"] == job_url
    assert waiting.select_one("noscript meta[http-equiv=refresh]") is not None

    seen_while_running = []
    real_preview = csv_import.preview

    def preview_and_look(*args, **kwargs):  # the page, seen by another request mid-job
        seen_while_running.append(client.htmx_get(job_url).data.decode())
        return real_preview(*args, **kwargs)

    monkeypatch.setattr(csv_import, "preview", preview_and_look)
    assert len(run_jobs()) == 1
    running = BeautifulSoup(seen_while_running[0], "html.parser")
    assert f"{ROWS:,} of {ROWS:,} rows" in running.select_one("#job-phase").text  # all read
    assert running.select_one("progress")["value"] == "50"

    done = client.get_page(job_url)
    assert done.select_one("#import-area").get("data-hx-trigger") is None  # polling stops
    counts = {row.th.text: row.td.text for row in done.select(".import-counts tr")}
    assert counts["Will be enrolled"] == f"{ROWS:,}"
    assert f"{ROWS:,} rows read" in done.text
    apply_button = done.select_one("#import-area form button[type=submit]")
    assert apply_button.text.startswith(f"Apply: enrol {ROWS:,}")
    assert enrolled() == 0  # a preview writes nothing
    listed = client.get_page("/admin/import").select(".import-jobs a")
    assert [a["href"] for a in listed] == [job_url]


def apply_form_of(soup: BeautifulSoup) -> dict:
    form = soup.select_one("#import-area form")
    return {field["name"]: field.get("value", "") for field in form.select("input[name]")
            if field["name"] != "csrf_token"}


def test_the_apply_of_a_big_file_runs_as_a_job_and_enrols_everyone(client, big_file):
    _, data = big_file
    preview_url = start_preview(client, data)
    run_jobs()
    response = client.post("/admin/import/apply", apply_form_of(client.get_page(preview_url)))
    assert response.status_code == 303
    apply_url = response.headers["Location"]
    assert apply_url != preview_url
    assert enrolled() == 0  # nothing before the worker runs it
    run_jobs()
    result = client.get_page(apply_url)
    assert result.select_one("#result-title").text == "Import applied"
    assert result.select_one("#result-added").text == f"{ROWS:,}"
    assert enrolled() == ROWS
    assert db.session.scalar(select(func.count()).select_from(ImportUpload)) == 0


def test_a_failing_apply_writes_nothing_and_says_why(client, big_file, monkeypatch):
    _, data = big_file
    preview_url = start_preview(client, data)
    run_jobs()
    apply_url = client.post("/admin/import/apply",
                            apply_form_of(client.get_page(preview_url))).headers["Location"]
    real_apply_import = enrolment.apply_import

    def apply_then_fail(db_session, *args, **kwargs):  # the database fails after the writes
        changes = real_apply_import(db_session, *args, **kwargs)
        db_session.execute(text("SELECT no_such_column FROM enrolment"))
        return changes

    monkeypatch.setattr(enrolment, "apply_import", apply_then_fail)
    run_jobs()
    failed = client.get_page(apply_url)
    message = failed.select_one("#import-area [role=alert]").text
    assert message.startswith("Nothing was written: the import stopped on an unexpected error")
    assert "no_such_column" in message
    assert failed.select_one("#import-area").get("data-hx-trigger") is None
    assert enrolled() == 0
    assert db.session.scalar(select(func.count()).select_from(ImportUpload)) == 1  # kept
    job = db.session.get(Job, int(apply_url.rsplit("/", 1)[1]))
    assert (job.status, job.phase) == (JobStatus.FAILED.value, "writing")


def test_another_admins_job_is_not_shown(client, big_file, make_user):
    _, data = big_file
    job_url = start_preview(client, data)
    make_user("other", role="admin")
    client.logout()
    client.login("other")
    assert client.get(job_url).status_code == 404
    assert client.get("/admin/import/jobs/999999").status_code == 404


def test_the_progress_fragment_costs_the_same_queries_whatever_its_state(
        client, big_file, count_queries):
    _, data = big_file
    job_url = start_preview(client, data)
    job = db.session.scalar(select(Job))

    def queries() -> int:
        with count_queries() as counter:
            assert client.htmx_get(job_url).status_code == 200
        return counter.count

    waiting = queries()
    job.status, job.phase, job.rows_done, job.started_at = "running", "reading", 3_000, NOW
    db.session.commit()
    assert queries() == waiting
    run_jobs()
    assert queries() <= waiting + 1  # the preview: read from the job, not previewed again


def test_a_job_whose_worker_died_is_taken_again_after_its_lease(client, big_file):
    _, data = big_file
    start_preview(client, data)
    with Session(db.engine) as first, Session(db.engine) as second:
        assert len(jobs.claim_due(first, now=NOW)) == 1  # then that worker dies
        assert jobs.claim_due(second, now=NOW + jobs.LEASE - timedelta(seconds=1)) == []
        again = jobs.claim_due(second, now=NOW + jobs.LEASE)
        assert [job.tries for job in again] == [2]


def test_two_claimers_on_postgresql_claim_one_job_once(client, big_file):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SKIP LOCKED is PostgreSQL's")
    _, data = big_file
    start_preview(client, data)
    with Session(db.engine) as first, Session(db.engine) as second:
        # The first claimer is between its SELECT … FOR UPDATE and its UPDATE.
        first.execute(select(Job.id).with_for_update())
        assert jobs.claim_due(second, now=NOW) == []  # skipped, not waited for
        first.rollback()
        assert len(jobs.claim_due(first, now=NOW)) == 1
        assert jobs.claim_due(second, now=NOW) == []


def test_the_worker_process_runs_a_job_with_drain(app, client, big_file):
    _, data = big_file
    job_url = start_preview(client, data)
    env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "SECRET_KEY": "test-secret-key", "SMTP_URL": "", "MAIL_FOLDER": ""}
    result = subprocess.run(  # noqa: S603 - a fixed command line
        [sys.executable, "-m", "flask", "--app", "portal", "worker", "--drain",
         "--now", NOW.isoformat()], env=env, cwd=ROOT, capture_output=True, text=True,
        timeout=120)
    assert result.returncode == 0, result.stderr
    done = client.get_page(job_url)
    assert done.select_one("#preview-title").text == "Preview of term.csv"


def test_a_big_file_on_a_sessions_page_keeps_to_that_session(client, big_file):
    session, data = big_file
    data = b"\n".join(line.rsplit(b",", 1)[0] for line in data.split(b"\n"))  # no session column
    job_url = start_preview(client, data, url=f"/admin/sessions/{session.id}/import")
    run_jobs()
    done = client.get_page(job_url)
    assert done.select_one("#import-area form")["action"] == \
        f"/admin/sessions/{session.id}/import/apply"
    assert session.name in done.select_one("h1").text


def test_a_big_file_that_creates_accounts_shows_them_and_makes_them(client, big_file):
    _, data = big_file
    data = data.replace(b"username,session", b"username,session,email,first_name,last_name") \
        + b"\n,Onboarding,nia@example.org,Nia,New\n,Onboarding,oto@example.org,Oto,New"
    response = client.post("/admin/import", {"file": (io.BytesIO(data), "term.csv"),
                                             "create_accounts": "y"})
    job_url = response.headers["Location"]
    run_jobs()
    preview_page = client.get_page(job_url)
    counts = {row.th.text: row.td.text for row in preview_page.select(".import-counts tr")}
    assert counts["Accounts to create"] == "2"
    assert "nia@example.org" in preview_page.select_one("#import-area").text
    apply_url = client.post("/admin/import/apply",
                            apply_form_of(preview_page)).headers["Location"]
    run_jobs()
    assert client.get_page(apply_url).select_one("#result-added").text == f"{ROWS + 2:,}"
    assert db.session.scalar(select(func.count()).select_from(User).where(
        User.email.in_(["nia@example.org", "oto@example.org"]))) == 2
