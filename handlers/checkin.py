"""The morning check-in on Telegram: the once-a-minute reminder job, sending, and d1: presses.

Only the reminder path is paced, by the dispatcher's own limiter: the bot has no AIORateLimiter,
so replies and button presses never queue behind a busy morning's sends.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, date, datetime, timedelta
from typing import Any

from telegram import Update
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError
from telegram.ext import CallbackQueryHandler, CommandHandler, JobQueue

from bot.content.model import Content
from bot.diary.checkin_now import open_checkin
from bot.diary.dispatcher import ReminderDispatcher, SendFn, SendOutcome, SendResult
from bot.diary.flow import CheckinFlow
from bot.diary.reminders import ReminderSettings
from bot.logs import event
from bot.operator.health import heartbeat
from bot.storage import User
from bot.wiring.deps import Deps, get_deps
from bot.wiring.http_client import may_have_arrived
from bot.wiring.retry_after import NO_RETRY, RetryAfterLimiter, retry_seconds
from handlers.account import welcome_screen
from handlers.common import (
    AnyApp,
    Context,
    answer_query,
    deps,
    edit_screen,
    markup,
    send_screen,
)

__all__ = [
    "JOB_NAME",
    "checkin_button",
    "checkin_flow",
    "make_sender",
    "on_startup",
    "register",
    "reminder_tick",
    "texts_of",
]

log = logging.getLogger(__name__)

JOB_NAME = "reminders"
TICK_SECONDS = 60
WATCH_KEY = "reminder_clock_watch"


def texts_of(d: Deps) -> Content:
    return d.content


def checkin_flow(d: Deps) -> CheckinFlow:
    return CheckinFlow(texts_of(d), d.storage, d.clock)


# --- sending (called by the dispatcher) ---------------------------------------------------------


def make_sender(application: AnyApp) -> SendFn:
    """The dispatcher's `send(user, night)`: one check-in message, Telegram errors mapped."""
    flow = checkin_flow(get_deps(application))

    async def send(user: User, night: date) -> SendOutcome:
        delivery = await flow.to_send(user.user_id, night)
        screen = delivery.screen
        if screen is None:
            return SendOutcome(SendResult.SENT, message_id=delivery.message_id)
        try:
            message = await application.bot.send_message(
                user.chat_id,
                screen.text,
                reply_markup=markup(screen),
                rate_limit_args=NO_RETRY,
            )
        except Forbidden:
            return SendOutcome(SendResult.BLOCKED)
        except RetryAfter as error:
            return SendOutcome(SendResult.RETRY_AFTER, retry_after=retry_seconds(error))
        except BadRequest as error:
            if "chat not found" in str(error.message).lower():
                return SendOutcome(SendResult.BLOCKED)
            event(
                log,
                "checkin_refused",
                level=logging.WARNING,
                user=user.user_id,
                error=error.message,
            )
            return SendOutcome(SendResult.FAILED)
        except TelegramError as error:  # TimedOut, NetworkError, 5xx
            if may_have_arrived(error):
                event(
                    log,
                    "checkin_send_uncertain",
                    level=logging.WARNING,
                    user=user.user_id,
                    error=type(error).__name__,
                )
                return SendOutcome(SendResult.UNCERTAIN)
            event(
                log,
                "checkin_send_error",
                level=logging.WARNING,
                user=user.user_id,
                error=type(error).__name__,
            )
            return SendOutcome(SendResult.FAILED)
        try:
            await flow.record_sent(user.user_id, night, message.message_id)
        except Exception:
            # The message is out: reporting a failure now would send it a second time.
            event(
                log,
                "checkin_store_failed",
                level=logging.ERROR,
                exc_info=True,
                user=user.user_id,
            )
        return SendOutcome(SendResult.SENT, message_id=message.message_id)

    return send


async def reminder_tick(context: Context) -> None:
    dispatcher = deps(context).dispatcher
    if dispatcher is None:
        return
    report = await dispatcher.tick()
    d = deps(context)
    await heartbeat(d.storage, d.clock.now())
    if report.sent or report.blocked or report.retried or report.failed or report.skipped:
        event(
            log, "reminder_tick",
            sent=report.sent, blocked=report.blocked, retried=report.retried,
            failed=report.failed, skipped=report.skipped,
        )  # fmt: skip


