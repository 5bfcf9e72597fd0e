"""The bot works in private chats only: in a group it says so and stores nothing."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop, CallbackQueryHandler, MessageHandler, filters

from bot.logs import event
from handlers.common import AnyApp, Context, answer_query, deps, is_private, reply_text

log = logging.getLogger(__name__)

GUARD_GROUP = -10


def _addressed_to_us(text: str, username: str | None) -> bool:
    """/help, or /help@ThisBot; not /help@SomeOtherBot in a group that has several bots."""
    command = text.split(maxsplit=1)[0]
    _, at, name = command.partition("@")
    return not at or (username is not None and name.lower() == username.lower())


async def group_message(update: Update, context: Context) -> None:
    """Answers a command in a group with a pointer to the private chat; ignores chatter and
    channel posts. Nothing else runs for it, even when the reply fails: a handler further
    on must never take a group for a person's private chat."""
    try:
        message = update.message
        text = message.text if message is not None else None
        if text and text.startswith("/") and _addressed_to_us(text, context.bot.username):
            await reply_text(update, context, deps(context).content.text("group.private_only"))
    except TelegramError as error:
        event(log, "group_reply_failed", level=logging.WARNING, error=type(error).__name__)
    finally:
        raise ApplicationHandlerStop


async def group_button(update: Update, context: Context) -> None:
    """A button pressed in a group does nothing but explain."""
    if is_private(update):
        return
    if update.callback_query is not None:
        await answer_query(
            update.callback_query,
            deps(context).content.raw_text("group.private_only_short"),
            alert=True,
        )
    raise ApplicationHandlerStop


def register(application: AnyApp) -> None:
    not_private = ~filters.ChatType.PRIVATE
    application.add_handler(MessageHandler(not_private, group_message), group=GUARD_GROUP)
    application.add_handler(
        CallbackQueryHandler(group_button, pattern=lambda _data: True, block=True),
        group=GUARD_GROUP,
    )
