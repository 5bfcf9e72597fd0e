"""Wiring: the one place where the core meets python-telegram-bot.

`build_application` is used by `cramp-bot run`, by the end-to-end tests and by `cramp-bot try`,
so all three run the same handlers, the same update processing and the same HTTP client.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from telegram import BotCommand, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import Application, ApplicationBuilder, Defaults
from telegram.request import BaseRequest

import handlers
from bot.logs import event
from bot.ui import COMMANDS
from bot.wiring.deps import DEPS_KEY, Deps, get_deps
from bot.wiring.http_client import AiohttpRequest
from bot.wiring.retry_after import NO_RETRY, RetryAfterLimiter
from bot.wiring.updates import PerUserUpdateProcessor

log = logging.getLogger(__name__)

# Under load, a short pause before each long poll lets the presses that arrive meanwhile come
# back in one getUpdates instead of one request each, which roughly halves the CPU of a press
# (docs/benchmarks.md §5). It applies only while other updates are still being handled, so a
# person alone with the bot is never kept waiting by it.
POLL_PAUSE = 0.05
BUSY_UPDATES = 3  # updates in hand at once from which the bot counts as busy


async def on_startup(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Runs once the bot is initialised: command menu and the reminder job."""
    deps = get_deps(application)
    commands = [BotCommand(name, deps.content.raw_text(f"commands.{name}")) for name in COMMANDS]
    try:
        # No waiting out a 429 here: the menu must not hold up the start of polling.
        await application.bot.set_my_commands(commands, rate_limit_args=NO_RETRY)
    except TelegramError as error:
        # The menu is a convenience; the bot works without it, so it must not stop start-up.
        event(log, "menu_failed", level=logging.WARNING, error=type(error).__name__)
    await handlers.startup_all(application)


async def on_stop(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Runs once the bot has stopped: background tasks of the handlers end."""
    await handlers.stop_all(application)


def build_application(
    deps: Deps,
    *,
    request: BaseRequest | None = None,
    get_updates_request: BaseRequest | None = None,
) -> Application[Any, Any, Any, Any, Any, Any]:
    processor = PerUserUpdateProcessor(256)

    def poll_pause() -> float:
        return POLL_PAUSE if processor.working_updates >= BUSY_UPDATES else 0.0

    builder = (
        ApplicationBuilder()
        .token(deps.settings.token)
        # Every text is Telegram HTML, escaped by the renderers; the privacy and help texts
        # carry links whose previews would push the answer off the screen.
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        )
        .concurrent_updates(processor)
        .rate_limiter(RetryAfterLimiter())
        .post_init(on_startup)
        .post_stop(on_stop)
    )
    if deps.settings.api_base_url:
        builder = builder.base_url(deps.settings.api_base_url)
    # aiohttp carries the calls unless a caller (the try mode) brings its own transport.
    builder = builder.request(request if request is not None else AiohttpRequest())
    builder = builder.get_updates_request(
        get_updates_request
        if get_updates_request is not None
        else AiohttpRequest(pool_size=1, pause=poll_pause)
    )
    application = builder.build()
    application.bot_data[DEPS_KEY] = deps
    handlers.register_all(application)
    return application


@asynccontextmanager
async def running(
    application: Application[Any, Any, Any, Any, Any, Any], *, poll_timeout: int = 1
) -> AsyncIterator[Application[Any, Any, Any, Any, Any, Any]]:
    """Start polling the way run_polling does, for tests and the try mode.

    run_polling owns the event loop and the signal handlers, so in-process users need this
    explicit sequence; it runs the same post_init hook so nothing differs from production.
    """
    await application.initialize()
    try:
        if application.post_init is not None:
            await application.post_init(application)
        assert application.updater is not None
        await application.updater.start_polling(
            poll_interval=0.0, timeout=poll_timeout, allowed_updates=Update.ALL_TYPES
        )
        await application.start()
        try:
            yield application
        finally:
            if application.updater.running:
                await application.updater.stop()
            if application.running:
                await application.stop()
    finally:
        if application.post_stop is not None:
            await application.post_stop(application)
        await application.shutdown()
