"""/reminders and the morning check-in opt-in as a state machine over stored rows: time,
time zone, pause, on and off.

Telegram-free: the handlers pass in the person and the callback data or typed text, and get
back what to answer and which screen to show where (bot.ui.Screen).

Callback data (ASCII, at most 64 bytes, parsed strictly; anything else is "out of date"):

    r1:offer              the button under a questionnaire result: start the opt-in
    r1:time               change the time (the time picker)
    r1:tt                 "type a time"
    r1:zone               change the zone (the zone step with the current time)
    r1:on | r1:off        turn on (with the stored setting, else the opt-in) | turn off
    r1:p3 | r1:p7         pause for 3 or 7 days
    r1:t:<HHMM>           a time was picked
    r1:zs:<HHMM>          the zone step (regions) for that time
    r1:zt:<HHMM>          "type a city or zone" for that time
    r1:rg:<HHMM>:<region> the cities of a region (bot.diary.timezones.REGIONS)
    r1:z:<HHMM>:<zone>    a zone was picked: save and confirm

The chosen time travels in the zone step's buttons, so the steps need no state in memory.
Typed input ("7:30", "Berlin") is expected when users.awaiting says so: "time", or
"zone:<HHMM>". That is a row, so it survives a restart.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo, available_timezones

from bot.clock import Clock
from bot.content.model import Content
from bot.diary.dispatcher import CATCH_UP_WINDOW
from bot.diary.flow import user_zone
from bot.diary.schedule import (
    format_local_time,
    morning_due_now,
    next_checkin_at,
    parse_local_time,
)
from bot.diary.timezones import (
    REGIONS,
    city_label,
    friendly_zone,
    refusal_reason,
    resolve_timezone,
    suggest_timezones,
    zone_label,
)
from bot.storage import Storage, User
from bot.ui import MAX_CALLBACK_DATA, Button, Screen

PREFIX = "r1"
PICKER_TIMES: tuple[time, ...] = tuple(time(h, m) for h in range(6, 11) for m in (0, 30))[:-1]
PAUSE_DAYS = {"p3": 3, "p7": 7}
MORNING_FROM, MORNING_UNTIL = time(4, 0), time(14, 0)

_SIMPLE = frozenset({"offer", "time", "tt", "zone", "on", "off", "p3", "p7"})
_WITH_TIME = frozenset({"t", "zs", "zt"})
_HHMM = re.compile(r"([01][0-9]|2[0-3])([0-5][0-9])")
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class ReminderPress:
    action: str
    local: time | None = None
    arg: str | None = None


@functools.cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def hhmm(local: time) -> str:
    return f"{local.hour:02d}{local.minute:02d}"


def _parse_hhmm(text: str) -> time | None:
    match = _HHMM.fullmatch(text)
    return None if match is None else time(int(match.group(1)), int(match.group(2)))


@dataclass(frozen=True)
class Awaiting:
    """Which typed input the bot waits for from a person: a time, or the zone for a time they
    already chose. Stored in users.awaiting as "time" or "zone:HHMM"."""

    what: Literal["time", "zone"]
    at: time | None = None

    def encode(self) -> str:
        return f"zone:{hhmm(self.at)}" if self.what == "zone" and self.at else "time"

    @classmethod
    def decode(cls, raw: str | None) -> Awaiting | None:
        """None for nothing awaited, and for a value this version does not know."""
        if raw == "time":
            return cls("time")
        if raw is not None and raw.startswith("zone:"):
            chosen = _parse_hhmm(raw.removeprefix("zone:"))
            return cls("zone", chosen) if chosen is not None else None
        return None


AWAIT_TIME = Awaiting("time")


def awaiting_zone(local: time) -> str:
    return Awaiting("zone", local).encode()


def parse_reminder_data(data: str) -> ReminderPress | None:
    """The press, or None for anything this module did not make."""
    if not data.isascii() or len(data.encode()) > MAX_CALLBACK_DATA:
        return None
    parts = data.split(":")
    if len(parts) < 2 or parts[0] != PREFIX:
        return None
    action = parts[1]
    if len(parts) == 2:
        return ReminderPress(action) if action in _SIMPLE else None
    local = _parse_hhmm(parts[2])
    if local is None:
        return None
    if len(parts) == 3:
        return ReminderPress(action, local) if action in _WITH_TIME else None
    if len(parts) == 4:
        arg = parts[3]
        if action == "rg" and arg in REGIONS:
            return ReminderPress(action, local, arg)
        if action == "z" and arg in _zones():
            return ReminderPress(action, local, arg)
    # Zone names hold a "/" but never a ":", so five parts or more are never ours.
    return None


def _data(*parts: str) -> str:
    data = ":".join((PREFIX, *parts))
    if len(data.encode()) > MAX_CALLBACK_DATA:  # pragma: no cover - zone names are short
        raise ValueError(f"callback data too long: {data!r}")
    return data


# --- texts -------------------------------------------------------------------------------------


def describe_when(content: Content, at: datetime, tz: ZoneInfo, now: datetime) -> str:
    """ "tomorrow, Thu 26 Nov, at 07:30" in the person's own time (plain, not escaped)."""
    local = at.astimezone(tz)
    today = now.astimezone(tz).date()
    day = f"{_WEEKDAYS[local.weekday()]} {local.day} {_MONTHS[local.month - 1]}"
    clock = f"{local.hour:02d}:{local.minute:02d}"
    if local.date() == today:
        key = "reminders.when.today"
    elif local.date() == today + timedelta(days=1):
        key = "reminders.when.tomorrow"
    else:
        key = "reminders.when.later"
    return content.raw_text(key).format(date=day, time=clock)


