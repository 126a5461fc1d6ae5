"""Time-zone pickers offer the canonical zones with their current offset; a zone stored
under an old name still shows and saves unchanged."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from portal.domain.zones import canonical_zone_names, offset_text, zone_options
from portal.extensions import db
from portal.models import User

WINTER = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
SUMMER = datetime(2026, 7, 15, 12, 0, tzinfo=UTC)


def test_canonical_zones_leave_out_old_aliases_and_keep_utc():
    names = canonical_zone_names()
    assert "Europe/Paris" in names and "Africa/Nairobi" in names and "UTC" in names
    for alias in ("Africa/Asmera", "US/Pacific", "Europe/Kiev", "GMT+0", "Etc/GMT-3"):
        assert alias not in names
    assert list(names) == sorted(names)
    assert 250 < len(names) < 400  # not the ~600 names of the whole database


@pytest.mark.parametrize(("name", "now", "shown"), [
    ("Europe/Paris", WINTER, "UTC+01:00"),
    ("Europe/Paris", SUMMER, "UTC+02:00"),
    ("America/St_Johns", WINTER, "UTC-03:30"),
    ("Asia/Kolkata", SUMMER, "UTC+05:30"),
    ("UTC", SUMMER, "UTC+00:00"),
])
def test_offset_is_the_one_at_the_given_instant(name, now, shown):
    assert offset_text(name, now) == shown


def test_options_are_labelled_with_the_offset_and_keep_a_stored_alias():
    options = {option.name: option for option in zone_options(WINTER)}
    assert options["Europe/Paris"].label == "Europe/Paris (UTC+01:00)"
    assert "Africa/Asmera" not in options
    kept = [option.name for option in zone_options(WINTER, keep="Africa/Asmera")]
    assert "Africa/Asmera" in kept and kept == sorted(kept)
    assert "Mars/Olympus" not in [o.name for o in zone_options(WINTER, keep="Mars/Olympus")]


@pytest.fixture
def lea(client, make_user, frozen_now):
    user = make_user("lea", timezone="Africa/Asmera")
    client.login("lea")
    return user


def test_profile_offers_canonical_zones_searchable_and_shows_a_stored_alias(client, lea):
    page = client.get_page("/profile")
    zone_input = page.select_one("#timezone")
    assert zone_input.name == "input" and zone_input["value"] == "Africa/Asmera"
    options = page.select(f"datalist#{zone_input['list']} option")
    labels = [option["label"] for option in options]
    assert "Europe/Paris (UTC+01:00)" in labels  # the frozen clock is in November
    values = [option["value"] for option in options]
    assert "US/Pacific" not in values and "Africa/Asmera" in values
    assert len(values) < 400


def test_a_stored_alias_saves_unchanged_and_unknown_names_are_refused(client, lea):
    assert client.post("/profile/timezone", {"timezone": "Africa/Asmera"}).status_code == 303
    assert db.session.scalar(select(User.timezone).where(User.id == lea.id)) == "Africa/Asmera"
    page = client.post_page("/profile/timezone", {"timezone": "Mars/Olympus"}, status=422)
    assert "Pick one from the list" in page.select_one("#timezone-error").text
    assert client.post("/profile/timezone", {"timezone": "Europe/Paris"}).status_code == 303
    assert db.session.scalar(select(User.timezone).where(User.id == lea.id)) == "Europe/Paris"


def test_admin_user_form_offers_the_same_zones(client, make_user, frozen_now):
    make_user("root", role="admin")
    old = make_user("old", timezone="US/Pacific")
    client.login("root")
    page = client.get_page("/admin/users/new")
    options = page.select(f"datalist#{page.select_one('#timezone')['list']} option")
    values = [option["value"] for option in options]
    assert "Europe/Paris" in values and "US/Pacific" not in values
    page = client.get_page(f"/admin/users/{old.id}")
    assert page.select_one("#timezone")["value"] == "US/Pacific"
    assert "US/Pacific (UTC-08:00)" in [o["label"] for o in page.select("datalist option")]
