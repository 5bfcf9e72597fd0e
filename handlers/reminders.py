"""/reminders, r1: buttons and typed time/zone input on Telegram.

The decisions (callback data, the opt-in steps, pause, on and off, what typed text means) are
in bot/reminder_settings.py; this module reads the update, answers the press and shows the
screen it gets back.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.diary.reminders import Outcome, ReminderSettings, parse_reminder_data
from handlers.account import welcome_screen
from handlers.common import (
    AnyApp,
    Context,
    add_text_hook,
    answer_query,
    deps,
    edit_or_send,
    reply_text,
    send_screen,
)

__all__ = [
    "parse_reminder_data",  # where tests have always found it; it lives in the core now
    "register",
    "reminder_settings",
    "reminders_button",
    "reminders_command",
    "typed_input",
]


def reminder_settings(context: Context) -> ReminderSettings:
    d = deps(context)
    return ReminderSettings(d.content, d.storage, d.clock)


async def _show(context: Context, chat_id: int, pressed: int | None, outcome: Outcome) -> None:
    if outcome.consent_first:
        await send_screen(context, chat_id, welcome_screen(context))
    elif outcome.screen is None:
        return
    elif outcome.new_message:
        await send_screen(context, chat_id, outcome.screen)
    else:
        await edit_or_send(context, chat_id, pressed, outcome.screen)


async def reminders_command(update: Update, context: Context) -> None:
    """Shows the current setting with buttons to change it."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    outcome = await reminder_settings(context).command(user.id, chat.id)
    await _show(context, chat.id, None, outcome)


async def reminders_button(update: Update, context: Context) -> None:
    """Every r1: button: answer first, then edit the pressed message (or send a new one)."""
    query = update.callback_query
    user, chat = update.effective_user, update.effective_chat
    if query is None or user is None or chat is None or query.data is None:
        return
    outcome = await reminder_settings(context).press(user.id, query.data)
    await answer_query(query, outcome.notice)
    pressed = query.message.message_id if query.message is not None else None
    await _show(context, chat.id, pressed, outcome)


async def typed_input(update: Update, context: Context) -> bool:
    """A typed time or zone while the opt-in waits for one; False: not ours, let others see."""
    user, chat, message = update.effective_user, update.effective_chat, update.effective_message
    if user is None or chat is None or message is None or message.text is None:
        return False
    outcome = await reminder_settings(context).typed(user.id, message.text)
    if outcome is None:
        return False
    if outcome.plain and outcome.screen is not None:
        await reply_text(update, context, outcome.screen.text)
    else:
        await _show(context, chat.id, None, outcome)
    return True


def register(application: AnyApp) -> None:
    application.add_handler(CommandHandler("reminders", reminders_command))
    application.add_handler(CallbackQueryHandler(reminders_button, pattern=r"^r1:"))
    add_text_hook(application, typed_input)
