"""Everything no feature claimed: free text, stickers, unknown commands, unknown buttons."""

from __future__ import annotations

from datetime import timedelta

from telegram import Update
from telegram.ext import CallbackQueryHandler, MessageHandler, filters

from bot.diary.flow import SKIPPED
from bot.diary.reminders import Awaiting
from handlers.common import (
    TEXT_HOOKS_KEY,
    AnyApp,
    Context,
    TextHook,
    answer_query,
    deps,
    reply_text,
)


async def unknown_command(update: Update, context: Context) -> None:
    """Points to /help."""
    await reply_text(update, context, deps(context).content.text("hint.unknown_command"))


async def other_message(update: Update, context: Context) -> None:
    """Free text, stickers or photos: a feature waiting for typed input goes first."""
    hooks: list[TextHook] = context.application.bot_data.get(TEXT_HOOKS_KEY, [])
    for hook in hooks:
        if await hook(update, context):
            return
    user = update.effective_user
    if user is None:
        return
    d = deps(context)
    known = await d.storage.get_user(user.id)
    awaiting = (
        Awaiting.decode(known.awaiting) if known is not None and known.consented_at else None
    )
    if awaiting is not None and awaiting.what == "time":
        key = "hint.type_time"  # a sticker or photo while a typed time is awaited
    elif awaiting is not None:
        key = "hint.type_zone"
    elif await d.storage.get_open_assessment(user.id) is not None:
        key = "hint.use_buttons"
    elif await _checkin_waiting(context, user.id):
        key = "hint.checkin_buttons"
    else:
        key = "hint.no_questionnaire"
    await reply_text(update, context, d.content.text(key))


async def _checkin_waiting(context: Context, user_id: int) -> bool:
    """A morning check-in of the last few days was sent and is not finished yet."""
    d = deps(context)
    since = (d.clock.now() - timedelta(days=3)).date()
    entries = await d.storage.list_diary(user_id, since=since)
    return any(
        e.checkin_message_id is not None and not e.complete and not e.answers.get(SKIPPED)
        for e in entries
    )


async def unknown_button(update: Update, context: Context) -> None:
    """Garbled or forged callback data that no feature recognises."""
    if update.callback_query is not None:
        await answer_query(update.callback_query, deps(context).content.raw_text("stale.button"))


def register(application: AnyApp) -> None:
    private = filters.ChatType.PRIVATE
    application.add_handler(MessageHandler(private & filters.COMMAND, unknown_command))
    application.add_handler(
        MessageHandler(private & ~filters.COMMAND & ~filters.StatusUpdate.ALL, other_message)
    )
    application.add_handler(CallbackQueryHandler(unknown_button))
