"""An edited message is not a new one: nothing is done twice because a person fixed a typo."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ApplicationHandlerStop, MessageHandler, filters

from handlers.common import AnyApp, Context, deps, reply_text

EDITS_GROUP = -9  # after the private-chat guard, before every feature


async def edited_message(update: Update, context: Context) -> None:
    """Says the edit was not acted on; an edited /delete must not ask again, an edited time
    must not be read as a time zone."""
    await reply_text(update, context, deps(context).content.text("hint.edited"))
    raise ApplicationHandlerStop


def register(application: AnyApp) -> None:
    application.add_handler(
        MessageHandler(
            filters.UpdateType.EDITED_MESSAGE & filters.ChatType.PRIVATE, edited_message
        ),
        group=EDITS_GROUP,
    )
