"""/stats for the operators listed in CRAMP_BOT_ADMINS, and their own command menu.

Everyone else never sees the command: it is not in the default menu, only in a per-chat menu
(BotCommandScopeChat) of each admin's private chat, and for anyone but an admin /stats is an
unknown command (the fallback answers it like any other).
"""

from __future__ import annotations

import html
import logging

from telegram import BotCommand, BotCommandScopeChat, Update
from telegram.error import TelegramError
from telegram.ext import CommandHandler, filters

from bot.logs import event
from bot.operator.health import heartbeat
from bot.operator.stats import render
from bot.ui import COMMANDS
from bot.wiring.deps import get_deps
from bot.wiring.retry_after import NO_RETRY
from handlers.common import AnyApp, Context, deps, reply_text

log = logging.getLogger(__name__)

STATS = "stats"
STATS_DESCRIPTION = "Usage counts (operators only)"


async def stats_command(update: Update, context: Context) -> None:
    d = deps(context)
    counts = await d.storage.usage_counts(d.clock.now())
    user = update.effective_user
    event(log, "stats_shown", user=user.id if user is not None else None)
    lines = "\n".join(html.escape(line) for line in render(counts))
    await reply_text(
        update, context, f"<b>cramp-bot usage</b> (aggregates only)\n<pre>{lines}</pre>"
    )


async def on_startup(application: AnyApp) -> None:
    """A first heartbeat (the database takes writes; the minute job is about to start), then
    each admin's private chat gets the everyday menu plus /stats."""
    d = get_deps(application)
    try:
        await heartbeat(d.storage, d.clock.now())
    except Exception as error:  # health will say so; starting must not depend on it
        event(log, "heartbeat_failed", level=logging.ERROR, error=type(error).__name__)
    if not d.settings.admins:
        return
    commands = [BotCommand(name, d.content.raw_text(f"commands.{name}")) for name in COMMANDS]
    commands.append(BotCommand(STATS, STATS_DESCRIPTION))
    for admin in sorted(d.settings.admins):
        try:
            await application.bot.set_my_commands(
                commands, scope=BotCommandScopeChat(admin), rate_limit_args=NO_RETRY
            )
        except TelegramError as error:
            # "chat not found" until the admin has written to the bot once; /stats works anyway.
            event(
                log,
                "admin_menu_failed",
                level=logging.WARNING,
                user=admin,
                error=type(error).__name__,
            )


def register(application: AnyApp) -> None:
    admins = get_deps(application).settings.admins
    if not admins:
        return
    only_admins = filters.ChatType.PRIVATE & filters.User(user_id=sorted(admins))
    application.add_handler(CommandHandler(STATS, stats_command, filters=only_admins))
