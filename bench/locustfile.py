"""Simulated users for bench/load.py (locust), all in ONE run so that every page's figures
and /health's are measured under the same load, interleaved: admins on the session list,
the History page and a big session's page; the busy learner on My sessions; the coach on
the grading page; and health checkers, who never log in.

The signed-in users log in once (as the scale data set's users, password
``scale-admin-2026``), then request pages back to back with no think time. A page answers
200 or counts as failed: a redirect (to the login page, say) is a failure, not a success.

With ``LOAD_REQUESTS_CSV`` set, every request is written there as it completes:
``time`` (epoch seconds at completion), ``name``, ``response_time_ms``, ``failed`` (0/1)
and ``error``; bench/load.py splits those rows into the login phase and the steady state.
"""

import csv
import os
import random
import re
import time

from locust import HttpUser, constant, events, task

PASSWORD = "scale-admin-2026"  # noqa: S105 - the published password of the scale data set
TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
LOGIN_POST = "/login (POST)"
_requests_file = None
_requests_writer = None


@events.init.add_listener
def _open_requests_csv(environment, **_kwargs):
    global _requests_file, _requests_writer
    path = os.environ.get("LOAD_REQUESTS_CSV")
    if path:
        _requests_file = open(path, "w", newline="")  # noqa: SIM115 - closed at quitting
        _requests_writer = csv.writer(_requests_file)
        _requests_writer.writerow(["time", "name", "response_time_ms", "failed", "error"])


@events.request.add_listener
def _record_request(name, response_time, exception, **_kwargs):
    if _requests_writer is not None:
        error = "" if exception is None else str(exception).replace("\n", " ")[:200]
        _requests_writer.writerow([f"{time.time():.4f}", name, f"{response_time:.1f}",
                                   int(exception is not None), error])


@events.quitting.add_listener
def _close_requests_csv(environment, **_kwargs):
    if _requests_file is not None:
        _requests_file.close()


class _SignedIn(HttpUser):
    abstract = True
    wait_time = constant(0)
    username = ""

    def on_start(self):
        page = self.client.get("/login", name="/login")
        token = TOKEN.search(page.text)
        with self.client.post(
            "/login", name=LOGIN_POST, allow_redirects=False, catch_response=True,
            data={"username": self.username, "password": PASSWORD,
                  "csrf_token": token.group(1) if token else ""},
        ) as response:
            if response.status_code != 302:
                response.failure(f"login of {self.username} answered {response.status_code}")

    def page(self, url: str, name: str) -> None:
        """GET ``url``; anything but a 200 (a redirect to /login included) is a failure."""
        with self.client.get(url, name=name, allow_redirects=False,
                             catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"{name} answered {response.status_code}")


class AdminUser(_SignedIn):
    weight = 4
    username = "scaleadmin"

    @task(4)
    def session_list(self):
        self.page("/admin/sessions", "admin list")

    @task(1)
    def search(self):
        self.page(f"/admin/sessions?q=session+{random.randint(0, 99):02d}",  # noqa: S311
                  "admin list: search")

    @task(1)
    def by_learners(self):
        self.page("/admin/sessions?sort=learners&dir=desc", "admin list: by learners")

    @task(1)
    def deep_page(self):
        self.page(f"/admin/sessions?page={random.randint(2, 400)}",  # noqa: S311
                  "admin list: page N")

    @task(1)
    def history(self):
        self.page("/admin/history", "admin history")

    @task(1)
    def big_session(self):
        # bench/load.py passes the page of the "Scale: 5000 learners" session.
        self.page(os.environ.get("LOAD_SESSION_URL", "/admin/sessions/1"),
                  "admin session page")


class LearnerUser(_SignedIn):
    weight = 2
    username = "learner300"

    @task
    def my_sessions(self):
        tab = random.choice(("current", "past", "upcoming"))  # noqa: S311
        self.page(f"/my-sessions?tab={tab}", "my sessions")


class CoachUser(_SignedIn):
    weight = 1
    username = "scalecoach"

    @task
    def grading(self):
        # bench/load.py passes the grading page of the "Scale: grading 2000" session.
        self.page(os.environ.get("LOAD_GRADING_URL", "/coach/sessions/2/courses/1/grading"),
                  "grading")


class HealthUser(HttpUser):
    """The ceiling: /health reads no database, measured in the same run as the pages."""

    weight = 1
    wait_time = constant(0)

    @task
    def health(self):
        with self.client.get("/health", name="/health", catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"/health answered {response.status_code}")
