"""Time zones typed by people: "Europe/Berlin", "berlin", "New York", "Kolkata", "India", "UTC".

Built on zoneinfo with the tzdata package (its zone.tab, iso3166.tab, zonenow.tab and link
list too), so it works the same on every machine. Nothing here raises on user input: a name
that does not pick one place gives None, and `suggest_timezones` offers real zones instead.

What is accepted without asking is always a place ("Area/City", a city, a country with one
clock, or "UTC"), because only a place changes its clock for summer when the person does.
Abbreviations ("EST", "CET", "IST"), fixed offsets ("UTC+5:30", "+01:00") and the old
fixed or rule-only zones of tzdata (EST, MST, HST, CET, EST5EDT, Etc/GMT-5, ...) are refused
and answered with the places they usually stand for: EST is UTC-5 all year, so a New Yorker
who chose it would get the check-in an hour late all summer, and IST means India, Ireland or
Israel. A question costs one tap; a wrong clock costs months of mistimed check-ins.
"""

from __future__ import annotations

import difflib
import functools
import re
import unicodedata
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from importlib import resources
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
    "calcutta": "Asia/Kolkata",
    "delhi": "Asia/Kolkata",
    "new delhi": "Asia/Kolkata",
    "bangalore": "Asia/Kolkata",
    "bengaluru": "Asia/Kolkata",
    "chennai": "Asia/Kolkata",
    "hyderabad": "Asia/Kolkata",
    "beijing": "Asia/Shanghai",
    "saigon": "Asia/Ho_Chi_Minh",
    "kiev": "Europe/Kyiv",
    "washington": "America/New_York",
    "boston": "America/New_York",
    "miami": "America/New_York",
    "atlanta": "America/New_York",
    "philadelphia": "America/New_York",
    "montreal": "America/Toronto",
    "ottawa": "America/Toronto",
    "san francisco": "America/Los_Angeles",
    "seattle": "America/Los_Angeles",
    "san diego": "America/Los_Angeles",
    "las vegas": "America/Los_Angeles",
    "houston": "America/Chicago",
    "dallas": "America/Chicago",
    "austin": "America/Chicago",
    "munich": "Europe/Berlin",
    "frankfurt": "Europe/Berlin",
    "hamburg": "Europe/Berlin",
    "cologne": "Europe/Berlin",
    "barcelona": "Europe/Madrid",
    "milan": "Europe/Rome",
    "st petersburg": "Europe/Moscow",
    "rio de janeiro": "America/Sao_Paulo",
    "osaka": "Asia/Tokyo",
    "abu dhabi": "Asia/Dubai",
}

