"""The language of the pages: chosen by the user, else by the login page's switcher,
else by the browser, else by the portal; dates and numbers follow it."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from portal.domain import language
from portal.domain.dates import days_text, format_bound, format_local, until_text, window_words
from portal.extensions import db

PARIS = ZoneInfo("Europe/Paris")


def _lang_of(page) -> str:
    return page.select_one("html")["lang"]


def test_the_portal_language_is_used_when_nothing_else_says(app, client):
    assert _lang_of(client.get_page("/login")) == "en"
    app.config["PORTAL_LANGUAGE"] = "es"
    page = client.get_page("/login")
    assert _lang_of(page) == "es"
    assert page.select_one("h1").text == "Iniciar sesión"


def test_the_browser_language_comes_before_the_portal_language(client):
    page = client.get_page("/login", headers={"Accept-Language": "de-DE, fr-CA;q=0.8, en;q=0.5"})
    assert _lang_of(page) == "fr"
    assert page.select_one("h1").text == "Se connecter"
    assert page.select_one("button[type=submit]").text == "Se connecter"


def test_the_login_page_switcher_keeps_the_choice(client):
    page = client.get_page("/login")
    links = {a.text: a["href"] for a in page.select(".language-switch a")}
    assert set(links) == {"Français", "Español"}  # English is the current one, not a link
    assert page.select_one(".language-switch [aria-current]").text == "English"
    answer = client.get(links["Español"])
    assert answer.status_code == 302 and answer.headers["Location"].startswith("/login")
    page = client.get_page("/login", headers={"Accept-Language": "fr"})
    assert _lang_of(page) == "es"  # the choice beats the browser


def test_the_switcher_ignores_unknown_languages_and_foreign_targets(client):
    answer = client.get("/language/xx?next=https://elsewhere.example/")
    assert answer.status_code == 302 and answer.headers["Location"] == "/login"
    assert "portal_language" not in answer.headers.get("Set-Cookie", "")
    assert _lang_of(client.get_page("/login")) == "en"


def test_the_users_own_language_comes_first(client, make_user):
    user = make_user("ana", language="fr")
    db.session.commit()
    client.get("/language/es")
    client.login(user.username)
    page = client.get_page("/", follow_redirects=True, headers={"Accept-Language": "en"})
    assert _lang_of(page) == "fr"


# --- formats --------------------------------------------------------------------------

EVENING = datetime(2027, 7, 15, 12, 30, tzinfo=UTC)  # 14:30 in Paris
MIDNIGHT_END = datetime(2027, 7, 15, 22, 0, tzinfo=UTC)  # the whole of 15 Jul in Paris


@pytest.mark.parametrize(("code", "at_time", "whole_day", "until"), [
    ("en", "15 Jul 2027 at 14:30", "15 Jul 2027", "until 15 Jul 2027"),
    ("fr", "15 juil. 2027 à 14:30", "15 juil. 2027", "jusqu’au 15 juil. 2027"),
    ("es", "15 jul 2027, 14:30", "15 jul 2027", "hasta el 15 jul 2027"),
])
def test_dates_read_in_the_language(code, at_time, whole_day, until):
    with language.speaking(code):
        assert format_local(EVENING, PARIS) == at_time
        assert format_bound(MIDNIGHT_END, PARIS, is_end=True) == whole_day
        assert until_text(MIDNIGHT_END, PARIS) == until


def test_plural_forms_follow_each_language():
    with language.speaking("en"):
        assert [days_text(n) for n in (0, 1, 2)] == ["0 days", "1 day", "2 days"]
    with language.speaking("fr"):  # French: 0 and 1 are singular
        assert [days_text(n) for n in (0, 1, 2, 1500)] == [
            "0 jour", "1 jour", "2 jours", "1\u202f500 jours"]  # narrow no-break space
    with language.speaking("es"):
        assert [days_text(n) for n in (0, 1, 2)] == ["0 días", "1 día", "2 días"]


def test_numbers_and_percentages_follow_the_language():
    with language.speaking("en"):
        assert language.number_text(1234.5) == "1,234.5"
        assert language.percent_text(0.825, decimals=1) == "82.5%"
    with language.speaking("fr"):
        assert language.number_text(1234.5) == "1\u202f234,5"
        assert language.percent_text(0.825, decimals=1) == "82,5\u00a0%"
        assert language.percent_text(0.68) == "68\u00a0%"
    with language.speaking("es"):
        assert language.number_text(1234.5) == "1.234,5"
        assert language.percent_text(0.825, decimals=1) == "82,5\u00a0%"


def test_a_window_reads_in_the_language():
    start = datetime(2027, 3, 1, 8, 0, tzinfo=UTC)
    with language.speaking("fr"):
        assert window_words(None, None, PARIS) == "toujours"
        assert window_words(start, None, PARIS) == "à partir du 1 mars 2027 à 09:00"
    assert language.current_code() == "en"  # the block ended, English again


def test_day_texts_are_cached_per_language():
    with language.speaking("fr"):
        french = format_bound(datetime(2027, 12, 3, tzinfo=UTC), ZoneInfo("UTC"), is_end=False)
    english = format_bound(datetime(2027, 12, 3, tzinfo=UTC), ZoneInfo("UTC"), is_end=False)
    assert (french, english) == ("3 déc. 2027", "3 Dec 2027")
    assert date(2027, 12, 3).isoformat() == "2027-12-03"


def test_the_profile_sets_the_users_language_and_journals_it(client, make_user):
    from portal.models import JournalEntry

    user = make_user("ana")
    db.session.commit()
    client.login("ana")
    page = client.get_page("/profile")
    assert [o["value"] for o in page.select("select[name=language] option")] == [
        "", "en", "fr", "es"]
    answer = client.post("/profile/language", {"language": "es"})
    assert answer.status_code == 303
    page = client.get_page("/profile")
    assert _lang_of(page) == "es"
    assert "Las páginas y los correos electrónicos están ahora en Español." in page.text
    db.session.refresh(user)
    assert user.language == "es"
    entry = db.session.query(JournalEntry).filter_by(object_type="user").one()
    assert entry.after == {"language": "es"}
    assert client.post("/profile/language", {"language": "xx"}).status_code == 422
    client.post("/profile/language", {"language": ""})
    db.session.refresh(user)
    assert user.language is None


@pytest.mark.parametrize(("code", "typed", "wanted"), [
    ("en", "03/31/2027", datetime(2027, 3, 30, 22, 0, tzinfo=UTC)),
    ("fr", "31/03/2027", datetime(2027, 3, 30, 22, 0, tzinfo=UTC)),
    ("es", "31/03/2027 14:30", datetime(2027, 3, 31, 12, 30, tzinfo=UTC)),
    ("fr", "2027-03-31", datetime(2027, 3, 30, 22, 0, tzinfo=UTC)),  # ISO in every language
])
def test_date_fields_read_the_languages_own_form(code, typed, wanted):
    from portal.domain.dates import parse_local

    with language.speaking(code):
        assert parse_local(typed, PARIS, is_end=False) == wanted


@pytest.mark.parametrize(("code", "typed", "hint"), [
    ("en", "31/03/2027", "Write a date as 2026-03-31 or 03/31/2026"),
    ("fr", "03/31/2027", "Écrivez une date sous la forme 2026-03-31 ou 31/03/2026"),
    ("es", "31/02/2027", "Escriba una fecha como 2026-03-31 o 31/03/2026"),
])
def test_a_date_in_the_wrong_form_says_which_forms_are_read(code, typed, hint):
    from portal.domain.dates import DateInputError, date_forms_hint, parse_local

    with language.speaking(code):
        with pytest.raises(DateInputError, match=hint):
            parse_local(typed, PARIS, is_end=False)
        assert "2026-03-31" in date_forms_hint()


def test_static_files_load_no_user_for_the_language(client, make_user, count_queries):
    make_user("ana", language="fr")
    db.session.commit()
    client.login("ana")
    with count_queries() as counter:
        assert client.get("/static/css/app.css").status_code == 200
    assert counter.count == 0
