"""/reminders and the morning check-in opt-in: time, time zone, pause, on and off.

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
    r1:rg:<HHMM>:<region> the cities of a region (bot.timezones.REGIONS)
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
from zoneinfo import ZoneInfo, available_timezones

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.content import Content
from bot.schedule import format_local_time, next_checkin_at, parse_local_time
from bot.storage import User
from bot.timezones import REGIONS, city_label, resolve_timezone, suggest_timezones, zone_label
from bot.ui import MAX_CALLBACK_BYTES, Button, Screen
from handlers.common import (
    AnyApp,
    Context,
    add_text_hook,
    answer_query,
    deps,
    edit_or_send,
    reply_text,
    send_screen,
)
from handlers.start import welcome_screen

PREFIX = "r1"
PICKER_TIMES: tuple[time, ...] = tuple(time(h, m) for h in range(6, 11) for m in (0, 30))[:-1]
PAUSE_DAYS = {"p3": 3, "p7": 7}
AWAIT_TIME = "time"
AWAIT_ZONE = "zone:"  # + HHMM

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


def parse_reminder_data(data: str) -> ReminderPress | None:
    """The press, or None for anything this module did not make."""
    if not data.isascii() or len(data.encode()) > MAX_CALLBACK_BYTES:
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
    if len(data.encode()) > MAX_CALLBACK_BYTES:  # pragma: no cover - zone names are short
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
                    "reminders.status.off_kept", time=format_local_time(local), zone=tz.key
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
    lines = [content.text("reminders.zone.unknown", text=typed[:64])]
    rows: list[tuple[Button, ...]] = []
    suggestions = suggest_timezones(typed)
    if suggestions:
        lines.append(content.text("reminders.zone.suggest"))
        rows += [(Button(zone, _data("z", hhmm(local), zone)),) for zone in suggestions]
    else:
        lines.append(content.text("reminders.zone.none_close"))
    rows += _region_rows(content, local)
    return Screen("\n".join(lines), tuple(rows))


# --- actions (shared by buttons and typed input) ------------------------------------------------


async def _save(context: Context, user: User, local: time, tz: ZoneInfo) -> Screen:
    """Turn reminders on with this time and zone; the confirmation in their local time."""
    d = deps(context)
    now = d.clock.now()
    next_at = next_checkin_at(local, tz, now, last_night=user.last_checkin_night)
    await d.storage.set_reminder(
        user.user_id, reminder_time=format_local_time(local), timezone=tz.key, next_at=next_at
    )
    await d.storage.set_awaiting(user.user_id, None)
    text = d.content.text(
        "reminders.confirm",
        time=format_local_time(local),
        zone=tz.key,
        when=describe_when(d.content, next_at, tz, now),
    )
    return Screen(f"{text}\n\n{d.content.text('reminders.confirm_note')}")


async def _time_chosen(context: Context, user: User, local: time) -> Screen:
    """Changing the time of running reminders keeps the zone; otherwise the zone comes next."""
    settings = _settings(user)
    if _is_active(user) and settings is not None:
        return await _save(context, user, local, settings[1])
    await deps(context).storage.set_awaiting(user.user_id, AWAIT_ZONE + hhmm(local))
    return zone_screen(deps(context).content, local, user.timezone)


async def _time_picker(context: Context, user: User, *, typing: bool = False) -> Screen:
    await deps(context).storage.set_awaiting(user.user_id, AWAIT_TIME)
    return time_screen(deps(context).content, typing=typing)


async def _turn_on(context: Context, user: User) -> Screen:
    settings = _settings(user)
    if settings is None:
        return await _time_picker(context, user)
    return await _save(context, user, *settings)


async def _pause(context: Context, user: User, days: int) -> Screen:
    d = deps(context)
    settings = _settings(user)
    now = d.clock.now()
    if not _is_active(user) or settings is None:
        return status_screen(d.content, user, now)
    local, tz = settings
    until = now + timedelta(days=days)
    next_at = next_checkin_at(local, tz, until, last_night=user.last_checkin_night)
    await d.storage.pause_reminders(user.user_id, until=until, next_at=next_at)
    text = d.content.text(
        "reminders.paused_done", days=days, when=describe_when(d.content, next_at, tz, now)
    )
    return Screen(f"{text}\n\n{d.content.text('reminders.confirm_note')}")


async def _known_user(update: Update, context: Context) -> User | None:
    """The person, once they have agreed to the welcome message; else shows it."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return None
    d = deps(context)
    known = await d.storage.upsert_user(user.id, chat.id, d.clock.now())
    if known.consented_at is None:
        await send_screen(context, chat.id, welcome_screen(context))
        return None
    return known


# --- handlers ----------------------------------------------------------------------------------


