"""Result buttons: a cause's explanation and tips, and back to the summary, in one message."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler

from bot.questionnaire.callbacks import RESULT_PATTERN
from handlers.account import questionnaire
from handlers.common import AnyApp, Context, answer_query, edit_screen


async def result_button(update: Update, context: Context) -> None:
    """Opens a shown cause in place, or goes back to the summary; stale presses are told."""
    query = update.callback_query
    user, chat = update.effective_user, update.effective_chat
    if query is None or user is None or chat is None or query.data is None:
        return
    pressed = query.message.message_id if query.message is not None else None
    outcome = await questionnaire(context).result_press(user.id, query.data, pressed)
    await answer_query(query, outcome.notice, alert=outcome.alert)
    if outcome.screen is not None and pressed is not None:
        await edit_screen(context, chat.id, pressed, outcome.screen)


def register(application: AnyApp) -> None:
    application.add_handler(CallbackQueryHandler(result_button, pattern=RESULT_PATTERN))