# Abbreviations, old fixed zones and words that name no single place -> the places people
# usually mean, likeliest first (at most three are shown). Keys are folded (`_fold`).
_ASK: Mapping[str, tuple[str, ...]] = {
    **dict.fromkeys(
        ("est", "edt", "et", "eastern", "eastern time", "eastern standard time", "est5edt"),
        ("America/New_York", "America/Toronto", "America/Panama"),
    ),
    **dict.fromkeys(
        ("cst", "central standard time"),
        ("America/Chicago", "America/Mexico_City", "Asia/Shanghai"),
    ),
    **dict.fromkeys(
        ("cdt", "ct", "central", "central time", "cst6cdt"),
        ("America/Chicago", "America/Winnipeg", "America/Mexico_City"),
    ),
    **dict.fromkeys(
        ("mst", "mdt", "mt", "mountain", "mountain time", "mountain standard time", "mst7mdt"),
        ("America/Denver", "America/Phoenix", "America/Edmonton"),
    ),
    **dict.fromkeys(
        ("pst", "pdt", "pt", "pacific", "pacific time", "pacific standard time", "pst8pdt"),
        ("America/Los_Angeles", "America/Vancouver", "America/Tijuana"),
    ),
    **dict.fromkeys(("akst", "akdt", "alaska"), ("America/Anchorage",)),
    **dict.fromkeys(("hst", "hdt", "hawaii"), ("Pacific/Honolulu",)),
    **dict.fromkeys(("ast", "adt"), ("America/Halifax", "Asia/Riyadh", "America/Puerto_Rico")),
    "nst": ("America/St_Johns",),
    "ndt": ("America/St_Johns",),
    "gmt": ("Europe/London", "Europe/Dublin", "UTC"),
    "bst": ("Europe/London", "Asia/Dhaka"),
    "ist": ("Asia/Kolkata", "Europe/Dublin", "Asia/Jerusalem"),
    **dict.fromkeys(
        ("cet", "cest", "met", "mest", "central european time"),
        ("Europe/Berlin", "Europe/Paris", "Europe/Rome"),
    ),
    **dict.fromkeys(("wet", "west"), ("Europe/Lisbon", "Atlantic/Canary")),
    **dict.fromkeys(
        ("eet", "eest", "eastern european time"),
        ("Europe/Athens", "Europe/Kyiv", "Africa/Cairo"),
    ),
    "msk": ("Europe/Moscow",),
    "sast": ("Africa/Johannesburg",),
    "cat": ("Africa/Maputo", "Africa/Harare", "Africa/Lusaka"),
    "eat": ("Africa/Nairobi", "Africa/Addis_Ababa", "Africa/Dar_es_Salaam"),
    "wat": ("Africa/Lagos", "Africa/Kinshasa"),
    "pkt": ("Asia/Karachi",),
    "hkt": ("Asia/Hong_Kong",),
    "sgt": ("Asia/Singapore",),
    "pht": ("Asia/Manila",),
    "wib": ("Asia/Jakarta",),
    "ict": ("Asia/Bangkok", "Asia/Ho_Chi_Minh"),
    "jst": ("Asia/Tokyo",),
    "kst": ("Asia/Seoul",),
    **dict.fromkeys(
        ("aest", "aedt"), ("Australia/Sydney", "Australia/Melbourne", "Australia/Brisbane")
    ),
    **dict.fromkeys(("acst", "acdt"), ("Australia/Adelaide", "Australia/Darwin")),
    "awst": ("Australia/Perth",),
    **dict.fromkeys(("nzst", "nzdt"), ("Pacific/Auckland",)),
    "brt": ("America/Sao_Paulo",),
    "art": ("America/Argentina/Buenos_Aires",),
    # A country and a US state.
    "georgia": ("Asia/Tbilisi", "America/New_York"),
}  # fmt: skip

# Common places to offer for a typed UTC offset, most people first; tzdata's zonenow.tab
# (one zone per clock in use today) fills in offsets none of these has.
_POPULAR: tuple[str, ...] = (
    "Asia/Kolkata", "Asia/Shanghai", "America/New_York", "Europe/London", "Europe/Paris",
    "Europe/Berlin", "Asia/Tokyo", "America/Chicago", "America/Los_Angeles", "America/Denver",
    "America/Phoenix", "America/Sao_Paulo", "America/Mexico_City", "America/Bogota",
    "America/Argentina/Buenos_Aires", "America/Toronto", "America/Halifax", "America/Caracas",
    "America/St_Johns", "America/Anchorage", "Pacific/Honolulu", "Europe/Madrid", "Europe/Rome",
    "Europe/Istanbul", "Europe/Moscow", "Europe/Athens", "Europe/Kyiv", "Africa/Lagos",
    "Africa/Cairo", "Africa/Johannesburg", "Africa/Nairobi", "Asia/Dubai", "Asia/Tehran",
    "Asia/Karachi", "Asia/Kathmandu", "Asia/Dhaka", "Asia/Yangon", "Asia/Bangkok",
    "Asia/Jakarta", "Asia/Singapore", "Asia/Manila", "Asia/Seoul", "Australia/Perth",
    "Australia/Darwin", "Australia/Adelaide", "Australia/Sydney", "Australia/Brisbane",
    "Pacific/Auckland", "Pacific/Fiji", "Europe/Lisbon", "Atlantic/Reykjavik", "Atlantic/Azores",
    "Atlantic/Cape_Verde", "America/Noronha", "Asia/Kabul", "Asia/Tashkent", "Asia/Colombo",
)  # fmt: skip

# Countries with several clocks: their zones by population, so the first three shown are the
# ones most people there need (the rest follow tzdata's zone.tab order).
_COUNTRY_ORDER: Mapping[str, tuple[str, ...]] = {
    "US": ("America/New_York", "America/Los_Angeles", "America/Chicago", "America/Denver",
           "America/Phoenix", "America/Anchorage", "Pacific/Honolulu"),
    "CA": ("America/Toronto", "America/Vancouver", "America/Edmonton", "America/Winnipeg",
           "America/Halifax", "America/Regina", "America/St_Johns"),
    "AU": ("Australia/Sydney", "Australia/Brisbane", "Australia/Perth", "Australia/Adelaide",
           "Australia/Darwin"),
    "BR": ("America/Sao_Paulo", "America/Manaus", "America/Rio_Branco", "America/Noronha"),
    "RU": ("Europe/Moscow", "Asia/Yekaterinburg", "Asia/Novosibirsk", "Asia/Krasnoyarsk",
           "Asia/Vladivostok", "Europe/Kaliningrad"),
    "MX": ("America/Mexico_City", "America/Tijuana", "America/Cancun", "America/Hermosillo"),
    "ID": ("Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"),
}  # fmt: skip

