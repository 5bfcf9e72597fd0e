"""One global error handler: log without personal data or the token, keep the bot running."""

from __future__ import annotations

import logging
import sqlite3
from typing import Any

from telegram import Update
from telegram.constants import ChatType
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.logs import event
from handlers.common import AnyApp, Context, deps, reply_text

log = logging.getLogger("cramp_bot.errors")


def describe(update: object) -> dict[str, Any]:
    """Only the kind of update and ids: never texts, answers or callback data."""
    if not isinstance(update, Update):
        return {"update": None}
    kind = "callback" if update.callback_query else "message" if update.message else "other"
    user = update.effective_user.id if update.effective_user else None
    return {"update": update.update_id, "kind": kind, "user": user}


def is_busy(error: object) -> bool:
    """The database stayed locked by another process for longer than its busy_timeout."""
    return isinstance(error, sqlite3.OperationalError) and (
        "locked" in str(error) or "busy" in str(error)
    )


async def _say_busy(update: Update, context: Context) -> None:
    """The press or message changed nothing (the transaction never began): ask for it again."""
    content = deps(context).content
    if update.callback_query is not None:
        try:
            await update.callback_query.answer(content.raw_text("error.busy_short"), True)
            return
        except BadRequest:
            pass  # the press was answered before the write failed: say it in the chat
    if update.effective_chat is not None and update.effective_chat.type == ChatType.PRIVATE:
        await reply_text(update, context, content.text("error.busy"))


async def on_error(update: object, context: Context) -> None:
    """Logs the failure and tells the person, in private chats, that their answers are safe."""
    error = context.error
    if is_busy(error):
        log.warning("database busy for %s; asked to try again", describe(update))
        if isinstance(update, Update):
            try:
                await _say_busy(update, context)
            except Exception:  # the notice itself must never raise again
                log.warning("could not send the busy notice for %s", describe(update))
        return
    if isinstance(error, (TimedOut, NetworkError, RetryAfter, Forbidden)):
        event(
            log,
            "telegram_error",
            level=logging.WARNING,
            **describe(update),
            error=type(error).__name__,
        )
    else:
        event(
            log,
            "handler_error",
            level=logging.ERROR,
            exc_info=error,
            **describe(update),
            error=type(error).__name__,
        )
    if (
        isinstance(update, Update)
        and update.effective_chat is not None
        and update.effective_chat.type == ChatType.PRIVATE
        and not isinstance(error, Forbidden)
    ):
        try:
            await reply_text(update, context, deps(context).content.text("error.generic"))
        except Exception:  # the apology itself must never raise again
            event(log, "error_notice_failed", level=logging.WARNING, **describe(update))


def register(application: AnyApp) -> None:
    application.add_error_handler(on_error)
