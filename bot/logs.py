"""Logging: one line per event in a stable key=value shape, with the token scrubbed.

    ts=2026-11-26T07:30:00.125Z level=INFO logger=handlers.checkin event=checkin_sent user=1001

The bot's own lines come from `event(log, "checkin_sent", user=...)`: a fixed event name and
fields chosen for operators (ids, counts, error kinds), never a person's answers or typed
text. Lines from libraries keep their text in `msg="..."` under `event=log`. A traceback is
folded into the same line (`trace="..."`, newlines escaped), so a log shipper never splits one
event into many.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any

# At DEBUG these libraries print whole updates, Bot API parameters and SQL arguments.
LIBRARIES_THAT_QUOTE_PEOPLE = ("telegram", "aiosqlite", "asyncio", "hpack", "h11", "h2")
_BARE = re.compile(r"^[A-Za-z0-9_.:/@+,-]+$")
_EVENT = "event_name"
_FIELDS = "event_fields"


def event(
    logger: logging.Logger,
    name: str,
    *,
    level: int = logging.INFO,
    exc_info: BaseException | bool | None = None,
    **fields: Any,
) -> None:
    """Log one event: `event=<name>` followed by `key=value` for each field, in order.

    The record's plain message holds the same pairs, for formatters other than ours (the
    one-line stderr of `cramp-bot try`)."""
    message = _pairs([("event", name), *fields.items()]).replace("%", "%%")
    logger.log(level, message, exc_info=exc_info, extra={_EVENT: name, _FIELDS: fields})


def _value(value: Any) -> str:
    text = value if isinstance(value, str) else str(value)
    if text and _BARE.match(text):
        return text
    return json.dumps(text)  # quoted; newlines, quotes and control characters escaped


def _pairs(pairs: list[tuple[str, Any]]) -> str:
    return " ".join(f"{key}={_value(value)}" for key, value in pairs if value is not None)


class RedactingFormatter(logging.Formatter):
    """Formats key=value lines and scrubs secrets from the whole line, tracebacks included.

    The token is part of every Bot API URL, so an exception that quotes a URL or the token
    itself (InvalidToken does) must not carry it into the log.
    """

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        # The secret half alone too: some messages quote only the part after the colon.
        parts = [s for s in secrets if s] + [s.split(":", 1)[1] for s in secrets if ":" in s]
        self._secrets = sorted({p for p in parts if len(p) >= 8}, key=len, reverse=True)

    def format(self, record: logging.LogRecord) -> str:
        moment = datetime.fromtimestamp(record.created, UTC)
        pairs: list[tuple[str, Any]] = [
            ("ts", moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")),
            ("level", record.levelname),
            ("logger", record.name),
        ]
        name = getattr(record, _EVENT, None)
        if name is not None:
            pairs.append(("event", name))
            pairs.extend(dict(getattr(record, _FIELDS, {})).items())
        else:
            pairs += [("event", "log"), ("msg", record.getMessage())]
        if record.exc_info:
            pairs.append(("error", record.exc_info[0].__name__ if record.exc_info[0] else None))
            pairs.append(("trace", self.formatException(record.exc_info)))
        elif record.stack_info:
            pairs.append(("trace", record.stack_info))
        text = _pairs(pairs)
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text


def setup_logging(
    *, token: str = "", secrets: list[str] | None = None, level: int = logging.INFO
) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(RedactingFormatter([token, *(secrets or [])]))
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
    # tornado's own access and error lines would repeat what the webhook server logs.
    logging.getLogger("tornado.access").setLevel(logging.WARNING)
