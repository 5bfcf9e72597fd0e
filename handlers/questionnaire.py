"""Questionnaire button presses: answer first, then edit the one questionnaire message."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler

from handlers.common import AnyApp, Context, answer_query, deps, edit_or_send, edit_screen
from handlers.start import questionnaire


async def question_button(update: Update, context: Context) -> None:
    """Applies one answer, toggle, Done or Back, checked against the stored state."""
    query = update.callback_query
    user, chat = update.effective_user, update.effective_chat
    if query is None or user is None or chat is None or query.data is None:
        return
    d = deps(context)
    known = await d.storage.get_user(user.id)
    if known is None or known.consented_at is None:
        await answer_query(query, d.content.raw_text("start.consent_first"))
        return
    pressed = query.message.message_id if query.message is not None else None
    outcome = await questionnaire(context).press(user.id, query.data, pressed)
    await answer_query(query, outcome.notice, alert=outcome.alert)
    if outcome.screen is None:
        return
    if outcome.edit_pressed and pressed is not None:
        if (
            not await edit_screen(context, chat.id, pressed, outcome.screen)
            and outcome.assessment_id
        ):
            shown = await edit_or_send(context, chat.id, None, outcome.screen)
            await d.storage.set_message_id(outcome.assessment_id, shown)
        return
    if outcome.assessment_id is None:
        return
    current = await d.storage.get_assessment(outcome.assessment_id)
    target = current.message_id if current is not None else None
    shown = await edit_or_send(context, chat.id, target, outcome.screen)
    if shown != target:
        await d.storage.set_message_id(outcome.assessment_id, shown)


def register(application: AnyApp) -> None:
    application.add_handler(CallbackQueryHandler(question_button, pattern=r"^q1:"))
