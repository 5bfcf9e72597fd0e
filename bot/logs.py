"""Logging set-up: quiet HTTP client, and a last line of defence that scrubs the token."""

from __future__ import annotations

import logging
import sys

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
LIBRARIES_THAT_QUOTE_PEOPLE = ("telegram", "aiosqlite", "asyncio", "hpack", "h11", "h2")


class RedactingFormatter(logging.Formatter):
    """Scrubs secrets from the whole formatted record, tracebacks included.

    The token is part of every Bot API URL, so an exception that quotes a URL or the token
    itself (InvalidToken does) must not carry it into the log.
    """

    def __init__(self, secrets: list[str], fmt: str = FORMAT) -> None:
        super().__init__(fmt)
        # The secret half alone too: some messages quote only the part after the colon.
        parts = [s for s in secrets if s] + [s.split(":", 1)[1] for s in secrets if ":" in s]
        self._secrets = sorted({p for p in parts if len(p) >= 8}, key=len, reverse=True)

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text


def setup_logging(*, token: str = "", level: int = logging.INFO) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(RedactingFormatter([token]))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx logs every request URL at INFO, and the URL contains the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    # At DEBUG these print whole updates, Bot API parameters and SQL arguments: typed text,
    # callback data and answers. DEBUG is for the bot's own lines; they stay at INFO.
    for name in LIBRARIES_THAT_QUOTE_PEOPLE:
        logging.getLogger(name).setLevel(max(level, logging.INFO))
