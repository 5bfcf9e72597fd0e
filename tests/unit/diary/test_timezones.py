"""Time zones typed by people: names, cities, garbage, suggestions and labels."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.diary.reminders import suggestion_screen
from bot.diary.timezones import (
    REGIONS,
    city_label,
    refusal_reason,
    resolve_timezone,
    suggest_timezones,
    zone_label,
)
from tests.harness import real_content


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


WINTER = datetime(2026, 1, 15, 12, tzinfo=UTC)
SUMMER = datetime(2026, 7, 15, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("typed", "first_three"),
    [
        ("EST", ["America/New_York", "America/Toronto", "America/Panama"]),
        ("edt", ["America/New_York", "America/Toronto", "America/Panama"]),
        ("EST5EDT", ["America/New_York", "America/Toronto", "America/Panama"]),
        ("CST", ["America/Chicago", "America/Mexico_City", "Asia/Shanghai"]),
        ("MST", ["America/Denver", "America/Phoenix", "America/Edmonton"]),
        ("PDT", ["America/Los_Angeles", "America/Vancouver", "America/Tijuana"]),
        ("HST", ["Pacific/Honolulu"]),
        ("GMT", ["Europe/London", "Europe/Dublin", "UTC"]),
        ("BST", ["Europe/London", "Asia/Dhaka"]),
        ("CET", ["Europe/Berlin", "Europe/Paris", "Europe/Rome"]),
        ("cest", ["Europe/Berlin", "Europe/Paris", "Europe/Rome"]),
        ("EET", ["Europe/Athens", "Europe/Kyiv", "Africa/Cairo"]),
        ("IST", ["Asia/Kolkata", "Europe/Dublin", "Asia/Jerusalem"]),  # India, Ireland, Israel
        ("AEST", ["Australia/Sydney", "Australia/Melbourne", "Australia/Brisbane"]),
        ("JST", ["Asia/Tokyo"]),
        ("NZST", ["Pacific/Auckland"]),
        ("Eastern Time", ["America/New_York", "America/Toronto", "America/Panama"]),
    ],
)
def test_abbreviations_and_old_fixed_zones_ask_for_the_place(
    typed: str, first_three: list[str]
) -> None:
    # EST is UTC-5 all year: taken as typed, a New Yorker's check-in is an hour late all summer.
    assert resolve_timezone(typed) is None
    assert suggest_timezones(typed) == first_three
    assert refusal_reason(typed) == "abbreviation"


def test_new_york_follows_summer_time_where_est_would_not() -> None:
    chosen = resolve_timezone(suggest_timezones("EST")[0])
    assert chosen is not None
    assert SUMMER.astimezone(chosen).utcoffset() == timedelta(hours=-4)
    assert WINTER.astimezone(chosen).utcoffset() == timedelta(hours=-5)


@pytest.mark.parametrize(
    ("typed", "now", "first"),
    [
        ("UTC+5:30", WINTER, ["Asia/Kolkata", "Asia/Colombo"]),
        ("+05:30", SUMMER, ["Asia/Kolkata", "Asia/Colombo"]),
        ("+0530", SUMMER, ["Asia/Kolkata", "Asia/Colombo"]),
        ("GMT+1", WINTER, ["Europe/Paris", "Europe/Berlin", "Europe/Madrid"]),
        ("GMT+1", SUMMER, ["Europe/London", "Africa/Lagos", "Europe/Lisbon"]),
        ("UTC-5", WINTER, ["America/New_York", "America/Bogota", "America/Toronto"]),
        ("UTC-5", SUMMER, ["America/Chicago", "America/Bogota", "America/Winnipeg"]),
        ("utc +3", WINTER, ["Europe/Istanbul", "Europe/Moscow", "Africa/Nairobi"]),
        ("UTC\u22124", SUMMER, ["America/New_York", "America/Toronto", "America/Caracas"]),
        ("GMT+0", WINTER, ["UTC", "Europe/London", "Europe/Lisbon"]),
        ("+5:45", WINTER, ["Asia/Kathmandu"]),
        # tzdata's POSIX names are reversed: Etc/GMT-1 is UTC+1.
        ("Etc/GMT-1", WINTER, ["Europe/Paris", "Europe/Berlin", "Europe/Madrid"]),
        ("etc/gmt+5", WINTER, ["America/New_York", "America/Bogota", "America/Toronto"]),
    ],
)
def test_utc_offsets_offer_the_places_at_that_offset_now(
    typed: str, now: datetime, first: list[str]
) -> None:
    assert resolve_timezone(typed) is None
    suggestions = suggest_timezones(typed, now=now)
    assert suggestions == first
    # All at the same offset now, each a place that follows its own summer time.
    assert len({now.astimezone(ZoneInfo(zone)).utcoffset() for zone in suggestions}) == 1
    assert refusal_reason(typed) == "offset"


@pytest.mark.parametrize("typed", ["Etc/GMT+1", "etc/gmt-3", "UTC+15", "GMT-13", "+05:17"])
def test_reversed_posix_names_and_impossible_offsets_are_refused(typed: str) -> None:
    assert resolve_timezone(typed) is None


@pytest.mark.parametrize("typed", ["UTC+15", "GMT-13", "+05:17"])
def test_impossible_offsets_suggest_nothing(typed: str) -> None:
    assert suggest_timezones(typed, now=WINTER) == []
    assert refusal_reason(typed) is None


@pytest.mark.parametrize(
    ("typed", "zone"),
    [
        ("India", "Asia/Kolkata"),
        ("india", "Asia/Kolkata"),
        ("Germany", "Europe/Berlin"),  # Busingen keeps the same clock: no question
        ("Norway", "Europe/Oslo"),  # its own name, not the Europe/Berlin tzdata links it to
        ("UK", "Europe/London"),
        ("Japan", "Asia/Tokyo"),
        ("South Korea", "Asia/Seoul"),
    ],
)
def test_a_country_with_one_clock_is_its_zone(typed: str, zone: str) -> None:
    resolved = resolve_timezone(typed)
    assert resolved is not None and resolved.key == zone
    assert suggest_timezones(typed)[0] == zone


@pytest.mark.parametrize(
    ("typed", "first"),
    [
        ("USA", ["America/New_York", "America/Los_Angeles", "America/Chicago"]),
        ("United States", ["America/New_York", "America/Los_Angeles", "America/Chicago"]),
        ("Canada", ["America/Toronto", "America/Vancouver", "America/Edmonton"]),
        ("Australia", ["Australia/Sydney", "Australia/Brisbane", "Australia/Perth"]),
        ("Spain", ["Europe/Madrid", "Atlantic/Canary"]),
        ("Georgia", ["Asia/Tbilisi", "America/New_York"]),  # the country or the US state
    ],
)
def test_a_country_with_several_clocks_asks(typed: str, first: list[str]) -> None:
    assert resolve_timezone(typed) is None
    assert suggest_timezones(typed) == first


def test_a_misspelt_country_is_suggested() -> None:
    assert suggest_timezones("Inida") == ["Asia/Kolkata"]


@pytest.mark.parametrize(
    ("typed", "zone"),
    [
        ("Berlin, Germany", "Europe/Berlin"),
        ("New York, NY", "America/New_York"),
        ("Kolkata, India", "Asia/Kolkata"),
        ("Mumbai, Maharashtra, India", "Asia/Kolkata"),
        ("Pune, India", "Asia/Kolkata"),  # an unknown town in a country with one clock
    ],
)
def test_city_and_country(typed: str, zone: str) -> None:
    resolved = resolve_timezone(typed)
    assert resolved is not None and resolved.key == zone
    assert suggest_timezones(typed)[0] == zone


def test_a_misspelt_city_with_its_country_is_suggested() -> None:
    assert resolve_timezone("Berln, Germany") is not None  # the country has one clock
    assert resolve_timezone("Sidney, Australia") is None
    assert suggest_timezones("Sidney, Australia")[0] == "Australia/Sydney"


@pytest.mark.parametrize(
    ("typed", "zone"),
    [
        ("US/Eastern", "America/New_York"),
        ("Asia/Calcutta", "Asia/Kolkata"),
        ("Canada/Atlantic", "America/Halifax"),
        ("Etc/UTC", "UTC"),
        ("Zulu", "UTC"),
    ],
)
def test_old_names_that_follow_a_place_become_that_place(typed: str, zone: str) -> None:
    resolved = resolve_timezone(typed)
    assert resolved is not None and resolved.key == zone


@pytest.mark.parametrize(
    "typed",
    [
        "EST", "IST", "India", "USA", "Berlin, Germany", "Sidney, Australia", "GMT+1", "+05:30",
        "Berln", "north", "Atlantis", "US/Eastern", "Eastern", "pacific", "Australia/North",
        "America", "Etc/GMT-1", "kolk", "san", "new", "Georgia",
    ],
)  # fmt: skip
def test_every_suggestion_is_a_place_accepted_as_it_is_shown(typed: str) -> None:
    for now in (WINTER, SUMMER):
        suggestions = suggest_timezones(typed, now=now)
        assert len(suggestions) <= 3
        for zone in suggestions:
            resolved = resolve_timezone(zone)
            assert resolved is not None and resolved.key == zone, (typed, zone)
            assert refusal_reason(zone) is None


def test_the_suggestion_screen_of_reminders_offers_new_york_for_est() -> None:
    content = real_content()
    screen = suggestion_screen(content, time(7, 30), "EST")
    labels = [button.text for button in screen.all_buttons()]
    assert labels[:3] == ["America/New_York", "America/Toronto", "America/Panama"]
    assert "“EST”" in screen.text
