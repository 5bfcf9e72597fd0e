"""Welcome and consent, /check, /help, /privacy and /delete."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.questionnaire import Questionnaire
from bot.ui import Button, Screen
from handlers.common import (
    AnyApp,
    Context,
    answer_query,
    deps,
    edit_or_send,
    edit_screen,
    reply_text,
    send_screen,
)

log = logging.getLogger(__name__)

_START_RE = re.compile(r"^s1:(agree|restart|check|continue:[0-9]{1,10})$")
# The prompt's minute (UTC epoch minutes) rides along, so an old confirmation cannot delete.
_DELETE_RE = re.compile(r"^x1:(yes|no):([0-9]{1,12})$")
DELETE_VALID = timedelta(hours=1)
# Epoch minutes of 1 Jan 2100: a larger number is no real prompt (and could overflow).
_LAST_MINUTE = 4_102_444_800 // 60


def parse_delete_data(data: str) -> tuple[str, datetime] | None:
    """("yes" | "no", the minute the prompt was sent), or None for anything forged."""
    match = _DELETE_RE.match(data)
    if match is None or int(match.group(2)) > _LAST_MINUTE:
        return None
    return match.group(1), datetime.fromtimestamp(int(match.group(2)) * 60, UTC)


def questionnaire(context: Context) -> Questionnaire:
    d = deps(context)
    return Questionnaire(d.content, d.storage, d.clock)


def welcome_screen(context: Context) -> Screen:
    content = deps(context).content
    return Screen(
        content.text("start.welcome"),
        ((Button(content.raw_text("start.agree_button"), "s1:agree"),),),
    )


async def retire_message(context: Context, chat_id: int, message_id: int | None, key: str) -> None:
    """Take the buttons off a questionnaire message that is no longer the live one, so only
    one message per questionnaire can be pressed."""
    if message_id is None:
        return
    try:
        await edit_screen(context, chat_id, message_id, Screen(deps(context).content.text(key)))
    except TelegramError as error:  # the live questionnaire is already shown; this is tidying
        log.warning("could not retire an old questionnaire message: %s", type(error).__name__)


async def begin_questionnaire(context: Context, user_id: int, chat_id: int) -> None:
    """Start a fresh assessment (earlier finished ones stay) in a new message."""
    d = deps(context)
    previous = await d.storage.get_open_assessment(user_id)
    started, screen = await questionnaire(context).start(user_id)
    sent = await send_screen(context, chat_id, screen)
    await d.storage.set_message_id(started.id, sent.message_id)
    if previous is not None:
        await retire_message(context, chat_id, previous.message_id, "start.abandoned")


async def offer_or_begin(context: Context, user_id: int, chat_id: int) -> None:
    """A person with an unfinished questionnaire chooses to continue or start over."""
    d = deps(context)
    current = await d.storage.get_open_assessment(user_id)
    if current is None:
        await begin_questionnaire(context, user_id, chat_id)
        return
    content = d.content
    screen = Screen(
        content.text("start.resume"),
        (
            (Button(content.raw_text("start.continue_button"), f"s1:continue:{current.id}"),),
            (Button(content.raw_text("start.restart_button"), "s1:restart"),),
        ),
    )
    await send_screen(context, chat_id, screen)


async def _consented(update: Update, context: Context) -> tuple[int, int] | None:
    """(user id, chat id) of a person who agreed; otherwise shows the welcome and None."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return None
    d = deps(context)
    # Nothing is stored before consent: the row is made when the person agrees.
    known = await d.storage.get_user(user.id)
    if known is None or known.consented_at is None:
        await send_screen(context, chat.id, welcome_screen(context))
        return None
    if known.chat_id != chat.id:
        await d.storage.upsert_user(user.id, chat.id, d.clock.now())
    return user.id, chat.id


async def start_command(update: Update, context: Context) -> None:
    """Greets the person; asks for consent once, then offers the questionnaire."""
    who = await _consented(update, context)
    if who is not None:
        await offer_or_begin(context, *who)


async def check_again(context: Context, user_id: int, chat_id: int) -> None:
    """A new questionnaire, unless answers of an unfinished one would be thrown away: then
    the person chooses (an old "Start again" button must not silently discard them)."""
    d = deps(context)
    current = await d.storage.get_open_assessment(user_id)
    if current is not None and await d.storage.get_answers(current.id):
        await offer_or_begin(context, user_id, chat_id)
        return
    await begin_questionnaire(context, user_id, chat_id)


async def check_command(update: Update, context: Context) -> None:
    """Starts the questionnaire again (after consent)."""
    who = await _consented(update, context)
    if who is not None:
        await check_again(context, *who)


