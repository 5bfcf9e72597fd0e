"""The bot works in private chats only: in a group it says so and stores nothing."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ApplicationHandlerStop, CallbackQueryHandler, MessageHandler, filters

from handlers.common import AnyApp, Context, answer_query, deps, is_private, reply_text

GUARD_GROUP = -10


async def group_message(update: Update, context: Context) -> None:
    """Answers a command in a group with a pointer to the private chat; ignores chatter."""
    message = update.effective_message
    if message is not None and message.text and message.text.startswith("/"):
        await reply_text(update, context, deps(context).content.text("group.private_only"))
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