def _settings(user: User) -> tuple[time, ZoneInfo] | None:
    if user.reminder_time is None or user.timezone is None or user.timezone not in _zones():
        return None
    local = parse_local_time(user.reminder_time)
    return None if local is None else (local, ZoneInfo(user.timezone))


def _is_active(user: User) -> bool:
    return user.reminders_on and user.next_reminder_at is not None and user.blocked_at is None


def status_screen(content: Content, user: User, now: datetime) -> Screen:
    lines = [f"<b>{content.text('reminders.title')}</b>"]
    settings = _settings(user)
    buttons: list[tuple[Button, ...]] = []
    if _is_active(user) and settings is not None and user.next_reminder_at is not None:
        local, tz = settings
        lines.append(
            content.text(
                "reminders.status.on",
                time=format_local_time(local),
                zone=zone_label(tz.key, now),
            )
        )
        when = describe_when(content, user.next_reminder_at, tz, now)
        paused = user.paused_until is not None and user.paused_until > now
        key = "reminders.status.paused" if paused else "reminders.status.next"
        lines.append(content.text(key, when=when))
        buttons.append(
            (
                Button(content.raw_text("reminders.change_time_button"), _data("time")),
                Button(content.raw_text("reminders.change_zone_button"), _data("zone")),
            )
        )
        buttons.append(
            (
                Button(content.raw_text("reminders.pause3_button"), _data("p3")),
                Button(content.raw_text("reminders.pause7_button"), _data("p7")),
            )
        )
        if paused:
            buttons.append((Button(content.raw_text("reminders.resume_button"), _data("on")),))
        buttons.append((Button(content.raw_text("reminders.off_button"), _data("off")),))
    else:
        if settings is not None:
            local, tz = settings
            lines.append(
                content.text(
                    "reminders.status.off_kept",
                    time=format_local_time(local),
                    zone=friendly_zone(tz.key),
                )
            )
        else:
            lines.append(content.text("reminders.status.off"))
        lines.append("")
        lines.append(content.text("reminders.about"))
        buttons.append((Button(content.raw_text("reminders.on_button"), _data("on")),))
    return Screen("\n".join(lines), tuple(buttons))


