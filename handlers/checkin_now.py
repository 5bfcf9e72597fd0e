"""/checkin on Telegram: send today's check-in now (the decision is in bot/checkin_now.py)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CommandHandler

from bot.checkin_now import open_checkin
from handlers.checkin import checkin_flow
from handlers.common import AnyApp, Context, deps, send_screen
from handlers.start import welcome_screen


async def checkin_command(update: Update, context: Context) -> None:
    """Opens this morning's check-in now, in a new message."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    flow = checkin_flow(deps(context))
    opened = await open_checkin(flow, user.id)
    if opened.consent_first or opened.screen is None:
        await send_screen(context, chat.id, welcome_screen(context))
        return
    sent = await send_screen(context, chat.id, opened.screen)
    if opened.is_checkin and opened.night is not None:
        await flow.record_sent(user.id, opened.night, sent.message_id)


def register(application: AnyApp) -> None:
    application.add_handler(CommandHandler("checkin", checkin_command))
