"""Simulated users for bench/load.py (locust): an admin on the session list, the busy
learner on My sessions, the coach on the grading page; and a health checker.

Each logs in once (as the scale data set's users, password ``scale-admin-2026``) and then
requests pages back to back, with no think time: 50 of them keep 50 requests in flight.
"""

import os
import random
import re

from locust import HttpUser, constant, task

PASSWORD = "scale-admin-2026"  # noqa: S105 - the published password of the scale data set
TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


class _SignedIn(HttpUser):
    abstract = True
    wait_time = constant(0)
    username = ""

    def on_start(self):
        page = self.client.get("/login", name="/login")
        token = TOKEN.search(page.text)
        response = self.client.post(
            "/login", name="/login (POST)", allow_redirects=False,
            data={"username": self.username, "password": PASSWORD,
                  "csrf_token": token.group(1) if token else ""})
        if response.status_code != 302:
            response.failure(f"login of {self.username} answered {response.status_code}")


class AdminUser(_SignedIn):
    weight = 2
    username = "scaleadmin"

    @task(4)
    def session_list(self):
        self.client.get("/admin/sessions", name="admin list")

    @task(1)
    def search(self):
        self.client.get(f"/admin/sessions?q=session+{random.randint(0, 99):02d}",  # noqa: S311
                        name="admin list: search")

    @task(1)
    def by_learners(self):
        self.client.get("/admin/sessions?sort=learners&dir=desc", name="admin list: by learners")

    @task(1)
    def deep_page(self):
        self.client.get(f"/admin/sessions?page={random.randint(2, 400)}",  # noqa: S311
                        name="admin list: page N")


class LearnerUser(_SignedIn):
    weight = 2
    username = "learner300"

    @task
    def my_sessions(self):
        tab = random.choice(("current", "past", "upcoming"))  # noqa: S311
        self.client.get(f"/my-sessions?tab={tab}", name="my sessions")


class CoachUser(_SignedIn):
    weight = 1
    username = "scalecoach"

    @task
    def grading(self):
        # bench/load.py passes the grading page of the "Scale: grading 2000" session.
        self.client.get(os.environ.get("LOAD_GRADING_URL", "/coach/sessions/2/courses/1/grading"),
                        name="grading")


class HealthUser(HttpUser):
    wait_time = constant(0)

    @task
    def health(self):
        self.client.get("/health", name="/health")