def time_screen(content: Content, *, typing: bool = False) -> Screen:
    row_length = 3
    picks = [Button(format_local_time(t), _data("t", hhmm(t))) for t in PICKER_TIMES]
    rows = [tuple(picks[i : i + row_length]) for i in range(0, len(picks), row_length)]
    if typing:
        return Screen(content.text("reminders.type_time"), tuple(rows))
    rows.append((Button(content.raw_text("reminders.type_time_button"), _data("tt")),))
    return Screen(content.text("reminders.ask_time"), tuple(rows))


def _region_rows(content: Content, local: time) -> list[tuple[Button, ...]]:
    regions = [
        Button(content.raw_text(f"reminders.region.{region}"), _data("rg", hhmm(local), region))
        for region in REGIONS
    ]
    return [tuple(regions[i : i + 2]) for i in range(0, len(regions), 2)]


def zone_screen(content: Content, local: time, current_zone: str | None) -> Screen:
    rows: list[tuple[Button, ...]] = []
    if current_zone is not None and current_zone in _zones():
        keep = content.raw_text("reminders.keep_zone_button").format(zone=current_zone)
        rows.append((Button(keep, _data("z", hhmm(local), current_zone)),))
    rows += _region_rows(content, local)
    rows.append(
        (Button(content.raw_text("reminders.type_zone_button"), _data("zt", hhmm(local))),)
    )
    text = content.text("reminders.ask_zone", time=format_local_time(local))
    return Screen(text, tuple(rows))


def city_screen(content: Content, local: time, region: str) -> Screen:
    cities = [Button(city_label(z), _data("z", hhmm(local), z)) for z in REGIONS[region]]
    rows = [tuple(cities[i : i + 2]) for i in range(0, len(cities), 2)]
    rows.append(
        (
            Button(content.raw_text("reminders.regions_button"), _data("zs", hhmm(local))),
            Button(content.raw_text("reminders.type_zone_button"), _data("zt", hhmm(local))),
        )
    )
    text = content.text("reminders.pick_city", time=format_local_time(local))
    return Screen(text, tuple(rows))


def suggestion_screen(content: Content, local: time, typed: str) -> Screen:
    # An abbreviation, offset or many-clock country is not unknown: say why a place is asked.
    reason = refusal_reason(typed)
    key = "reminders.zone.unknown" if reason is None else f"reminders.zone.why.{reason}"
    lines = [content.text(key, text=typed[:64])]
    rows: list[tuple[Button, ...]] = []
    suggestions = suggest_timezones(typed)
    if suggestions and reason is None:
        lines.append(content.text("reminders.zone.suggest"))
    if suggestions:
        rows += [
            (Button(friendly_zone(zone), _data("z", hhmm(local), zone)),) for zone in suggestions
        ]
    else:
        lines.append(content.text("reminders.zone.none_close"))
    rows += _region_rows(content, local)
    return Screen("\n".join(lines), tuple(rows))


# --- what to show --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What the handler does: answer the callback (with `notice` if any), then show `screen`."""

    screen: Screen | None = None
    notice: str | None = None
    # The person has not agreed to the welcome message yet: the handler shows it instead.
    consent_first: bool = False
    # Send `screen` as a message of its own rather than editing the pressed one.
    new_message: bool = False
    # A plain reply to typed text (no buttons); the handler only logs a blocked bot.
    plain: bool = False


