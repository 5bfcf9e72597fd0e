"""The morning check-in on Telegram: the once-a-minute reminder job, sending, and d1: presses.

Only the reminder path is paced, by the dispatcher's own limiter: the bot has no AIORateLimiter,
so replies and button presses never queue behind a busy morning's sends.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from telegram import CallbackQuery, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError
from telegram.ext import CallbackQueryHandler

from bot.app import Deps, get_deps
from bot.checkin import (
    CheckinPress,
    apply_press,
    is_complete,
    next_step,
    parse_checkin_data,
    render_checkin,
)
from bot.content import Content
from bot.diary import DiaryWarning, filter_repeats, should_ask_weakness, warnings_for
from bot.reminders import ReminderDispatcher, SendFn, SendOutcome, SendResult
from bot.retry_after import NO_RETRY, RetryAfterLimiter, retry_seconds
from bot.schedule import local_night_for, next_checkin_at, parse_local_time, resolve_local
from bot.storage import DiaryEntry, User
from bot.ui import Screen
from handlers.common import AnyApp, Context, answer_query, deps, edit_screen, markup

log = logging.getLogger(__name__)

JOB_NAME = "reminders"
TICK_SECONDS = 60
SNOOZE = timedelta(hours=1)
# A check-in may be answered on its morning or the day after; later presses are too old.
ANSWER_DAYS = 2


def texts_of(d: Deps) -> Content:
    return d.content


def user_zone(user: User | None) -> ZoneInfo:
    if user is not None and user.timezone:
        try:
            return ZoneInfo(user.timezone)
        except (ValueError, OSError):
            pass
    return ZoneInfo("UTC")


async def _history(d: Deps, user_id: int, night: date) -> list[DiaryEntry]:
    """The whole diary: the rules count recorded nights, which may be spread out over months
    (a year of nights is a few hundred small rows)."""
    del night  # the rules themselves look only at nights up to this one
    return await d.storage.list_diary(user_id)


# --- sending (called by the dispatcher) ---------------------------------------------------------


def make_sender(application: AnyApp) -> SendFn:
    """The dispatcher's `send(user, night)`: one check-in message, Telegram errors mapped."""
    d = get_deps(application)

    async def send(user: User, night: date) -> SendOutcome:
        entry = await d.storage.get_diary_entry(user.user_id, night)
        answers: Mapping[str, Any] = entry.answers if entry is not None else {}
        entries = await _history(d, user.user_id, night)
        ask = should_ask_weakness(entries, night)
        if entry is not None and entry.complete and is_complete(answers, ask_weakness=ask):
            # Already answered (a snooze that came after a late answer): nothing to ask.
            return SendOutcome(SendResult.SENT, message_id=entry.checkin_message_id)
        screen = render_checkin(texts_of(d), night, answers, ask_weakness=ask)
        try:
            message = await application.bot.send_message(
                user.chat_id,
                screen.text,
                parse_mode=ParseMode.HTML,
                reply_markup=markup(screen),
                disable_web_page_preview=True,
                rate_limit_args=NO_RETRY,
            )
        except Forbidden:
            return SendOutcome(SendResult.BLOCKED)
        except RetryAfter as error:
            return SendOutcome(SendResult.RETRY_AFTER, retry_after=retry_seconds(error))
        except BadRequest as error:
            if "chat not found" in str(error.message).lower():
                return SendOutcome(SendResult.BLOCKED)
            log.warning("check-in for user %s refused: %s", user.user_id, error.message)
            return SendOutcome(SendResult.FAILED)
        except TelegramError as error:  # TimedOut, NetworkError, 5xx
            log.warning("check-in for user %s failed: %s", user.user_id, type(error).__name__)
            return SendOutcome(SendResult.FAILED)
        try:
            await d.storage.upsert_diary(
                user.user_id, night, {}, d.clock.now(), checkin_message_id=message.message_id
            )
        except Exception:
            # The message is out: reporting a failure now would send it a second time.
            log.exception("could not store the check-in message of user %s", user.user_id)
        return SendOutcome(SendResult.SENT, message_id=message.message_id)

    return send


