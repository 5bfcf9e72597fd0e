"""Log lines: one line per event in key=value shape; the token never reaches a line, not even
inside a traceback."""

from __future__ import annotations

import logging
import re

import pytest

from bot.logs import RedactingFormatter, event

TOKEN = "123456789:AAEhBP0av28KdGPN7k9xQ3rUb8TqYcZxWvE"
# ts=... level=... logger=... event=... then key=value pairs, values bare or JSON-quoted.
LINE = re.compile(
    r'^ts=\S+ level=[A-Z]+ logger=\S+ event=\w+( \w+=(?:"(?:[^"\\]|\\.)*"|[^\s"]+))*$'
)


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
    # The traceback is folded into the one line, not spread over many.
    assert "\n" not in text
    assert LINE.match(text), text
    assert " error=RuntimeError " in text


def test_library_lines_keep_their_text_in_msg() -> None:
    formatter = RedactingFormatter([""])
    text = formatter.format(_record("plain %d", 5))
    assert LINE.match(text), text
    assert text.endswith(' logger=x event=log msg="plain 5"')


def test_events_are_key_value_in_the_order_given(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("cramp_bot.test")
    formatter = RedactingFormatter([TOKEN])
    with caplog.at_level(logging.INFO, logger="cramp_bot.test"):
        event(logger, "checkin_sent", user=1001, night="2026-11-25", note=None)
        event(logger, "odd", level=logging.WARNING, why='two words "quoted"\nand a newline')
    first, second = (formatter.format(record) for record in caplog.records)
    assert LINE.match(first) and LINE.match(second), (first, second)
    assert first.endswith(
        " level=INFO logger=cramp_bot.test event=checkin_sent user=1001 night=2026-11-25"
    )
    assert "note=" not in first  # a field without a value is left out, not "None"
    assert second.endswith(r' event=odd why="two words \"quoted\"\nand a newline"')
    assert "\n" not in second
