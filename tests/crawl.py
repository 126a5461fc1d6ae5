"""A crawl of the demo, role by role, for checks that look at every page: the pages each
role's menu leads to, following the links and the htmx requests the pages hold (an
``data-hx-get`` is fetched as htmx fetches it, so its fragment is what is checked).

Used by tests/test_pseudo_locale.py (no English escapes translation) and
tests/test_html_valid.py (the Nu HTML Checker finds no error)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from bs4 import BeautifulSoup

from portal.tools.demo import DEMO_LOGINS

START_PAGES = {
    "admin": ["/admin/", "/admin/sessions", "/admin/users", "/admin/courses", "/admin/classes",
              "/admin/categories", "/admin/history", "/admin/outbox", "/admin/import",
              "/admin/sessions/import", "/admin/api-tokens", "/admin/sessions/new",
              "/admin/users/new", "/admin/courses/new", "/admin/classes/new",
              "/admin/categories/new", "/admin/api-tokens/new", "/profile"],
    "coach": ["/coach/", "/coach/?tab=upcoming", "/coach/?tab=past", "/profile"],
    "teacher": ["/coach/", "/profile"],
    "learner": ["/my-sessions", "/my-sessions?tab=upcoming", "/my-sessions?tab=past",
                "/profile"],
}
PASSWORDS = {username: password for _, username, password in DEMO_LOGINS}
# Not pages: files, the language switcher and logging out.
SKIPPED_ENDPOINTS = {"static", "auth.choose_language", "auth.logout", "main.favicon",
                     "main.health", "learner.submission_file", "coach.submission_file",
                     "learner.calendar_feed", "learner.session_calendar",
                     "admin.sessions_export", "admin.history_export",
                     "coach.session_tracking_export",
                     # The API's reference is written for developers, in English like its
                     # field names and error bodies, by Swagger UI.
                     "api_docs.api_docs"}
PAGES_PER_ROLE = 300
URLS_PER_ENDPOINT = 4  # other sessions, tabs, filters of the same page


@dataclass(frozen=True)
class Visit:
    url: str
    endpoint: str
    fragment: bool  # fetched as htmx fetches it
    html: str


def links(page: BeautifulSoup) -> list[tuple[str, bool]]:
    """The page's GET links on the portal: (url, fetched as a fragment)."""
    found = [(a["href"], False) for a in page.find_all("a", href=True)]
    found += [(e["data-hx-get"], True) for e in page.find_all(attrs={"data-hx-get": True})]
    return [(url.split("#")[0], fragment) for url, fragment in found if url.startswith("/")]


def crawl(client, app, role: str) -> list[Visit]:
    """Log in as the demo's ``role`` and visit what its pages lead to."""
    assert client.login(role, PASSWORDS[role]).status_code == 302
    adapter = app.url_map.bind("localhost")
    seen, per_endpoint, visits = set(), {}, []
    queue = [(url, False) for url in START_PAGES[role]]
    while queue and len(seen) < PAGES_PER_ROLE:
        url, fragment = queue.pop(0)
        try:
            endpoint, _args = adapter.match(urlsplit(url).path, method="GET")
        except Exception:  # noqa: BLE001, S112 - a link to a non-GET route or elsewhere
            continue
        key = (endpoint, fragment)
        if endpoint in SKIPPED_ENDPOINTS or (url, fragment) in seen \
                or per_endpoint.get(key, 0) >= URLS_PER_ENDPOINT:
            continue
        seen.add((url, fragment))
        per_endpoint[key] = per_endpoint.get(key, 0) + 1
        response = client.get(url, headers={"HX-Request": "true"} if fragment else {})
        if response.status_code != 200 or not response.content_type.startswith("text/html"):
            continue
        html = response.get_data(as_text=True)
        visits.append(Visit(url, endpoint, fragment, html))
        queue += links(BeautifulSoup(html, "html.parser"))
    client.logout()
    return visits