async def reminder_tick(context: Context) -> None:
    dispatcher = deps(context).dispatcher
    if dispatcher is None:
        return
    report = await dispatcher.tick()
    if report.sent or report.blocked or report.retried or report.failed or report.skipped:
        log.info(
            "reminders: sent %d, blocked %d, retried %d, failed %d, skipped %d",
            report.sent, report.blocked, report.retried, report.failed, report.skipped,
        )  # fmt: skip


async def resume_after_unblock(context: Context, user_id: int) -> None:
    """A person who unblocked the bot and had reminders on gets them back from next morning."""
    d = deps(context)
    user = await d.storage.get_user(user_id)
    if user is None or not user.reminders_on or user.reminder_time is None:
        return
    local = parse_local_time(user.reminder_time)
    if local is None or user.timezone is None:
        return
    tz = user_zone(user)
    now = d.clock.now()
    next_at = next_checkin_at(local, tz, now, last_night=user.last_checkin_night)
    await d.storage.set_reminder(
        user_id, reminder_time=user.reminder_time, timezone=tz.key, next_at=next_at
    )
    if user.paused_until is not None and user.paused_until > now:
        after = next_checkin_at(local, tz, user.paused_until, last_night=user.last_checkin_night)
        await d.storage.pause_reminders(user_id, until=user.paused_until, next_at=after)


async def on_startup(application: AnyApp) -> None:
    """The dispatcher, and ONE repeating job for everybody (no job per user)."""
    d = get_deps(application)
    d.dispatcher = ReminderDispatcher(
        d.storage, d.clock, make_sender(application), rate_per_second=d.settings.send_rate
    )
    application.bot_data["on_unblocked"] = resume_after_unblock
    limiter = application.bot.rate_limiter
    if isinstance(limiter, RetryAfterLimiter):
        limiter.on_interactive_send = d.dispatcher.note_interactive_send
    queue = application.job_queue
    if queue is None:  # pragma: no cover - APScheduler is a dependency
        log.error("no job queue (is python-telegram-bot[job-queue] installed?): no reminders")
        return
    for old in queue.get_jobs_by_name(JOB_NAME):
        old.schedule_removal()
    now = d.clock.now()
    # On the minute, so a 07:30 check-in leaves at 07:30:00 and not up to a minute late.
    first = TICK_SECONDS - (now.second + now.microsecond / 1_000_000)
    queue.run_repeating(
        reminder_tick,
        interval=TICK_SECONDS,
        first=first,
        name=JOB_NAME,
        job_kwargs={"max_instances": 1, "coalesce": True, "misfire_grace_time": 30},
    )


# --- presses ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Night:
    """A night's answers not stored yet, for the diary rules that read the history."""

    night: date
    answers: Mapping[str, Any]


def _screen_after(
    d: Deps,
    night: date,
    answers: Mapping[str, Any],
    ask: bool,
    shown: Sequence[DiaryWarning] = (),
) -> Screen:
    return render_checkin(texts_of(d), night, answers, ask_weakness=ask, warnings=shown)


async def _warnings_to_show(
    d: Deps, user_id: int, night: date, history: list[_Night]
) -> list[DiaryWarning]:
    """Warning signs, a reason at most once a week (emergency and urgent always), recorded."""
    now = d.clock.now()
    found = warnings_for(history, night, texts=texts_of(d))
    last = {w.reason: await d.storage.last_nudge_at(user_id, w.reason) for w in found}
    shown = filter_repeats(found, last, now)
    for warning in shown:
        await d.storage.record_nudge(user_id, warning.reason, now)
    return shown


