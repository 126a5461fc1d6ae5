"""The time zones people choose from: the canonical ones, each with its current offset.

The zone database also carries some 300 old names kept for compatibility (links such as
Africa/Asmera or US/Pacific). Pickers offer only the canonical zones (those of
``zone1970.tab``, plus UTC); a zone already stored under an old name stays valid, is shown
as it is, and is accepted unchanged on save.
"""

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from importlib import resources
from pathlib import Path
from zoneinfo import TZPATH, available_timezones

from .dates import available_zone_names, zone
from .language import gettext as _

TABLE = "zone1970.tab"


@dataclass(frozen=True)
class ZoneOption:
    """One entry of a zone picker: the name stored, and what the list shows."""

    name: str
    offset: str  # "UTC+01:00"

    @property
    def label(self) -> str:
        return f"{self.name} ({self.offset})"


def _table_text() -> str:
    """zone1970.tab from the same places zoneinfo reads zones: the system's, else tzdata's."""
    for folder in TZPATH:
        path = Path(folder) / TABLE
        if path.is_file():
            return path.read_text(encoding="utf-8")
    return resources.files("tzdata.zoneinfo").joinpath(TABLE).read_text(encoding="utf-8")


@cache
def canonical_zone_names() -> tuple[str, ...]:
    """The zones to offer, sorted by name: those of zone1970.tab that this system can
    load, and UTC."""
    known = available_timezones()
    names = {"UTC"}
    for line in _table_text().splitlines():
        if line and not line.startswith("#"):
            columns = line.split("\t")
            if len(columns) >= 3 and columns[2] in known:
                names.add(columns[2])
    return tuple(sorted(names))


def is_valid_zone(name: str) -> bool:
    """Any zone the database knows, old names included: what a form may store."""
    return name in available_zone_names()


def offset_text(name: str, now: datetime) -> str:
    """The zone's offset from UTC at ``now``: "UTC+01:00", "UTC-03:30", "UTC+00:00"."""
    offset = now.astimezone(zone(name)).utcoffset()
    minutes = int(offset.total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    hours, minutes = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{minutes:02d}"


def zone_options(now: datetime, keep: str | None = None) -> list[ZoneOption]:
    """The canonical zones with their offsets at ``now``, by name; ``keep`` (a zone
    already stored, perhaps under an old name) is added when it is not among them."""
    names = list(canonical_zone_names())
    if keep and keep not in names and is_valid_zone(keep):
        names = sorted([*names, keep])
    return [ZoneOption(name, offset_text(name, now)) for name in names]


def unknown_zone_message(name: str) -> str:
    return _("%(name)s is not a time zone we know. Pick one from the list, such as "
             "Europe/Paris, or leave it empty for the portal's zone.", name=name)
