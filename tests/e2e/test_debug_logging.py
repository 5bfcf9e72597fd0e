"""CRAMP_BOT_LOG_LEVEL=DEBUG never puts what people answer, type or press into the log."""

from __future__ import annotations

import io
import logging
import sys
from collections.abc import Iterator

import pytest

from bot.config import ConfigError, parse_log_level
from bot.logs import setup_logging
from tests.e2e.test_questionnaire import CALM, answer
from tests.harness import World

TYPED = "Zanzibar-typed-secret"


@pytest.fixture
def debug_log(monkeypatch: pytest.MonkeyPatch) -> Iterator[io.StringIO]:
    root = logging.getLogger()
    saved = (root.level, root.handlers[:])
    names = ("telegram", "aiosqlite", "asyncio", "httpx", "httpcore", "apscheduler")
    levels = {name: logging.getLogger(name).level for name in names}
    out = io.StringIO()
    monkeypatch.setattr(sys, "stderr", out)
    setup_logging(token="", level=parse_log_level("debug"))
    yield out
    root.setLevel(saved[0])
    root.handlers[:] = saved[1]
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


async def test_debug_log_shows_no_answers_text_or_callback_data(
    world: World, debug_log: io.StringIO
) -> None:
    alex = world.person()
    await alex.send("/start")
    await alex.press("I understand")
    await answer(alex, CALM[:3])
    await alex.send(TYPED)
    await alex.send("/reminders")
    await alex.press("Turn on")
    await alex.press("Type a time")
    await alex.send("7:45")
    await alex.press("Type a city")
    await alex.send(TYPED)
    logging.getLogger("bot.test").debug("the bot's own DEBUG lines still show")

    text = debug_log.getvalue()
    assert "the bot's own DEBUG lines still show" in text
    for secret in (TYPED, "7:45", "q1:", "s1:agree", "r1:", "calves", "em_now"):
        assert secret not in text, secret


def test_log_level_setting() -> None:
    assert parse_log_level(None) == logging.INFO
    assert parse_log_level("warning") == logging.WARNING
    with pytest.raises(ConfigError, match="CRAMP_BOT_LOG_LEVEL"):
        parse_log_level("loud")
