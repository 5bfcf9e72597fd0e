"""The token never reaches a log line, not even inside a traceback."""

from __future__ import annotations

import logging

from bot.logs import RedactingFormatter

TOKEN = "123456789:AAEhBP0av28KdGPN7k9xQ3rUb8TqYcZxWvE"


def _record(message: str, *args: object, exc: BaseException | None = None) -> logging.LogRecord:
    exc_info = (type(exc), exc, exc.__traceback__) if exc is not None else None
    return logging.LogRecord("x", logging.ERROR, __file__, 1, message, args, exc_info)


def test_message_arguments_and_tracebacks_are_scrubbed() -> None:
    formatter = RedactingFormatter([TOKEN])
    try:
        raise RuntimeError(f"The token '{TOKEN}' was rejected by the server.")
    except RuntimeError as error:
        caught = error
    text = formatter.format(_record("calling %s", f"https://api/bot{TOKEN}/getMe", exc=caught))
    assert "Traceback" in text
    assert "was rejected" in text
    assert TOKEN not in text
    assert TOKEN.split(":", 1)[1] not in text
    assert "***" in text


def test_nothing_to_hide_leaves_lines_alone() -> None:
    formatter = RedactingFormatter([""])
    assert formatter.format(_record("plain %d", 5)).endswith("plain 5")