async def on_startup(application: AnyApp) -> None:
    """The dispatcher, and ONE repeating job for everybody (no job per user)."""
    d = get_deps(application)
    d.dispatcher = ReminderDispatcher(
        d.storage, d.clock, make_sender(application), rate_per_second=d.settings.send_rate
    )
    # A person who unblocked the bot and had reminders on gets them back from next morning.
    d.on_unblocked = ReminderSettings(d.content, d.storage, d.clock).resume
    limiter = application.bot.rate_limiter
    if isinstance(limiter, RetryAfterLimiter):
        limiter.on_interactive_send = d.dispatcher.note_interactive_send
    queue = application.job_queue
    if queue is None:  # pragma: no cover - APScheduler is a dependency
        event(log, "no_job_queue", level=logging.ERROR)
        return
    for old in queue.get_jobs_by_name(JOB_NAME):
        old.schedule_removal()
    now = d.clock.now()
    # On the minute, so a 07:30 check-in leaves at 07:30:00 and not up to a minute late.
    first = TICK_SECONDS - (now.second + now.microsecond / 1_000_000)
    # A tick that runs late (a busy loop, a clock moved forward) is still worth running: it
    # only asks who is due now, so no grace limit, and missed ticks coalesce into one.
    queue.run_repeating(
        reminder_tick,
        interval=TICK_SECONDS,
        first=first,
        name=JOB_NAME,
        job_kwargs={"max_instances": 1, "coalesce": True, "misfire_grace_time": None},
    )
    application.bot_data[WATCH_KEY] = asyncio.get_running_loop().create_task(
        watch_clock(queue), name="reminder clock watch"
    )


async def on_stop(application: AnyApp) -> None:
    watch = application.bot_data.pop(WATCH_KEY, None)
    if isinstance(watch, asyncio.Task):
        watch.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watch


def revive_stalled_tick(queue: JobQueue[Any], now: datetime) -> bool:
    """APScheduler waits by the wall clock: after the system clock is set back by an hour,
    the every-minute job would next run an hour from now and every morning in that hour
    would be missed. Such a far-off next run is pulled back to now; True if it was."""
    for job in queue.get_jobs_by_name(JOB_NAME):
        due = job.next_t
        if due is not None and due - now > timedelta(seconds=2 * TICK_SECONDS):
            event(log, "clock_went_back", level=logging.WARNING)
            job.job.modify(next_run_time=now)
            return True
    return False


async def watch_clock(queue: JobQueue[Any]) -> None:
    # asyncio sleeps by the monotonic clock, which a change of the system time does not move.
    while True:
        await asyncio.sleep(TICK_SECONDS)
        try:
            revive_stalled_tick(queue, datetime.now(UTC))
        except Exception:  # the watch must outlive any one hiccup of the scheduler
            event(log, "clock_watch_failed", level=logging.ERROR, exc_info=True)


# --- presses ------------------------------------------------------------------------------------


async def checkin_button(update: Update, context: Context) -> None:
    """Every d1: press: answer first, then edit the pressed check-in message."""
    query = update.callback_query
    user, chat = update.effective_user, update.effective_chat
    if query is None or user is None or chat is None or query.data is None:
        return
    pressed = query.message.message_id if query.message is not None else None
    outcome = await checkin_flow(deps(context)).press(user.id, query.data, pressed)
    await answer_query(query, outcome.notice)
    if outcome.screen is not None and pressed is not None:
        await edit_screen(context, chat.id, pressed, outcome.screen)


async def checkin_command(update: Update, context: Context) -> None:
    """/checkin: this morning's check-in now, in a new message."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    flow = checkin_flow(deps(context))
    opened = await open_checkin(flow, user.id)
    if opened.consent_first or opened.screen is None:
        await send_screen(context, chat.id, welcome_screen(context))
        return
    sent = await send_screen(context, chat.id, opened.screen)
    if opened.is_checkin and opened.night is not None:
        await flow.record_sent(user.id, opened.night, sent.message_id)


def register(application: AnyApp) -> None:
    application.add_handler(CommandHandler("checkin", checkin_command))
    application.add_handler(CallbackQueryHandler(checkin_button, pattern=r"^d1:"))