async def reminders_command(update: Update, context: Context) -> None:
    """Shows the current setting with buttons to change it."""
    chat = update.effective_chat
    known = await _known_user(update, context)
    if known is None or chat is None:
        return
    d = deps(context)
    if known.awaiting is not None:
        await d.storage.set_awaiting(known.user_id, None)
    await send_screen(context, chat.id, status_screen(d.content, known, d.clock.now()))


async def reminders_button(update: Update, context: Context) -> None:
    """Every r1: button; a forged or garbled one gets "out of date" and the current setting."""
    query = update.callback_query
    user, chat = update.effective_user, update.effective_chat
    if query is None or user is None or chat is None or query.data is None:
        return
    d = deps(context)
    press = parse_reminder_data(query.data)
    known = await d.storage.get_user(user.id)
    if known is None or known.consented_at is None:
        await answer_query(query, d.content.raw_text("start.consent_first"))
        await send_screen(context, chat.id, welcome_screen(context))
        return
    pressed = query.message.message_id if query.message is not None else None
    if press is None:
        await answer_query(query, d.content.raw_text("stale.button"))
        await send_screen(context, chat.id, status_screen(d.content, known, d.clock.now()))
        return
    await answer_query(query)
    screen = await _screen_for(context, known, press)
    if press.action == "offer":
        # The result stays readable above: the opt-in starts in a message of its own.
        await send_screen(context, chat.id, screen)
        return
    await edit_or_send(context, chat.id, pressed, screen)


async def _screen_for(context: Context, known: User, press: ReminderPress) -> Screen:
    d = deps(context)
    action, local = press.action, press.local
    if action == "offer":
        if _is_active(known):
            return status_screen(d.content, known, d.clock.now())
        return await _time_picker(context, known)
    if action == "time":
        return await _time_picker(context, known)
    if action == "tt":
        return await _time_picker(context, known, typing=True)
    if action == "zone":
        settings = _settings(known)
        if settings is None:
            return await _time_picker(context, known)
        await d.storage.set_awaiting(known.user_id, AWAIT_ZONE + hhmm(settings[0]))
        return zone_screen(d.content, settings[0], None)
    if action == "on":
        return await _turn_on(context, known)
    if action == "off":
        await d.storage.reminders_off(known.user_id)
        await d.storage.set_awaiting(known.user_id, None)
        return Screen(d.content.text("reminders.off_done"))
    if action in PAUSE_DAYS:
        return await _pause(context, known, PAUSE_DAYS[action])
    assert local is not None  # every other action carries a time (parse_reminder_data)
    if action == "t":
        return await _time_chosen(context, known, local)
    await d.storage.set_awaiting(known.user_id, AWAIT_ZONE + hhmm(local))
    if action == "zs":
        return zone_screen(d.content, local, known.timezone)
    if action == "zt":
        return Screen(d.content.text("reminders.type_zone"), tuple(_region_rows(d.content, local)))
    if action == "rg" and press.arg is not None:
        return city_screen(d.content, local, press.arg)
    assert action == "z" and press.arg is not None
    return await _save(context, known, local, ZoneInfo(press.arg))


async def typed_input(update: Update, context: Context) -> bool:
    """A typed time or zone while the opt-in waits for one; False: not ours, let others see."""
    user, chat, message = update.effective_user, update.effective_chat, update.effective_message
    if user is None or chat is None or message is None or message.text is None:
        return False
    d = deps(context)
    known = await d.storage.get_user(user.id)
    if known is None or known.awaiting is None or known.consented_at is None:
        return False
    typed = message.text.strip()
    if known.awaiting == AWAIT_TIME:
        local = parse_local_time(typed)
        if local is None:
            await reply_text(
                update, context, d.content.text("reminders.bad_time", text=typed[:32])
            )
            return True
        await send_screen(context, chat.id, await _time_chosen(context, known, local))
        return True
    if known.awaiting.startswith(AWAIT_ZONE):
        chosen = _parse_hhmm(known.awaiting.removeprefix(AWAIT_ZONE))
        if chosen is not None:
            tz = resolve_timezone(typed)
            if tz is None or tz.key not in _zones():
                await send_screen(context, chat.id, suggestion_screen(d.content, chosen, typed))
                return True
            await send_screen(context, chat.id, await _save(context, known, chosen, tz))
            return True
    # An awaiting value this version does not know (written by another one): forget it.
    await d.storage.set_awaiting(known.user_id, None)
    return False


def register(application: AnyApp) -> None:
    application.add_handler(CommandHandler("reminders", reminders_command))
    application.add_handler(CallbackQueryHandler(reminders_button, pattern=r"^r1:"))
    add_text_hook(application, typed_input)