# Other names people use for a country, folded, to its ISO code.
_COUNTRY_ALIASES: Mapping[str, str] = {
    "usa": "US",
    "us": "US",
    "u.s.": "US",
    "u.s.a.": "US",
    "america": "US",
    "united states of america": "US",
    "uk": "GB",
    "united kingdom": "GB",
    "great britain": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "northern ireland": "GB",
    "korea": "KR",
    "holland": "NL",
    "the netherlands": "NL",
    "czechia": "CZ",
    "russian federation": "RU",
    "uae": "AE",
    "emirates": "AE",
    "ivory coast": "CI",
}

_NOT_FOR_PEOPLE = frozenset({"Factory", "localtime", "posixrules"})
# Prefer the modern "Continent/City" names over old aliases such as US/Eastern or
# Asia/Istanbul, so a city resolves to the zone a person would recognise.
_REGION_ORDER = (
    "Europe", "America", "Asia", "Africa", "Australia", "Pacific", "Atlantic", "Indian",
    "Antarctica",
)  # fmt: skip
_UTC = "UTC"


def _fold(text: str) -> str:
    """Lower case, no accents, '_' and runs of spaces as one space: "São_Paulo" -> "sao paulo"."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"[\s_]+", " ", plain).strip().lower()


def _preference(zone: str) -> tuple[int, int, str]:
    region = zone.split("/", 1)[0]
    rank = _REGION_ORDER.index(region) if region in _REGION_ORDER else len(_REGION_ORDER)
    return rank, zone.count("/"), zone


def _tzdata_table(name: str) -> list[list[str]]:
    """The rows of one of tzdata's .tab files, tab-separated; [] if this tzdata lacks it."""
    try:
        text = resources.files("tzdata").joinpath("zoneinfo", name).read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError, NotADirectoryError):
        return []
    return [line.split("\t") for line in text.splitlines() if line and not line.startswith("#")]


@functools.cache
def _links() -> dict[str, str]:
    """Alias -> target, from tzdata's compact source ("L Asia/Kolkata Asia/Calcutta")."""
    found: dict[str, str] = {}
    for row in _tzdata_table("tzdata.zi"):
        parts = row[0].split()
        if len(parts) == 3 and parts[0] == "L":
            found[parts[2]] = parts[1]
    return found


@functools.cache
def _country_zones_tab() -> dict[str, list[str]]:
    """ISO code -> its zones in zone.tab order (one country per row, its own city names)."""
    zones: dict[str, list[str]] = {}
    for row in _tzdata_table("zone.tab"):
        if len(row) >= 3:
            zones.setdefault(row[0], []).append(row[2])
    return zones


@functools.cache
def _places() -> frozenset[str]:
    """The zones offered and stored: each a place a person lives, named as tzdata names it.

    zone.tab's names (so Oslo stays Europe/Oslo, not the Europe/Berlin it links to) and every
    real "Area/City" zone; not renamed cities (Asia/Calcutta), old country names (US/Eastern,
    Japan), POSIX names (EST5EDT) or Etc/* - typed, those lead to one of these."""
    available = available_timezones()
    listed = {zone for zones in _country_zones_tab().values() for zone in zones}
    links = _links()
    real = {
        zone for zone in available if zone not in links and zone.split("/", 1)[0] in _REGION_ORDER
    }
    return frozenset((listed | real) & available)


def _modern(zone: str) -> str | None:
    """The place an old or renamed zone name stands for, or None ("Factory", Etc/GMT+5)."""
    places = _places()
    for _ in range(3):  # tzdata links point at zones, so one step is the rule
        if zone in places or zone not in _links():
            break
        zone = _links()[zone]
    if zone in places:
        return zone
    if zone in ("Etc/UTC", "Etc/GMT"):
        return _UTC
    return None


