"""What every handler needs besides the update: settings, content, storage, clock and the
reminder dispatcher, kept in application.bot_data under one key.

Handlers import this module, and the application factory (bot.wiring.app) imports the handlers;
keeping Deps here, not in the factory, is what keeps that graph free of cycles.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from telegram.ext import Application, ContextTypes

from bot.clock import Clock
from bot.config import Settings
from bot.content.model import Content
from bot.storage import Storage

if TYPE_CHECKING:
    from bot.diary.dispatcher import ReminderDispatcher
    from bot.upkeep import Upkeep

DEPS_KEY = "deps"


@dataclass
class Deps:
    """Everything a handler needs besides the update; lives in application.bot_data."""

    settings: Settings
    content: Content
    storage: Storage
    clock: Clock
    dispatcher: ReminderDispatcher | None = None
    # What to do when a person unblocks the bot (set by the check-in feature: reminders back).
    on_unblocked: Callable[[int], Awaitable[None]] | None = None
    # The once-a-minute upkeep (database file check, retention), set by handlers/upkeep.py.
    upkeep: Upkeep | None = None
    # Stops `cramp-bot run` with this exit code (set by the CLI; None in tests and try mode).
    stop_with: Callable[[int], None] | None = None


def get_deps(application: Application[Any, Any, Any, Any, Any, Any]) -> Deps:
    deps = application.bot_data[DEPS_KEY]
    assert isinstance(deps, Deps)
    return deps


Context = ContextTypes.DEFAULT_TYPE
