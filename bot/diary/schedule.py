"""Local-morning time math: pure functions over zoneinfo, correct across daylight-saving changes.

Every instant that leaves this module is an aware UTC datetime. Comparisons are always made in
UTC: Python compares two datetimes that share one tzinfo by their wall clock and ignores `fold`,
which would mix up the two 01:30s of a fall-back night.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

_CLOCK = re.compile(
    r"^(?P<hour>\d{1,2})(?:\s*[:.h]\s*(?P<minute>\d{2}))?\s*(?P<half>am|pm|a\.m\.|p\.m\.)?$"
)
_DIGITS = re.compile(r"^(?P<hour>\d{1,2})(?P<minute>\d{2})$")
# Zones have skipped at most a whole day (Samoa, December 2011); a gap is never longer.
_LONGEST_GAP_MINUTES = 24 * 60 + 1


def parse_local_time(text: str) -> time | None:
    """Read a typed wall-clock time: "7:30", "07:30", "7.30", "7h30", "730", "0730", "7",
    "7:30 am", "7pm". None when it is not a time of day."""
    cleaned = " ".join(text.strip().lower().split())
    match = _CLOCK.match(cleaned) or _DIGITS.match(cleaned)
    if match is None:
        return None
    hour = int(match.group("hour"))
    minute = int(match.group("minute") or 0)
    half = match.groupdict().get("half")
    if half is not None:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if half.startswith("p") else 0)
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def format_local_time(local: time) -> str:
    """The stored 'HH:MM' form of a reminder time."""
    return f"{local.hour:02d}:{local.minute:02d}"


def _exists(naive: datetime, tz: ZoneInfo) -> bool:
    aware = naive.replace(tzinfo=tz, fold=0)
    return aware.astimezone(UTC).astimezone(tz).replace(tzinfo=None) == naive


def resolve_local(day: date, local: time, tz: ZoneInfo) -> datetime:
    """The UTC instant at which the wall clock in `tz` shows `local` on `day`.

    Inside a gap (the skipped hour of a spring-forward night) it is the first valid minute after
    the requested time; a time that happens twice resolves to its first occurrence (fold=0).
    """
    naive = datetime.combine(day, local.replace(second=0, microsecond=0, tzinfo=None))
    for _ in range(_LONGEST_GAP_MINUTES):
        if _exists(naive, tz):
            return naive.replace(tzinfo=tz, fold=0).astimezone(UTC)
        naive += timedelta(minutes=1)
    raise ValueError(f"no valid local time near {day} {local} in {tz.key}")


def next_local_occurrence(local: time, tz: ZoneInfo, after: datetime) -> datetime:
    """The first instant strictly after `after` at which the wall clock in `tz` shows `local`
    on some day (see resolve_local for the skipped and the doubled hour). Aware UTC."""
    if after.tzinfo is None:
        raise ValueError("`after` must be timezone-aware")
    after_utc = after.astimezone(UTC)
    # Start a day early: a gap can push the previous day's late time past midnight.
    day = after_utc.astimezone(tz).date() - timedelta(days=1)
    for _ in range(5):
        candidate = resolve_local(day, local, tz)
        if candidate > after_utc:
            return candidate
        day += timedelta(days=1)
    raise ValueError(f"no occurrence of {local} in {tz.key} after {after_utc}")  # pragma: no cover


def local_night_for(slot_utc: datetime, tz: ZoneInfo) -> date:
    """The night a morning check-in asks about: the local date of the evening before the
    morning on which `slot_utc` falls."""
    if slot_utc.tzinfo is None:
        raise ValueError("`slot_utc` must be timezone-aware")
    return slot_utc.astimezone(tz).date() - timedelta(days=1)


def next_checkin_at(
    local: time, tz: ZoneInfo, now: datetime, *, last_night: date | None = None
) -> datetime:
    """When to send the next check-in after (re)setting a reminder at `now`.

    The next occurrence of `local`, except that a morning whose night already got a check-in
    (`last_night`, e.g. the person moves 07:00 to 09:00 at 08:00) is passed over: at most one
    check-in per local morning.
    """
    occurrence = next_local_occurrence(local, tz, now)
    while last_night is not None and local_night_for(occurrence, tz) <= last_night:
        occurrence = next_local_occurrence(local, tz, occurrence)
    return occurrence


def morning_due_now(
    local: time, tz: ZoneInfo, now: datetime, window: timedelta, *, last_night: date | None
) -> datetime | None:
    """The latest occurrence of `local` at or before `now` if it is at most `window` ago and
    its night has had no check-in yet (after downtime, a clock moved on, an unblock); else
    None."""
    latest = next_local_occurrence(local, tz, now - window)
    if latest > now:
        return None
    if last_night is not None and local_night_for(latest, tz) <= last_night:
        return None
    return latest