@functools.cache
def _by_name() -> dict[str, str]:
    """Folded full name or city (last part) -> the place a person most likely means.

    Places are known by full name and city; old names only by their full name, because their
    last parts ("US/Eastern", "Australia/North", "Brazil/East") are no places. Abbreviations
    and fixed zones are never here: `_ASK` and the offset rules answer them.
    """
    best: dict[str, tuple[tuple[int, tuple[int, int, str]], str]] = {}

    def offer(key: str, exact: int, zone: str) -> None:
        if key in _ASK:
            return
        rank = (exact, _preference(zone))
        if key not in best or rank < best[key][0]:
            best[key] = (rank, zone)

    places = _places()
    for name in available_timezones() - _NOT_FOR_PEOPLE:
        zone = _modern(name)
        if zone is None:
            continue
        offer(_fold(name), 0 if name == zone else 1, zone)
        if name in places:
            offer(_fold(name.rsplit("/", 1)[-1]), 2, zone)
    names = {key: zone for key, (_, zone) in best.items()}
    names[_fold(_UTC)] = _UTC
    return {**names, **ALIASES}


@functools.cache
def _clocks(zone: str) -> tuple[timedelta | None, ...]:
    """The zone's offsets through this year: zones with equal clocks are one choice."""
    year = datetime.now(UTC).year
    tz = ZoneInfo(zone)
    return tuple(datetime(year, month, 15, 12, tzinfo=UTC).astimezone(tz).utcoffset()
                 for month in range(1, 13))  # fmt: skip


@functools.cache
def _countries() -> dict[str, tuple[str, ...]]:
    """Folded country name -> its places, one per distinct clock, most people first."""
    names: dict[str, str] = {}
    for row in _tzdata_table("iso3166.tab"):
        if len(row) < 2:
            continue
        code, name = row[0], row[1]
        plain = re.sub(r"[()]", "", name)
        keys = {name, plain, plain.replace("&", "and")}
        inner = re.search(r"^(.*?)\s*\((.*)\)$", name)
        if inner:  # "Korea (South)" -> "South Korea", "Britain (UK)" -> "Britain"
            keys |= {f"{inner.group(2)} {inner.group(1)}", inner.group(1)}
        for key in keys:
            names.setdefault(_fold(key), code)
    names.update(_COUNTRY_ALIASES)
    places = _places()
    found: dict[str, tuple[str, ...]] = {}
    for key, code in names.items():
        listed = _country_zones_tab().get(code, [])
        ordered = [*_COUNTRY_ORDER.get(code, ()), *listed]
        zones: list[str] = []
        for zone in ordered:
            if zone in places and all(_clocks(zone) != _clocks(z) for z in zones):
                zones.append(zone)
        if zones and key not in _ASK:
            found[key] = tuple(zones)
    return found


def city_label(zone: str) -> str:
    """ "America/New_York" -> "New York"."""
    return zone.rsplit("/", 1)[-1].replace("_", " ")


# "UTC+5:30", "GMT+1", "+05:30", "utc -3", "+0530": a sign is needed without the prefix,
# since "7:30" is a time of day, not a zone.
_OFFSET_RE = re.compile(
    r"^(?:(?:utc|gmt)\s*)?([+\-\u2212])\s*(\d{1,2})(?:\s*[:.h]?\s*(\d{2}))?$", re.IGNORECASE
)
# tzdata's POSIX-style names have the sign reversed: Etc/GMT-5 is UTC+5.
_ETC_RE = re.compile(r"^etc\s*/\s*gmt\s*([+-])\s*(\d{1,2})$")


def _typed_offset(key: str) -> int | None:
    """The UTC offset in minutes that a typed offset names (maybe impossible: see
    `_real_offset`); None when `key` is no offset at all."""
    typed = _OFFSET_RE.match(key)
    if typed is not None:
        sign = -1 if typed.group(1) in "-\u2212" else 1
        return sign * (int(typed.group(2)) * 60 + int(typed.group(3) or 0))
    etc = _ETC_RE.match(key)
    if etc is not None:
        return (1 if etc.group(1) == "-" else -1) * int(etc.group(2)) * 60
    return None


def _real_offset(minutes: int) -> bool:
    """Clocks run from UTC-12 to UTC+14, in quarter hours (Nepal: +5:45)."""
    return minutes % 15 == 0 and -12 * 60 <= minutes <= 14 * 60


def _zones_at_offset(minutes: int, now: datetime) -> list[str]:
    """Places whose clocks are `minutes` ahead of UTC at `now`: the common ones first."""
    wanted = timedelta(minutes=minutes)
    nowtab = [row[2] for row in _tzdata_table("zonenow.tab") if len(row) >= 3]
    found = [_UTC] if minutes == 0 else []
    places = _places()
    for zone in (*_POPULAR, *nowtab):
        if (
            zone in places
            and zone not in found
            and now.astimezone(ZoneInfo(zone)).utcoffset() == wanted
        ):
            found.append(zone)
    return found


