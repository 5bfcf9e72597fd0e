"""Local-morning time math across daylight-saving changes (bot/schedule.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.diary.schedule import (
    format_local_time,
    local_night_for,
    morning_due_now,
    next_checkin_at,
    next_local_occurrence,
    parse_local_time,
    resolve_local,
)

EIGHT = time(8, 0)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7:30", time(7, 30)),
        ("07:30", time(7, 30)),
        (" 7.30 ", time(7, 30)),
        ("7h30", time(7, 30)),
        ("730", time(7, 30)),
        ("0730", time(7, 30)),
        ("7", time(7, 0)),
        ("23:59", time(23, 59)),
        ("0:00", time(0, 0)),
        ("7:30 am", time(7, 30)),
        ("7pm", time(19, 0)),
        ("12am", time(0, 0)),
        ("12:15 PM", time(12, 15)),
        ("24:00", None),
        ("7:60", None),
        ("13pm", None),
        ("0am", None),
        ("7:3", None),
        ("seven", None),
        ("", None),
        ("7:30:00", None),
        ("12345", None),
        ("-7:30", None),
    ],
)
def test_parse_local_time(text: str, expected: time | None) -> None:
    assert parse_local_time(text) == expected


def test_format_local_time_is_the_stored_form() -> None:
    assert format_local_time(time(7, 5)) == "07:05"


# (zone, a day well before a change, a day well after it): around every change of 2024.
DST_CHANGES = [
    ("Europe/Berlin", date(2024, 3, 28), 7),  # spring forward 31 Mar
    ("Europe/Berlin", date(2024, 10, 24), 7),  # fall back 27 Oct
    ("America/New_York", date(2024, 3, 7), 7),  # 10 Mar
    ("America/New_York", date(2024, 10, 31), 7),  # 3 Nov
    ("Australia/Sydney", date(2024, 4, 4), 7),  # fall back 7 Apr
    ("Australia/Sydney", date(2024, 10, 3), 7),  # spring forward 6 Oct
    ("Asia/Kolkata", date(2024, 3, 28), 7),  # no DST, +5:30 all year
    ("Pacific/Chatham", date(2024, 4, 4), 7),  # +13:45 -> +12:45 on 7 Apr
    ("Pacific/Chatham", date(2024, 9, 26), 7),  # +12:45 -> +13:45 on 29 Sep
]


@pytest.mark.parametrize(("zone", "start", "days"), DST_CHANGES)
def test_eight_stays_eight_local_across_the_change(zone: str, start: date, days: int) -> None:
    tz = ZoneInfo(zone)
    moment = datetime.combine(start, time(0, 0), tzinfo=tz).astimezone(UTC)
    offsets = set()
    previous_day: date | None = None
    for _ in range(days):
        moment = next_local_occurrence(EIGHT, tz, moment)
        assert moment.tzinfo is UTC
        local = moment.astimezone(tz)
        assert (local.hour, local.minute) == (8, 0)
        if previous_day is not None:
            assert local.date() - previous_day == timedelta(days=1)
        previous_day = local.date()
        offsets.add(local.utcoffset())
    # The window really crosses a change (except in Kolkata, which has none).
    assert len(offsets) == (1 if zone == "Asia/Kolkata" else 2)


def test_kolkata_half_hour_offset() -> None:
    tz = ZoneInfo("Asia/Kolkata")
    assert next_local_occurrence(EIGHT, tz, utc(2024, 6, 1, 0, 0)) == utc(2024, 6, 1, 2, 30)


def test_chatham_quarter_hour_offsets() -> None:
    tz = ZoneInfo("Pacific/Chatham")
    # Summer +13:45: 08:00 local on 2 Jan is 18:15 UTC on 1 Jan.
    assert next_local_occurrence(EIGHT, tz, utc(2024, 1, 1, 0, 0)) == utc(2024, 1, 1, 18, 15)
    # Winter +12:45: 08:00 local on 2 Jul is 19:15 UTC on 1 Jul.
    assert next_local_occurrence(EIGHT, tz, utc(2024, 7, 1, 0, 0)) == utc(2024, 7, 1, 19, 15)


@pytest.mark.parametrize(
    ("zone", "day", "wanted", "fires_local", "fires_utc"),
    [
        # The skipped hour: fires at the first valid minute after the wanted time.
        ("Europe/Berlin", date(2024, 3, 31), time(2, 30), time(3, 0), utc(2024, 3, 31, 1, 0)),
        ("America/New_York", date(2024, 3, 10), time(2, 30), time(3, 0), utc(2024, 3, 10, 7)),
        ("Australia/Sydney", date(2024, 10, 6), time(2, 15), time(3, 0), utc(2024, 10, 5, 16)),
        ("Pacific/Chatham", date(2024, 9, 29), time(3, 0), time(3, 45), utc(2024, 9, 28, 14)),
    ],
)
def test_a_time_that_does_not_exist_fires_at_the_end_of_the_gap(
    zone: str, day: date, wanted: time, fires_local: time, fires_utc: datetime
) -> None:
    tz = ZoneInfo(zone)
    just_before_day = datetime.combine(day, time(0, 0), tzinfo=tz).astimezone(UTC)
    fired = next_local_occurrence(wanted, tz, just_before_day)
    assert fired == fires_utc
    assert fired.astimezone(tz).time() == fires_local
    assert fired.astimezone(tz).date() == day
    # And the next day it is the wanted time again.
    following = next_local_occurrence(wanted, tz, fired)
    assert following.astimezone(tz).time() == wanted
    assert following.astimezone(tz).date() == day + timedelta(days=1)


@pytest.mark.parametrize(
    ("zone", "day", "wanted", "first_utc"),
    [
        ("Europe/Berlin", date(2024, 10, 27), time(2, 30), utc(2024, 10, 27, 0, 30)),
        ("America/New_York", date(2024, 11, 3), time(1, 30), utc(2024, 11, 3, 5, 30)),
        ("Australia/Sydney", date(2024, 4, 7), time(2, 30), utc(2024, 4, 6, 15, 30)),
        ("Pacific/Chatham", date(2024, 4, 7), time(3, 0), utc(2024, 4, 6, 13, 15)),
    ],
)
def test_a_time_that_happens_twice_fires_once_at_the_first(
    zone: str, day: date, wanted: time, first_utc: datetime
) -> None:
    tz = ZoneInfo(zone)
    start = datetime.combine(day, time(0, 0), tzinfo=tz).astimezone(UTC)
    first = next_local_occurrence(wanted, tz, start)
    assert first == first_utc
    assert first.astimezone(tz).fold == 0
    # From the first, and from between the two, the next one is the following day, once.
    for after in (first, first + timedelta(minutes=30), first + timedelta(hours=1)):
        following = next_local_occurrence(wanted, tz, after)
        assert following.astimezone(tz).date() == day + timedelta(days=1)
        assert following.astimezone(tz).time() == wanted


def test_strictly_after() -> None:
    tz = ZoneInfo("Europe/Berlin")
    at_eight = utc(2024, 6, 3, 6, 0)  # 08:00 CEST
    assert next_local_occurrence(EIGHT, tz, at_eight - timedelta(seconds=1)) == at_eight
    assert next_local_occurrence(EIGHT, tz, at_eight) == at_eight + timedelta(days=1)


def test_naive_after_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        next_local_occurrence(EIGHT, ZoneInfo("UTC"), datetime(2024, 1, 1))  # noqa: DTZ001


def test_resolve_local_in_samoa_skipped_day() -> None:
    # Samoa skipped 30 December 2011 entirely: 08:00 that day lands on the 31st, at midnight.
    tz = ZoneInfo("Pacific/Apia")
    fired = resolve_local(date(2011, 12, 30), EIGHT, tz)
    assert fired.astimezone(tz).replace(tzinfo=None) == datetime(2011, 12, 31, 0, 0)  # noqa: DTZ001


@pytest.mark.parametrize(
    ("zone", "slot", "night"),
    [
        ("Europe/Berlin", utc(2024, 3, 31, 6, 0), date(2024, 3, 30)),
        ("Asia/Kolkata", utc(2024, 6, 1, 2, 30), date(2024, 5, 31)),
        # 08:45 on 2 Jan in Chatham is still 1 Jan in UTC: the night is the 1st.
        ("Pacific/Chatham", utc(2024, 1, 1, 19, 0), date(2024, 1, 1)),
        # 07:00 on 1 Jun in New York is 11:00 UTC: the night is 31 May.
        ("America/New_York", utc(2024, 6, 1, 11, 0), date(2024, 5, 31)),
    ],
)
def test_local_night_for(zone: str, slot: datetime, night: date) -> None:
    assert local_night_for(slot, ZoneInfo(zone)) == night


def test_next_checkin_at_passes_over_a_morning_already_checked_in() -> None:
    tz = ZoneInfo("Europe/Berlin")
    now = utc(2024, 6, 3, 6, 30)  # 08:30 local; today's 07:00 check-in (night 2 Jun) went out
    nine = time(9, 0)
    assert next_checkin_at(nine, tz, now) == utc(2024, 6, 3, 7, 0)
    assert next_checkin_at(nine, tz, now, last_night=date(2024, 6, 2)) == utc(2024, 6, 4, 7, 0)
    assert next_checkin_at(nine, tz, now, last_night=date(2024, 6, 1)) == utc(2024, 6, 3, 7, 0)


def test_morning_due_now_inside_the_window_and_not_sent() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    at_0730 = time(7, 30)
    slot = datetime(2026, 11, 26, 6, 30, tzinfo=UTC)  # Thu 07:30 in Berlin
    window = timedelta(hours=3)
    after = slot + timedelta(hours=2)
    assert morning_due_now(at_0730, berlin, after, window, last_night=None) == slot
    assert morning_due_now(at_0730, berlin, after, window, last_night=date(2026, 11, 24)) == slot
    # that night already had its check-in
    assert morning_due_now(at_0730, berlin, after, window, last_night=date(2026, 11, 25)) is None
    # past the window, or before the morning
    assert (
        morning_due_now(
            at_0730, berlin, slot + timedelta(hours=3, minutes=1), window, last_night=None
        )
        is None
    )
    assert (
        morning_due_now(at_0730, berlin, slot - timedelta(minutes=1), window, last_night=None)
        is None
    )
