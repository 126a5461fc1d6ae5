"""Calling the JSON API in tests: a token for an admin, and a client that sends it."""

from datetime import timedelta

import pytest

from portal.domain import api_tokens
from portal.domain.journal import SYSTEM
from portal.extensions import db
from tests.helpers import NOW


def make_token(owner, scopes=None, *, name="HR system", days=30, now=NOW) -> str:
    """A new token of ``owner`` (every scope by default); returns its secret."""
    new = api_tokens.create_token(db.session, owner, name, list(scopes or api_tokens.SCOPES),
                                  now + timedelta(days=days), by=SYSTEM, now=now)
    db.session.commit()
    return new.secret


class ApiClient:
    """The Flask test client with ``Authorization: Bearer`` on every call."""

    def __init__(self, flask_client, secret: str | None):
        self.client = flask_client
        self.secret = secret

    def _headers(self, headers):
        out = dict(headers or {})
        if self.secret is not None:
            out.setdefault("Authorization", f"Bearer {self.secret}")
        return out

    def get(self, url, headers=None, **kwargs):
        return self.client.get(url, headers=self._headers(headers), **kwargs)

    def post(self, url, json=None, headers=None, **kwargs):
        return self.client.post(url, json=json, headers=self._headers(headers), **kwargs)

    def patch(self, url, json=None, headers=None, **kwargs):
        return self.client.patch(url, json=json, headers=self._headers(headers), **kwargs)

    def put(self, url, json=None, headers=None, **kwargs):
        return self.client.put(url, json=json, headers=self._headers(headers), **kwargs)

    def delete(self, url, headers=None, **kwargs):
        return self.client.delete(url, headers=self._headers(headers), **kwargs)


@pytest.fixture
def api_admin(make_user, frozen_now):
    return make_user("apiadmin", role="admin", first_name="Api", last_name="Owner")


@pytest.fixture
def api(app, api_admin):
    """An API client with a token of every scope, owned by ``api_admin``."""
    return ApiClient(app.test_client(), make_token(api_admin))
