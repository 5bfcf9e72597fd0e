"""Questionnaire button presses: the answer is stored, then the press is answered and the one
questionnaire message edited."""

from __future__ import annotations

import asyncio

from telegram import Update
from telegram.ext import CallbackQueryHandler

from bot.questionnaire.callbacks import PATTERN
from handlers.account import questionnaire, retire_message
from handlers.common import (
    AnyApp,
    Context,
    answer_query,
    edit_screen,
    send_screen,
)


async def question_button(update: Update, context: Context) -> None:
    """Applies one answer, toggle, Done or Back, checked against the stored state."""
    query = update.callback_query
    user, chat = update.effective_user, update.effective_chat
    if query is None or user is None or chat is None or query.data is None:
        return
    pressed = query.message.message_id if query.message is not None else None
    # No consent check here: an assessment only exists after consent, and a press on
    # anything else is stale or someone else's, which press() answers.
    outcome = await questionnaire(context).press(user.id, query.data, pressed)
    # press() has committed what the press changed, so it may be acknowledged now.
    answer = answer_query(query, outcome.notice, alert=outcome.alert)
    if outcome.screen is None:
        await answer
        return
    if outcome.edit_pressed and pressed is not None:
        # Stopping the spinner and showing the next screen in the same message do not depend
        # on each other, and the person sees them as one: both calls go out together, which
        # saves a round trip per press.
        # Both finish before an error of either goes on, the answer's first, as when they ran
        # one after the other.
        answered, edited = await asyncio.gather(
            answer, edit_screen(context, chat.id, pressed, outcome.screen), return_exceptions=True
        )
        if isinstance(answered, BaseException):
            raise answered
        if isinstance(edited, BaseException):
            raise edited
        if edited:
            return
        # The message was deleted: carry on in a fresh one.
        sent = await send_screen(context, chat.id, outcome.screen)
        current = await questionnaire(context).open(user.id)
        if current is not None:
            await questionnaire(context).shown_in(current.id, sent.message_id)
        return
    await answer
    if outcome.assessment_id is None:
        return
    # A button of another message: the questionnaire may be far up the chat, so it moves
    # down to where the person is looking, and the message it leaves loses its buttons.
    current = await questionnaire(context).get(outcome.assessment_id)
    sent = await send_screen(context, chat.id, outcome.screen)
    await questionnaire(context).shown_in(outcome.assessment_id, sent.message_id)
    if current is not None:
        await retire_message(context, chat.id, current.message_id, "start.moved")


def register(application: AnyApp) -> None:
    application.add_handler(CallbackQueryHandler(question_button, pattern=PATTERN))
