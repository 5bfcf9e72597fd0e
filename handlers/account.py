"""Welcome and consent, /check, /help, /privacy and /delete on Telegram.

What these mean is decided in bot.account.flow; this module shows it and moves the one live
questionnaire message.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.account.callbacks import (
    DELETE_PATTERN,
    START_PATTERN,
    AfterConsent,
    DeletePress,
    StartPress,
)
from bot.account.flow import Account
from bot.logs import event
from bot.questionnaire.flow import Questionnaire
from bot.ui import Screen
from handlers.common import (
    AnyApp,
    Context,
    answer_query,
    deps,
    edit_or_send,
    edit_screen,
    go_after_consent,
    reply_text,
    send_screen,
)

log = logging.getLogger(__name__)


def questionnaire(context: Context) -> Questionnaire:
    d = deps(context)
    return Questionnaire(d.content, d.storage, d.clock)


def account(context: Context) -> Account:
    d = deps(context)
    return Account(d.content, d.storage, d.clock)


def welcome_screen(context: Context, then: AfterConsent | None = None) -> Screen:
    return account(context).welcome(then=then)


async def retire_message(context: Context, chat_id: int, message_id: int | None, key: str) -> None:
    """Take the buttons off a questionnaire message that is no longer the live one, so only
    one message per questionnaire can be pressed."""
    if message_id is None:
        return
    try:
        await edit_screen(context, chat_id, message_id, Screen(deps(context).content.text(key)))
    except TelegramError as error:  # the live questionnaire is already shown; this is tidying
        event(log, "retire_failed", level=logging.WARNING, error=type(error).__name__)


async def begin_questionnaire(context: Context, user_id: int, chat_id: int) -> None:
    """Start a fresh assessment (earlier finished ones stay) in a new message."""
    flow = questionnaire(context)
    previous = await flow.open(user_id)
    started, screen = await flow.start(user_id)
    sent = await send_screen(context, chat_id, screen)
    await questionnaire(context).shown_in(started.id, sent.message_id)
    if previous is not None:
        await retire_message(context, chat_id, previous.message_id, "start.abandoned")


async def offer_or_begin(context: Context, user_id: int, chat_id: int) -> None:
    """A person with an unfinished questionnaire chooses to continue or start over."""
    offer = await account(context).resume_offer(user_id)
    if offer is None:
        await begin_questionnaire(context, user_id, chat_id)
        return
    await send_screen(context, chat_id, offer.screen)


async def _consented(update: Update, context: Context) -> tuple[int, int] | None:
    """(user id, chat id) of a person who agreed; otherwise shows the welcome and None."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return None
    if not await account(context).arrive(user.id, chat.id):
        await send_screen(context, chat.id, welcome_screen(context))
        return None
    return user.id, chat.id


async def start_command(update: Update, context: Context) -> None:
    """Greets the person; asks for consent once, then offers the questionnaire."""
    who = await _consented(update, context)
    if who is not None:
        await offer_or_begin(context, *who)


async def check_again(context: Context, user_id: int, chat_id: int) -> None:
    """A new questionnaire, unless answers of an unfinished one would be thrown away: then
    the person chooses (an old "Start again" button must not silently discard them)."""
    offer = await account(context).offer_before_new(user_id)
    if offer is not None:
        await send_screen(context, chat_id, offer.screen)
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
    press = StartPress.parse(query.data)
    if press is None:
        await answer_query(query, d.content.raw_text("stale.button_only"))
        return
    acct = account(context)
    pressed = query.message.message_id if query.message is not None else None
    if press.action == "agree":
        await answer_query(query)
        agreed = await acct.agree(user.id, chat.id)
        if pressed is not None:
            # Keep the disclaimer readable but take the button away.
            await edit_screen(context, chat.id, pressed, acct.welcome(with_button=False))
        if await go_after_consent(context, press.then, user.id, chat.id):
            return
        if agreed == "again":
            # A second tap on the welcome button: carry on where they are instead of restarting.
            await offer_or_begin(context, user.id, chat.id)
        else:
            await begin_questionnaire(context, user.id, chat.id)
        return
    if not await acct.arrive(user.id, chat.id):
        await answer_query(query, d.content.raw_text("start.consent_first"))
        await send_screen(context, chat.id, welcome_screen(context))
        return
    if press.action == "continue":
        current = await acct.to_continue(user.id, press)
        if current is None:
            await answer_query(query, d.content.raw_text("stale.button"))
            await offer_or_begin(context, user.id, chat.id)
            return
        await answer_query(query)
        screen = await questionnaire(context).screen_for(current)
        # Move the questionnaire down to where the person is now reading.
        shown = await edit_or_send(context, chat.id, pressed, screen)
        await questionnaire(context).shown_in(current.id, shown)
        if current.message_id != shown:
            await retire_message(context, chat.id, current.message_id, "start.moved")
        return
    await answer_query(query)
    if press.action == "check":
        await check_again(context, user.id, chat.id)
        return
    if pressed is not None:
        await edit_screen(context, chat.id, pressed, Screen(d.content.text("start.restarted")))
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
    await send_screen(context, chat.id, account(context).delete_prompt())


async def delete_button(update: Update, context: Context) -> None:
    """Removes every row of this person from every table, or cancels."""
    query = update.callback_query
    user, chat = update.effective_user, update.effective_chat
    if query is None or user is None or chat is None or query.data is None:
        return
    press = DeletePress.parse(query.data)
    if press is None:
        await answer_query(query, deps(context).content.raw_text("stale.button_only"))
        return
    await answer_query(query)
    screen = await account(context).delete(user.id, press)
    if query.message is not None:
        await edit_or_send(context, chat.id, query.message.message_id, screen)
    else:
        await reply_text(update, context, screen.text)


def register(application: AnyApp) -> None:
    application.add_handler(CommandHandler("start", start_command))
    application.add_handler(CommandHandler("check", check_command))
    application.add_handler(CommandHandler("help", help_command))
    application.add_handler(CommandHandler("privacy", privacy_command))
    application.add_handler(CommandHandler("delete", delete_command))
    application.add_handler(CallbackQueryHandler(start_button, pattern=START_PATTERN))
    application.add_handler(CallbackQueryHandler(delete_button, pattern=DELETE_PATTERN))
