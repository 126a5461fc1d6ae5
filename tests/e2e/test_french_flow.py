"""One flow in French, in a browser: the login page's switcher, My sessions, a session, a
hand-in, and the language kept in the profile."""

import re

from playwright.sync_api import expect

from tests.e2e.conftest import PASSWORD, check_accessibility
from tests.e2e.test_import_and_learner_flows import seed_learner_world


def test_a_learner_works_in_french_from_the_login_page_on(page, seed):
    seed_learner_world(seed)
    page.goto("/login")
    page.get_by_role("link", name="Français").click()
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("heading", level=1)).to_have_text("Se connecter")
    page.locator("input[name=username]").fill("lea")
    page.locator("input[name=password]").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()

    expect(page).to_have_url(re.compile("/my-sessions"))
    expect(page.get_by_role("heading", name="Sessions en cours")).to_be_visible()
    check_accessibility(page, "my-sessions-fr")
    page.locator("a[href*='tab=upcoming']").first.click()
    expect(page).to_have_url(re.compile(r"tab=upcoming"))
    expect(page.locator(".session-card .card-state")).to_contain_text("Ouvre le")
    expect(page.locator(".session-card .card-state")).to_contain_text("jours")

    page.goto("/profile")
    page.get_by_role("combobox", name="Langue").select_option("fr")
    page.get_by_role("button", name="Enregistrer la langue").click()
    expect(page.get_by_text("Les pages et les e-mails sont désormais en Français.")).to_be_visible()
    # The choice is the profile's now: a browser asking for English still gets French.
    page.context.set_extra_http_headers({"Accept-Language": "en"})
    page.context.clear_cookies(name="portal_language")
    page.goto("/my-sessions")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    assert not page.problems
