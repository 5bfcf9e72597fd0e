"""Wiring: wait out Telegram's "Too Many Requests" for replies, without pacing them.

PTB's AIORateLimiter paces every call that carries a chat id, which would cap button
presses near 30 per second for everybody. Replies to a person need no pacing (only the
morning broadcast does, in bot/reminders.py); they only need a 429 to be waited out and the
call sent again, so a person's answer is never silently lost.
"""

from __future__ import annotations

import asyncio
import logging
import warnings
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any

from telegram.error import BadRequest, NetworkError, RetryAfter
from telegram.ext import BaseRateLimiter
from telegram.warnings import PTBDeprecationWarning

from bot.logs import event

log = logging.getLogger(__name__)

NO_RETRY: dict[str, Any] = {"retry": False}

# Calls that do the same thing when repeated: a dropped connection is worth one more try.
# sendMessage is not among them: repeating it after a lost answer could send it twice.
IDEMPOTENT = frozenset(
    {
        "editMessageText",
        "editMessageReplyMarkup",
        "answerCallbackQuery",
        "setMyCommands",
        "deleteMessage",
        "getMe",
        "deleteWebhook",
    }
)
NETWORK_RETRY_DELAYS = (0.2, 1.0)

# Calls that put a new message in a chat: they count towards Telegram's ~30 per second.
NEW_MESSAGE = frozenset(
    {"sendMessage", "sendDocument", "sendPhoto", "sendSticker", "sendMediaGroup", "copyMessage"}
)


def retry_seconds(error: RetryAfter) -> float:
    """RetryAfter.retry_after is an int, or a timedelta with PTB_TIMEDELTA set: take both."""
    with warnings.catch_warnings():
        # Reading it as an int is deprecated in PTB 22.2+; the value is the same either way.
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value: Any = error.retry_after
    if isinstance(value, timedelta):
        return value.total_seconds()
    return float(value)


class RetryAfterLimiter(BaseRateLimiter[dict[str, Any]]):
    def __init__(self, *, max_retries: int = 3, max_wait: float = 60.0) -> None:
        self.max_retries = max_retries
        self.max_wait = max_wait
        # Told about every reply that creates a message, so the morning broadcast can step
        # back for it (ReminderDispatcher.note_interactive_send).
        self.on_interactive_send: Callable[[], None] | None = None

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: dict[str, Any] | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        # The reminder dispatcher handles 429s itself (one shared pause for the broadcast).
        broadcast = rate_limit_args is not None and rate_limit_args.get("retry") is False
        limit = 0 if broadcast else self.max_retries
        if not broadcast and endpoint in NEW_MESSAGE and self.on_interactive_send is not None:
            self.on_interactive_send()
        attempt = 0
        network_attempt = 0
        while True:
            try:
                return await callback(*args, **kwargs)
            except BadRequest:  # a NetworkError subclass, but a definite answer
                raise
            except NetworkError as error:
                if endpoint not in IDEMPOTENT or network_attempt >= len(NETWORK_RETRY_DELAYS):
                    raise
                event(
                    log,
                    "api_retry",
                    level=logging.WARNING,
                    method=endpoint,
                    error=type(error).__name__,
                )
                await asyncio.sleep(NETWORK_RETRY_DELAYS[network_attempt])
                network_attempt += 1
            except RetryAfter as error:
                wait = retry_seconds(error)
                if attempt >= limit or wait > self.max_wait:
                    raise
                attempt += 1
                event(log, "api_flood_wait", level=logging.WARNING, method=endpoint, seconds=wait)
                await asyncio.sleep(wait)
