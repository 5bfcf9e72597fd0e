"""Time zones typed by people: names, cities, garbage, suggestions and labels."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.timezones import REGIONS, city_label, resolve_timezone, suggest_timezones, zone_label


@pytest.mark.parametrize(
    ("text", "zone"),
    [
        ("Europe/Berlin", "Europe/Berlin"),
        ("europe/berlin", "Europe/Berlin"),
        ("  Berlin ", "Europe/Berlin"),
        ("Kolkata", "Asia/Kolkata"),
        ("New York", "America/New_York"),
        ("new_york", "America/New_York"),
        ("NEW   YORK", "America/New_York"),
        ("America/New York", "America/New_York"),
        ("UTC", "UTC"),
        ("utc", "UTC"),
        ("São Paulo", "America/Sao_Paulo"),
        ("Singapore", "Asia/Singapore"),  # the modern zone, not the old top-level alias
        ("Istanbul", "Europe/Istanbul"),
        ("Chatham", "Pacific/Chatham"),
        ("Mumbai", "Asia/Kolkata"),  # a big city without a zone of its own
    ],
)
def test_resolve(text: str, zone: str) -> None:
    resolved = resolve_timezone(text)
    assert resolved is not None
    assert resolved.key == zone


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "garbage",
        "Berln",
        "Europe/",
        "/",
        "7:30",
        "Factory",
        "localtime",
        "x" * 200,
        "Europe/Berlin; DROP TABLE users",
    ],
)
def test_resolve_unknown_is_none(text: str) -> None:
    assert resolve_timezone(text) is None


@pytest.mark.parametrize(
    ("text", "first"),
    [
        ("Berln", "Europe/Berlin"),
        ("kolkatta", "Asia/Kolkata"),
        ("new yrok", "America/New_York"),
        ("Lndon", "Europe/London"),
        ("Sidney", "Australia/Sydney"),
        ("Los Angles", "America/Los_Angeles"),
        ("kolk", "Asia/Kolkata"),
    ],
)
def test_suggestions(text: str, first: str) -> None:
    suggestions = suggest_timezones(text)
    assert suggestions[0] == first
    assert len(suggestions) <= 3
    assert all(resolve_timezone(s) is not None for s in suggestions)


@pytest.mark.parametrize("text", ["", "qqqqzzzz", "\x00\x01", "🙂" * 500, "/" * 70])
def test_suggestions_never_raise(text: str) -> None:
    assert suggest_timezones(text) == []


def test_regions_are_real_zones_with_readable_labels() -> None:
    assert set(REGIONS) == {"europe", "americas", "asia_pacific", "africa"}
    for zones in REGIONS.values():
        for zone in zones:
            assert ZoneInfo(zone).key == zone
            assert resolve_timezone(city_label(zone)) == ZoneInfo(zone)
    assert city_label("America/Sao_Paulo") == "Sao Paulo"
    assert "America/New_York" in REGIONS["americas"]
    assert "Asia/Kolkata" in REGIONS["asia_pacific"]


@pytest.mark.parametrize(
    ("zone", "moment", "label"),
    [
        ("Europe/Berlin", datetime(2025, 1, 15, tzinfo=UTC), "Europe/Berlin (UTC+01:00)"),
        ("Europe/Berlin", datetime(2025, 7, 15, tzinfo=UTC), "Europe/Berlin (UTC+02:00)"),
        ("Asia/Kolkata", datetime(2025, 7, 15, tzinfo=UTC), "Asia/Kolkata (UTC+05:30)"),
        ("America/New_York", datetime(2025, 1, 15, tzinfo=UTC), "America/New_York (UTC-05:00)"),
        ("America/St_Johns", datetime(2025, 1, 15, tzinfo=UTC), "America/St_Johns (UTC-03:30)"),
        ("Pacific/Chatham", datetime(2025, 1, 15, tzinfo=UTC), "Pacific/Chatham (UTC+13:45)"),
        ("Pacific/Chatham", datetime(2025, 7, 15, tzinfo=UTC), "Pacific/Chatham (UTC+12:45)"),
        ("UTC", datetime(2025, 7, 15, tzinfo=UTC), "UTC (UTC+00:00)"),
    ],
)
def test_zone_label(zone: str, moment: datetime, label: str) -> None:
    assert zone_label(zone, moment) == label


@pytest.mark.parametrize(
    ("typed", "hours"),
    [("GMT+1", 1), ("UTC-5", -5), ("utc +3", 3), ("GMT+0", 0), ("UTC+05:00", 5)],
)
def test_utc_offsets_mean_what_people_mean(typed: str, hours: int) -> None:
    zone = resolve_timezone(typed)
    assert zone is not None
    offset = datetime(2026, 1, 15, 12, tzinfo=zone).utcoffset()
    assert offset == timedelta(hours=hours)


@pytest.mark.parametrize("typed", ["Etc/GMT+1", "etc/gmt-3", "UTC+15", "GMT-13"])
def test_reversed_posix_names_and_impossible_offsets_are_refused(typed: str) -> None:
    assert resolve_timezone(typed) is None
