"""One global error handler: log without personal data or the token, keep the bot running."""

from __future__ import annotations

import logging
from typing import Any

from telegram import Update
from telegram.constants import ChatType
from telegram.error import Forbidden, NetworkError, RetryAfter, TimedOut

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


async def on_error(update: object, context: Context) -> None:
    """Logs the failure and tells the person, in private chats, that their answers are safe."""
    error = context.error
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