def _resolve_key(key: str) -> str | None:
    """One folded name -> the place it names alone, or None (unknown, or needs a choice)."""
    if not key or key in _ASK or _typed_offset(key) is not None:
        return None
    zone = _by_name().get(key) or _by_name().get(re.sub(r"\s*/\s*", "/", key))
    if zone is not None:
        return zone
    # A country with one clock is as good as its capital; with more, the person must choose.
    country = _countries().get(key, ())
    return country[0] if len(country) == 1 else None


def _parts(key: str) -> list[str]:
    """ "berlin, germany" -> ["berlin", "germany"]: city first, then the wider area."""
    return [part.strip() for part in key.split(",") if part.strip()]


def resolve_timezone(text: str) -> ZoneInfo | None:
    """The zone a person meant, or None. Full names, cities, countries with one clock, any case;
    "City, Country" by the city (or by the country when the city is not known)."""
    if not isinstance(text, str) or len(text) > MAX_INPUT_CHARS:
        return None
    key = _fold(text)
    zone = _resolve_key(key)
    parts = _parts(key)
    if zone is None and len(parts) > 1:
        zone = _resolve_key(parts[0]) or _resolve_key(parts[-1])
    if zone is None:
        return None
    try:
        return ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):  # pragma: no cover - names come from tzdata
        return None


def refusal_reason(text: str) -> str | None:
    """Why a name that looks like a zone was not taken: "abbreviation" (EST, IST, CET, old
    fixed zones), "offset" (UTC+5:30, Etc/GMT-5) or "country" (one with several clocks); None
    otherwise. Texts can explain the suggestions with it."""
    if not isinstance(text, str):
        return None
    key = _fold(text[:MAX_INPUT_CHARS])
    if key in _ASK:
        return "abbreviation"
    offset = _typed_offset(key)
    if offset is not None and _real_offset(offset):
        return "offset"
    if len(_countries().get(key, ())) > 1:
        return "country"
    return None


def _close(key: str, n: int) -> list[str]:
    """Places whose names start like `key` or are spelt nearly like it."""
    names = {**{k: z[0] for k, z in _countries().items()}, **_by_name()}
    found: list[str] = []
    # A typed beginning ("kolk", "los ang") is the likeliest intent; then spelling slips.
    prefixed = [name for name in names if len(key) >= 3 and name.startswith(key)]
    close = difflib.get_close_matches(key, list(names), n=n * 4, cutoff=0.7)
    for name in [*sorted(prefixed, key=len), *close]:
        zone = names[name]
        if zone not in found:
            found.append(zone)
    return found


def _first(zones: Iterable[str], n: int) -> list[str]:
    return list(dict.fromkeys(zones))[:n]


def suggest_timezones(text: str, n: int = 3, *, now: datetime | None = None) -> list[str]:
    """Up to `n` place names for `text` (best first); [] when nothing fits. Every one is
    accepted by `resolve_timezone`. `now` (aware) decides which places a typed UTC offset
    matches; the real time by default."""
    if not isinstance(text, str) or n <= 0:
        return []
    key = _fold(text[:MAX_INPUT_CHARS])
    if not key:
        return []
    if key in _ASK:
        return list(_ASK[key][:n])
    offset = _typed_offset(key)
    if offset is not None:
        if not _real_offset(offset):
            return []
        return _zones_at_offset(offset, now or datetime.now(UTC))[:n]
    if key in _countries():
        return list(_countries()[key][:n])
    parts = _parts(key)
    if len(parts) > 1:
        zones = [suggest_timezones(part, n, now=now) for part in (parts[0], parts[-1])]
        return _first([*zones[0], *zones[1]], n)
    resolved = _resolve_key(key)
    return [resolved] if resolved is not None else _close(key, n)[:n]


def zone_label(zone: str, now: datetime) -> str:
    """ "Europe/Berlin (UTC+01:00)": the offset in force at `now` (aware)."""
    offset = now.astimezone(ZoneInfo(zone)).utcoffset()
    minutes = round(offset.total_seconds() // 60) if offset is not None else 0
    sign = "+" if minutes >= 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"{zone} (UTC{sign}{hours:02d}:{rest:02d})"