async def start_button(update: Update, context: Context) -> None:
    """Consent, continue and start-over buttons."""
    query = update.callback_query
    user, chat = update.effective_user, update.effective_chat
    if query is None or user is None or chat is None or query.data is None:
        return
    d = deps(context)
    match = _START_RE.match(query.data)
    if match is None:
        await answer_query(query, d.content.raw_text("stale.button"))
        return
    action = match.group(1)
    known = await d.storage.get_user(user.id)
    if action == "agree":
        await answer_query(query)
        if known is not None and known.consented_at is not None:
            # A second tap on the welcome button: carry on where they are instead of restarting.
            if query.message is not None:
                await edit_screen(
                    context,
                    chat.id,
                    query.message.message_id,
                    Screen(d.content.text("start.welcome")),
                )
            await offer_or_begin(context, user.id, chat.id)
            return
        await d.storage.upsert_user(user.id, chat.id, d.clock.now())
        await d.storage.set_consent(user.id, d.clock.now())
        if query.message is not None:
            # Keep the disclaimer readable but take the button away.
            await edit_screen(
                context, chat.id, query.message.message_id, Screen(d.content.text("start.welcome"))
            )
        await begin_questionnaire(context, user.id, chat.id)
        return
    if known is None or known.consented_at is None:
        await answer_query(query, d.content.raw_text("start.consent_first"))
        await send_screen(context, chat.id, welcome_screen(context))
        return
    if action.startswith("continue:"):
        current = await d.storage.get_open_assessment(user.id)
        if current is None or current.id != int(action.split(":")[1]):
            await answer_query(query, d.content.raw_text("stale.button"))
            await offer_or_begin(context, user.id, chat.id)
            return
        await answer_query(query)
        screen = await questionnaire(context).screen_for(current)
        # Move the questionnaire down to where the person is now reading.
        message_id = query.message.message_id if query.message is not None else None
        shown = await edit_or_send(context, chat.id, message_id, screen)
        await d.storage.set_message_id(current.id, shown)
        if current.message_id != shown:
            await retire_message(context, chat.id, current.message_id, "start.moved")
        return
    await answer_query(query)
    if action == "check":
        await check_again(context, user.id, chat.id)
        return
    if query.message is not None and action == "restart":
        await edit_screen(
            context, chat.id, query.message.message_id, Screen(d.content.text("start.restarted"))
        )
    await begin_questionnaire(context, user.id, chat.id)


async def help_command(update: Update, context: Context) -> None:
    """Lists what the bot can do."""
    await reply_text(update, context, deps(context).content.text("help.text"))


async def privacy_command(update: Update, context: Context) -> None:
    """Says what is stored, why, and how to delete it."""
    d = deps(context)
    days = d.settings.retention_days
    await reply_text(update, context, d.content.text("privacy.text", days=days))


async def delete_command(update: Update, context: Context) -> None:
    """Asks for confirmation before removing everything stored about the person."""
    chat = update.effective_chat
    if chat is None:
        return
    d = deps(context)
    minute = int(d.clock.now().timestamp() // 60)
    screen = Screen(
        d.content.text("delete.confirm"),
        (
            (Button(d.content.raw_text("delete.yes_button"), f"x1:yes:{minute}"),),
            (Button(d.content.raw_text("delete.no_button"), f"x1:no:{minute}"),),
        ),
    )
    await send_screen(context, chat.id, screen)


async def delete_button(update: Update, context: Context) -> None:
    """Removes every row of this person from every table, or cancels."""
    query = update.callback_query
    user, chat = update.effective_user, update.effective_chat
    if query is None or user is None or chat is None or query.data is None:
        return
    d = deps(context)
    parsed = parse_delete_data(query.data)
    if parsed is None:
        await answer_query(query, d.content.raw_text("stale.button"))
        return
    await answer_query(query)
    choice, asked = parsed
    if not timedelta(0) <= d.clock.now() - asked <= DELETE_VALID + timedelta(minutes=1):
        text = d.content.text("delete.expired")
    elif choice == "yes":
        await d.storage.delete_user(user.id)
        text = d.content.text("delete.done")
    elif await d.storage.get_user(user.id) is None:
        text = d.content.text("delete.nothing")  # deleted from another prompt meanwhile
    else:
        text = d.content.text("delete.cancelled")
    if query.message is not None:
        await edit_or_send(context, chat.id, query.message.message_id, Screen(text))
    else:
        await reply_text(update, context, text)


def register(application: AnyApp) -> None:
    application.add_handler(CommandHandler("start", start_command))
    application.add_handler(CommandHandler("check", check_command))
    application.add_handler(CommandHandler("help", help_command))
    application.add_handler(CommandHandler("privacy", privacy_command))
    application.add_handler(CommandHandler("delete", delete_command))
    application.add_handler(CallbackQueryHandler(start_button, pattern=r"^s1:"))
    application.add_handler(CallbackQueryHandler(delete_button, pattern=r"^x1:"))
