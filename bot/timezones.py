"""Time zones typed by people: "Europe/Berlin", "berlin", "New York", "Kolkata", "UTC".

Built on zoneinfo with the tzdata package, so it works the same on every machine. Nothing here
raises on user input: an unknown name gives None, and `suggest_timezones` offers close ones.
"""

from __future__ import annotations

import difflib
import functools
import re
import unicodedata
from collections.abc import Mapping
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

MAX_INPUT_CHARS = 64

# For the buttons of /reminders: a few large cities per region (region ids have texts
# `reminders.region.<id>`; button labels come from `city_label`).
REGIONS: Mapping[str, tuple[str, ...]] = {
    "europe": (
        "Europe/London",
        "Europe/Paris",
        "Europe/Berlin",
        "Europe/Madrid",
        "Europe/Athens",
        "Europe/Moscow",
    ),
    "americas": (
        "America/New_York",
        "America/Chicago",
        "America/Denver",
        "America/Los_Angeles",
        "America/Mexico_City",
        "America/Sao_Paulo",
    ),
    "asia_pacific": (
        "Asia/Dubai",
        "Asia/Kolkata",
        "Asia/Singapore",
        "Asia/Shanghai",
        "Asia/Tokyo",
        "Australia/Sydney",
        "Pacific/Auckland",
    ),
    "africa": ("Africa/Lagos", "Africa/Cairo", "Africa/Nairobi", "Africa/Johannesburg"),
}

# Big cities that do not name a zone of their own, mapped to the zone they live in.
ALIASES: Mapping[str, str] = {
    "mumbai": "Asia/Kolkata",
    "bombay": "Asia/Kolkata",
    "delhi": "Asia/Kolkata",
    "new delhi": "Asia/Kolkata",
    "bangalore": "Asia/Kolkata",
    "bengaluru": "Asia/Kolkata",
    "beijing": "Asia/Shanghai",
    "washington": "America/New_York",
    "boston": "America/New_York",
    "miami": "America/New_York",
    "san francisco": "America/Los_Angeles",
    "seattle": "America/Los_Angeles",
    "houston": "America/Chicago",
    "dallas": "America/Chicago",
    "munich": "Europe/Berlin",
    "frankfurt": "Europe/Berlin",
    "hamburg": "Europe/Berlin",
    "barcelona": "Europe/Madrid",
    "milan": "Europe/Rome",
    "st petersburg": "Europe/Moscow",
    "rio de janeiro": "America/Sao_Paulo",
    "osaka": "Asia/Tokyo",
    "abu dhabi": "Asia/Dubai",
}

_NOT_FOR_PEOPLE = frozenset({"Factory", "localtime", "posixrules"})
# Prefer the modern "Continent/City" names over old aliases such as US/Eastern or
# Asia/Istanbul, so a city resolves to the zone a person would recognise.
_REGION_ORDER = (
    "Europe", "America", "Asia", "Africa", "Australia", "Pacific", "Atlantic", "Indian",
    "Antarctica",
)  # fmt: skip


def _fold(text: str) -> str:
    """Lower case, no accents, '_' and runs of spaces as one space: "São_Paulo" -> "sao paulo"."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"[\s_]+", " ", plain).strip().lower()


def _preference(zone: str) -> tuple[int, int, str]:
    region = zone.split("/", 1)[0]
    rank = _REGION_ORDER.index(region) if region in _REGION_ORDER else len(_REGION_ORDER)
    return rank, zone.count("/"), zone


@functools.cache
def _by_name() -> dict[str, str]:
    """Folded full name or city (last part) -> the zone a person most likely means.

    "singapore" names both the old "Singapore" and "Asia/Singapore": a modern zone wins, then
    an exact full name ("UTC" over "Etc/UTC"), then the general preference.
    """
    best: dict[str, tuple[tuple[int, int, tuple[int, int, str]], str]] = {}
    for zone in available_timezones() - _NOT_FOR_PEOPLE:
        modern = int(zone.split("/", 1)[0] not in _REGION_ORDER)
        for key, exact in ((_fold(zone), 0), (_fold(zone.rsplit("/", 1)[-1]), 1)):
            rank = (modern, exact, _preference(zone))
            if key not in best or rank < best[key][0]:
                best[key] = (rank, zone)
    return {**{key: zone for key, (_, zone) in best.items()}, **ALIASES}


def city_label(zone: str) -> str:
    """ "America/New_York" -> "New York"."""
    return zone.rsplit("/", 1)[-1].replace("_", " ")


_OFFSET_RE = re.compile(r"^(?:utc|gmt)\s*([+-])\s*(\d{1,2})(?::?00)?$", re.IGNORECASE)


def _fixed_offset_zone(match: re.Match[str]) -> ZoneInfo | None:
    """ "UTC+1" / "GMT-5" as people mean them, mapped to tzdata's reversed Etc/GMT names."""
    sign, hours = match.group(1), int(match.group(2))
    if hours == 0:
        return ZoneInfo("Etc/UTC")
    if hours > 14 or (sign == "-" and hours > 12):
        return None
    flipped = "-" if sign == "+" else "+"
    return ZoneInfo(f"Etc/GMT{flipped}{hours}")


def resolve_timezone(text: str) -> ZoneInfo | None:
    """The zone a person meant, or None. Full names and city names, any case."""
    if not isinstance(text, str) or len(text) > MAX_INPUT_CHARS:
        return None
    offset = _OFFSET_RE.match(text.strip())
    if offset is not None:
        return _fixed_offset_zone(offset)
    key = _fold(text)
    if key.startswith(("etc/gmt+", "etc/gmt-")):
        # POSIX names have the sign reversed (Etc/GMT+1 is UTC-1): nobody means that.
        return None
    zone = _by_name().get(key) or _by_name().get(key.replace(" / ", "/"))
    if zone is None:
        return None
    try:
        return ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):  # pragma: no cover - names come from tzdata
        return None


def suggest_timezones(text: str, n: int = 3) -> list[str]:
    """Up to `n` zone names close to `text` (best first); [] when nothing is close."""
    if not isinstance(text, str) or n <= 0:
        return []
    key = _fold(text[:MAX_INPUT_CHARS])
    if not key:
        return []
    names = _by_name()
    found: list[str] = []
    # A typed beginning ("kolk", "los ang") is the likeliest intent; then spelling slips.
    prefixed = [name for name in names if len(key) >= 3 and name.startswith(key)]
    close = difflib.get_close_matches(key, list(names), n=n * 4, cutoff=0.7)
    for name in [*sorted(prefixed, key=len), *close]:
        zone = names[name]
        if zone not in found:
            found.append(zone)
        if len(found) == n:
            break
    return found


def zone_label(zone: str, now: datetime) -> str:
    """ "Europe/Berlin (UTC+01:00)": the offset in force at `now` (aware)."""
    offset = now.astimezone(ZoneInfo(zone)).utcoffset()
    minutes = round(offset.total_seconds() // 60) if offset is not None else 0
    sign = "+" if minutes >= 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"{zone} (UTC{sign}{hours:02d}:{rest:02d})"