class ReminderSettings:
    def __init__(self, content: Content, storage: Storage, clock: Clock) -> None:
        self.content = content
        self.storage = storage
        self.clock = clock

    async def command(self, user_id: int, chat_id: int) -> Outcome:
        """/reminders: the current setting with buttons to change it (a pending typed step is
        dropped)."""
        known = await self.storage.get_user(user_id)
        if known is None or known.consented_at is None:
            return Outcome(consent_first=True)  # nothing is stored before consent
        if known.chat_id != chat_id:
            known = await self.storage.upsert_user(user_id, chat_id, self.clock.now())
        if known.awaiting is not None:
            await self.storage.set_awaiting(known.user_id, None)
        return Outcome(status_screen(self.content, known, self.clock.now()), new_message=True)

    async def press(self, user_id: int, data: str) -> Outcome:
        """Every r1: button; a forged or garbled one gets "out of date" and the current setting."""
        press = parse_reminder_data(data)
        known = await self.storage.get_user(user_id)
        if known is None or known.consented_at is None:
            return Outcome(notice=self.content.raw_text("start.consent_first"), consent_first=True)
        if press is None:
            return Outcome(
                status_screen(self.content, known, self.clock.now()),
                notice=self.content.raw_text("stale.button"),
                new_message=True,
            )
        screen = await self._screen_for(known, press)
        # The result stays readable above: the opt-in starts in a message of its own.
        return Outcome(screen, new_message=press.action == "offer")

    async def typed(self, user_id: int, text: str) -> Outcome | None:
        """A typed time or zone while the opt-in waits for one; None: not ours, let others see."""
        known = await self.storage.get_user(user_id)
        if known is None or known.awaiting is None or known.consented_at is None:
            return None
        typed = text.strip()
        awaiting = Awaiting.decode(known.awaiting)
        if awaiting == AWAIT_TIME:
            local = parse_local_time(typed)
            if local is None:
                bad = self.content.text("reminders.bad_time", text=typed[:32])
                return Outcome(Screen(bad), new_message=True, plain=True)
            return Outcome(await self._time_chosen(known, local), new_message=True)
        if awaiting is not None and awaiting.what == "zone":
            chosen = awaiting.at
            if chosen is not None:
                tz = resolve_timezone(typed)
                if tz is None and parse_local_time(typed) is not None:
                    # "7:30 am" typed again at the zone step: say what is asked now.
                    time_text = format_local_time(chosen)
                    got = self.content.text("reminders.zone.got_time", time=time_text)
                    return Outcome(Screen(got), new_message=True, plain=True)
                if tz is None or tz.key not in _zones():
                    screen = suggestion_screen(self.content, chosen, typed)
                    return Outcome(screen, new_message=True)
                return Outcome(await self._save(known, chosen, tz), new_message=True)
        # An awaiting value this version does not know (written by another one): forget it.
        await self.storage.set_awaiting(known.user_id, None)
        return None

    async def resume(self, user_id: int) -> None:
        """Reminders back from the next morning for a person who unblocked the bot and had
        them on; a pause that is still running stays."""
        user = await self.storage.get_user(user_id)
        if user is None or not user.reminders_on or user.reminder_time is None:
            return
        local = parse_local_time(user.reminder_time)
        if local is None or user.timezone is None:
            return
        tz = user_zone(user)
        now = self.clock.now()
        next_at = next_checkin_at(local, tz, now, last_night=user.last_checkin_night)
        # Unblocked on a morning whose check-in could not go out: still this morning's, if
        # within the catch-up window (as after downtime), else from the next morning.
        if morning_due_now(local, tz, now, CATCH_UP_WINDOW, last_night=user.last_checkin_night):
            next_at = now
        await self.storage.set_reminder(
            user_id, reminder_time=user.reminder_time, timezone=tz.key, next_at=next_at
        )
        if user.paused_until is not None and user.paused_until > now:
            after = next_checkin_at(
                local, tz, user.paused_until, last_night=user.last_checkin_night
            )
            await self.storage.pause_reminders(user_id, until=user.paused_until, next_at=after)

    # --- actions (shared by buttons and typed input) -------------------------------------------

    async def _save(
        self, user: User, local: time, tz: ZoneInfo, *, resume: bool = False
    ) -> Screen:
        """Turn reminders on with this time and zone; the confirmation in their local time.
        A running pause stays (a new time or zone is no reason to end it) unless `resume`."""
        now = self.clock.now()
        until = user.paused_until
        paused = not resume and _is_active(user) and until is not None and until > now
        start = until if paused and until is not None else now
        next_at = next_checkin_at(local, tz, start, last_night=user.last_checkin_night)
        await self.storage.set_reminder(
            user.user_id, reminder_time=format_local_time(local), timezone=tz.key, next_at=next_at
        )
        if paused and until is not None:
            # next_at is already after the pause, so a crash before this line sends nothing
            # early; only /reminders would stop saying "paused".
            await self.storage.pause_reminders(user.user_id, until=until, next_at=next_at)
        await self.storage.set_awaiting(user.user_id, None)
        text = self.content.text(
            "reminders.confirm_paused" if paused else "reminders.confirm",
            time=format_local_time(local),
            zone=friendly_zone(tz.key),
            when=describe_when(self.content, next_at, tz, now),
        )
        if not MORNING_FROM <= local < MORNING_UNTIL:
            # Accepted (people on night shifts wake at odd hours), but said plainly: the
            # check-in always asks about the night before.
            text += "\n\n" + self.content.text("reminders.not_morning")
        return Screen(f"{text}\n\n{self.content.text('reminders.confirm_note')}")

    async def _time_chosen(self, user: User, local: time) -> Screen:
        """Changing the time of running reminders keeps the zone; otherwise the zone comes next."""
        settings = _settings(user)
        if _is_active(user) and settings is not None:
            return await self._save(user, local, settings[1])
        await self.storage.set_awaiting(user.user_id, awaiting_zone(local))
        return zone_screen(self.content, local, user.timezone)

    async def _time_picker(self, user: User, *, typing: bool = False) -> Screen:
        await self.storage.set_awaiting(user.user_id, AWAIT_TIME.encode())
        return time_screen(self.content, typing=typing)

    async def _turn_on(self, user: User) -> Screen:
        settings = _settings(user)
        if settings is None:
            return await self._time_picker(user)
        return await self._save(user, *settings, resume=True)

    async def _pause(self, user: User, days: int) -> Screen:
        settings = _settings(user)
        now = self.clock.now()
        if not _is_active(user) or settings is None:
            return status_screen(self.content, user, now)
        local, tz = settings
        until = now + timedelta(days=days)
        next_at = next_checkin_at(local, tz, until, last_night=user.last_checkin_night)
        await self.storage.pause_reminders(user.user_id, until=until, next_at=next_at)
        text = self.content.text(
            "reminders.paused_done", days=days, when=describe_when(self.content, next_at, tz, now)
        )
        return Screen(f"{text}\n\n{self.content.text('reminders.confirm_note')}")

    async def _screen_for(self, known: User, press: ReminderPress) -> Screen:
        content, storage = self.content, self.storage
        action, local = press.action, press.local
        if action == "offer":
            if _is_active(known):
                return status_screen(content, known, self.clock.now())
            return await self._time_picker(known)
        if action == "time":
            return await self._time_picker(known)
        if action == "tt":
            return await self._time_picker(known, typing=True)
        if action == "zone":
            settings = _settings(known)
            if settings is None:
                return await self._time_picker(known)
            await storage.set_awaiting(known.user_id, awaiting_zone(settings[0]))
            return zone_screen(content, settings[0], None)
        if action == "on":
            return await self._turn_on(known)
        if action == "off":
            await storage.reminders_off(known.user_id)
            await storage.set_awaiting(known.user_id, None)
            return Screen(content.text("reminders.off_done"))
        if action in PAUSE_DAYS:
            return await self._pause(known, PAUSE_DAYS[action])
        assert local is not None  # every other action carries a time (parse_reminder_data)
        if action == "t":
            return await self._time_chosen(known, local)
        await storage.set_awaiting(known.user_id, awaiting_zone(local))
        if action == "zs":
            return zone_screen(content, local, known.timezone)
        if action == "zt":
            return Screen(content.text("reminders.type_zone"), tuple(_region_rows(content, local)))
        if action == "rg" and press.arg is not None:
            return city_screen(content, local, press.arg)
        assert action == "z" and press.arg is not None
        return await self._save(known, local, ZoneInfo(press.arg))
