"""Small helpers every handler uses: dependencies, screens to Telegram, benign errors."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatType
from telegram.error import BadRequest, Forbidden, NetworkError
from telegram.ext import Application

from bot.logs import event
from bot.ui import Screen
from bot.wiring.deps import Context, Deps, get_deps

log = logging.getLogger(__name__)


AnyApp = Application[Any, Any, Any, Any, Any, Any]
TextHook = Callable[[Update, Context], Awaitable[bool]]
TEXT_HOOKS_KEY = "text_hooks"
# Where a person lands after consent when they asked for something first ("reminders" -> the
# screen /reminders shows): features register them, so account needs no import of them.
AfterConsentHook = Callable[[Context, int, int], Awaitable[None]]
AFTER_CONSENT_KEY = "after_consent"


def deps(context: Context) -> Deps:
    return get_deps(context.application)


def is_private(update: Update) -> bool:
    chat = update.effective_chat
    return chat is not None and chat.type == ChatType.PRIVATE


def markup(screen: Screen) -> InlineKeyboardMarkup | None:
    if not screen.buttons:
        return None
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(b.text, callback_data=b.data) for b in row]
            for row in screen.buttons
        ]
    )


def _is(error: BadRequest, fragment: str) -> bool:
    return fragment in str(error.message).lower()


# Telegram's words for an edit whose message is gone, too old, or (for a photo edit) holds
# no picture: the caller shows the screen in a new message instead.
_GONE = ("not found", "can't be edited", "message_id_invalid", "no media")


def message_gone(error: BadRequest) -> bool:
    return any(_is(error, fragment) for fragment in _GONE)


async def answer_query(
    query: CallbackQuery, text: str | None = None, *, alert: bool = False
) -> None:
    """Answer a button press so the client stops spinning.

    A failed answer only means the spinner runs a little longer, so it never stops the
    handler from showing the person the right screen.
    """
    try:
        await query.answer(text=text, show_alert=alert)
    except BadRequest as error:
        if not (_is(error, "query is too old") or _is(error, "query id is invalid")):
            event(log, "answer_failed", level=logging.WARNING, error=error.message)
    except NetworkError as error:
        event(log, "answer_failed", level=logging.WARNING, error=type(error).__name__)


async def send_screen(context: Context, chat_id: int, screen: Screen) -> Message:
    return await context.bot.send_message(
        chat_id,
        screen.text,
        reply_markup=markup(screen),
    )


async def edit_screen(context: Context, chat_id: int, message_id: int, screen: Screen) -> bool:
    """Edit a message in place; False when it no longer exists (deleted, too old to edit)."""
    try:
        await context.bot.edit_message_text(
            screen.text,
            chat_id=chat_id,
            message_id=message_id,
            reply_markup=markup(screen),
        )
    except BadRequest as error:
        if _is(error, "message is not modified"):
            return True
        if message_gone(error):
            return False
        raise
    return True


async def edit_or_send(
    context: Context, chat_id: int, message_id: int | None, screen: Screen
) -> int:
    """Show `screen` in `message_id` if possible, else as a new message; returns where it is."""
    if message_id is not None and await edit_screen(context, chat_id, message_id, screen):
        return message_id
    sent = await send_screen(context, chat_id, screen)
    return sent.message_id


async def reply_text(update: Update, context: Context, text: str) -> None:
    chat = update.effective_chat
    if chat is None:
        return
    try:
        await context.bot.send_message(chat.id, text)
    except Forbidden:
        event(log, "reply_blocked", chat=chat.id)


def add_text_hook(application: AnyApp, hook: TextHook) -> None:
    """Let a feature claim free text first (a typed reminder time, a zone name)."""
    application.bot_data.setdefault(TEXT_HOOKS_KEY, []).append(hook)


def add_after_consent(application: AnyApp, name: str, hook: AfterConsentHook) -> None:
    application.bot_data.setdefault(AFTER_CONSENT_KEY, {})[name] = hook


async def go_after_consent(context: Context, name: str | None, user_id: int, chat_id: int) -> bool:
    """Shows where the person asked to go before consenting; False when nowhere."""
    hooks: dict[str, AfterConsentHook] = context.application.bot_data.get(AFTER_CONSENT_KEY, {})
    hook = hooks.get(name) if name is not None else None
    if hook is None:
        return False
    await hook(context, user_id, chat_id)
    return True