async def checkin_button(update: Update, context: Context) -> None:
    """Every d1: press: checked against the stored night, saved at once, one message edited."""
    query = update.callback_query
    user, chat = update.effective_user, update.effective_chat
    if query is None or user is None or chat is None or query.data is None:
        return
    d = deps(context)
    stale = d.content.raw_text("checkin.stale")
    press = parse_checkin_data(query.data)
    known = await d.storage.get_user(user.id)
    # The night must be one this person was sent a check-in for (its row exists).
    entry = (
        None
        if press is None or known is None
        else await d.storage.get_diary_entry(user.id, press.night)
    )
    if press is None or known is None or entry is None or query.message is None:
        await answer_query(query, stale)
        return
    now = d.clock.now()
    if (now.astimezone(user_zone(known)).date() - press.night).days > ANSWER_DAYS:
        await answer_query(query, d.content.raw_text("checkin.too_old"))
        return
    pressed = query.message.message_id
    if press.is_action:
        await _action(context, query, chat.id, known, entry, press, pressed)
        return

    night = press.night
    current = entry.checkin_message_id
    answers = dict(entry.answers)
    restart = press.item == "cramps" and current not in (None, pressed) and "cramps" in answers
    if restart:
        # The first question pressed in another check-in message for this night: the person
        # answers the night again, and the new answers replace the old ones.
        answers = dict.fromkeys(answers)
    new = apply_press(answers, press)
    others = [_Night(e.night, e.answers) for e in await _history(d, user.id, night)]
    others = [e for e in others if e.night != night]
    if new == answers and not restart:
        await answer_query(query, stale)
        if current not in (None, pressed):
            # A second message for this night (a repeated send), answered in the other one:
            # its buttons go, so only one check-in per night stays live.
            screen = Screen(d.content.text("checkin.moved"))
        else:
            ask = should_ask_weakness([*others, _Night(night, answers)], night)
            screen = _screen_after(d, night, answers, ask)
        await edit_screen(context, chat.id, pressed, screen)
        return
    await answer_query(query)
    history = [*others, _Night(night, new)]
    ask = should_ask_weakness(history, night)
    complete = is_complete(new, ask_weakness=ask)
    # Each answer is stored as it is given, so a restart loses nothing.
    await d.storage.upsert_diary(
        user.id, night, new, now, complete=complete, checkin_message_id=pressed
    )
    if complete:
        shown = await _warnings_to_show(d, user.id, night, history)
        screen = _screen_after(d, night, new, ask, shown)
    else:
        screen = _screen_after(d, night, new, ask)
    await edit_screen(context, chat.id, pressed, screen)


async def _action(
    context: Context,
    query: CallbackQuery,
    chat_id: int,
    known: User,
    entry: DiaryEntry,
    press: CheckinPress,
    pressed: int,
) -> None:
    """Snooze (the same check-in again in an hour) or Skip today; first step only."""
    d = deps(context)
    now = d.clock.now()
    tz = user_zone(known)
    first_step = next_step(entry.answers, ask_weakness=False) == "cramps"
    if not first_step:
        await answer_query(query, d.content.raw_text("checkin.stale"))
        history = await _history(d, known.user_id, press.night)
        ask = should_ask_weakness(history, press.night)
        await edit_screen(
            context, chat_id, pressed, _screen_after(d, press.night, entry.answers, ask)
        )
        return
    if press.item == "skip":
        await answer_query(query)
        await edit_screen(context, chat_id, pressed, Screen(d.content.text("checkin.skipped")))
        return
    # Snooze belongs to this morning's check-in: a new message for the same night, later.
    if press.night != local_night_for(now, tz):
        await answer_query(query, d.content.raw_text("checkin.stale"))
        return
    at = now + SNOOZE
    local_time = parse_local_time(known.reminder_time or "")
    slot = (
        resolve_local(press.night + timedelta(days=1), local_time, tz)
        if local_time is not None
        else None
    )
    if not await d.storage.snooze_reminder(known.user_id, at=at, slot_at=slot):
        await answer_query(query)
        await edit_screen(
            context, chat_id, pressed, Screen(d.content.text("checkin.snooze_unavailable"))
        )
        return
    await answer_query(query)
    local = at.astimezone(tz)
    text = d.content.text("checkin.snoozed_until", time=f"{local.hour:02d}:{local.minute:02d}")
    await edit_screen(context, chat_id, pressed, Screen(text))


def register(application: AnyApp) -> None:
    application.add_handler(CallbackQueryHandler(checkin_button, pattern=r"^d1:"))
