"""The API documentation page in a real browser: Swagger UI (vendored, started from a
script file) draws every operation of the served specification, under the page's
script-src 'self' policy, with a clean console."""

from playwright.sync_api import expect


def test_the_docs_page_draws_the_operations_with_a_clean_console(page):
    page.goto("/api/docs")
    expect(page.get_by_text("Session portal API").first).to_be_visible()
    expect(page.get_by_text("List sessions", exact=True)).to_be_visible()
    expect(page.get_by_text("Create a session", exact=True)).to_be_visible()
    # An operation opens on click and shows its parameters, from the same specification.
    page.get_by_text("List sessions", exact=True).click()
    expect(page.get_by_text("Parameters", exact=True).first).to_be_visible()
    expect(page.locator(".opblock-tag").first).to_be_visible()
    assert page.problems == []


def test_the_docs_page_keeps_its_policy(page):
    response = page.goto("/api/docs")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self';" in policy and "unsafe-inline" not in policy.split("style-src")[0]
    expect(page.get_by_text("List sessions", exact=True)).to_be_visible()
    assert page.problems == []
