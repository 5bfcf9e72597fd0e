"""`cramp-bot run` as a real process: kill -9 mid-questionnaire, restart, nothing lost or doubled.

The fake Bot API runs in the test; the bot is a subprocess that reaches it over HTTP on
127.0.0.1, exactly as it would reach Telegram.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.fakeapi.emulator import BotApiEmulator
from bot.fakeapi.http import FakeBotApiServer
from bot.storage import Storage
from tests.harness import TelegramUser


class BotProcess:
    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.env = env
        self.log_path = log_path
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        log = self.log_path.open("ab")
        try:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "run", env=self.env, stdout=log, stderr=log
            )
        finally:
            log.close()

    async def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        await self.process.wait()

    async def terminate(self) -> int:
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        return await asyncio.wait_for(self.process.wait(), timeout=30)


@pytest.fixture
async def api() -> AsyncIterator[tuple[BotApiEmulator, FakeBotApiServer]]:
    emulator = BotApiEmulator()
    async with FakeBotApiServer(emulator) as server:
        yield emulator, server


async def wait_polling(emulator: BotApiEmulator, since: int) -> None:
    await emulator.wait_until(
        lambda: sum(1 for m, _ in emulator.calls[since:] if m == "getUpdates") >= 1,
        within=30,
        what="the bot to start polling",
    )


def bot_env(token: str, base_url: str, db: Path) -> dict[str, str]:
    """This process's environment without any bot settings of its own, plus these."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "CRAMP_BOT_"))}
    env.update(TELEGRAM_BOT_TOKEN=token, TELEGRAM_API_BASE_URL=base_url, CRAMP_BOT_DB=str(db))
    return env


async def answers_help_then_stops(emulator: BotApiEmulator, bot: BotProcess) -> None:
    """The running bot answers a person's /help, then stops cleanly on SIGTERM."""
    await wait_polling(emulator, 0)
    alex = TelegramUser(emulator, 1001, timeout=30)
    await alex.send("/help")
    await emulator.wait_until(
        lambda: bool(alex.messages()) and "/check" in alex.last_text(),
        within=30,
        what="the bot to answer /help",
    )
    assert await bot.terminate() == 0


async def test_kill_9_mid_questionnaire_then_continue(
    tmp_path: Path, api: tuple[BotApiEmulator, FakeBotApiServer]
) -> None:
    emulator, server = api
    db = tmp_path / "cramp.db"
    logs = tmp_path / "bot.log"
    bot = BotProcess(bot_env(emulator.token, server.base_url, db), logs)
    await bot.start()
    await wait_polling(emulator, 0)

    alex = TelegramUser(emulator, 1001, timeout=30)

    def visible(fragment: str) -> bool:
        messages = alex.messages()
        if not messages:
            return False
        newest = messages[-1]
        return fragment in newest.text or any(fragment in b for b in newest.button_labels)

    async def shows(fragment: str) -> None:
        await emulator.wait_until(
            lambda: visible(fragment), within=30, what=f"the bot to show {fragment!r}"
        )

    await alex.send("/start")
    await shows("I understand")
    await alex.press("I understand")
    await shows("Question 1 of about")
    await alex.press("None of these")
    await shows("Question 2 of about")
    await alex.press("None of these")
    await shows("How old are you")
    await alex.press("18 to 39")
    await shows("☐ Calves")
    message_id = alex.keyboard_message().message_id
    toggle = alex.callback_data("☐ Calves")
    update_id, query_id = emulator.user_presses(1001, 1001, message_id, toggle)
    await alex.settle(update_id, query_id=query_id)
    await shows("☑ Calves")

    await bot.kill()
    calls_before_restart = len(emulator.calls)
    await bot.start()
    await wait_polling(emulator, calls_before_restart)

    # Telegram hands the last update out again after the crash.
    emulator.redeliver(update_id)

    def answered_again() -> bool:
        return any(
            method == "answerCallbackQuery" and str(params.get("callback_query_id")) == query_id
            for method, params in emulator.calls[calls_before_restart:]
        )

    # The restarted bot handles it (it tries to answer the query again) without toggling twice.
    await emulator.wait_until(answered_again, within=30, what="the redelivered press handled")
    await alex.press("☐ Thighs")
    await shows("☑ Thighs")
    assert "☑ Calves" in alex.buttons()
    await alex.press("Done")
    await shows("Question 5 of about")

    assert await bot.terminate() == 0

    storage = await Storage.open(db)
    try:
        (current,) = await storage.list_assessments(1001)
        answers = await storage.get_answers(current.id)
    finally:
        await storage.close()
    assert answers == {
        "em_now": ("none",),
        "em_soon": ("none",),
        "age": ("u40",),
        "where": ("calves", "thighs"),
    }
    assert current.current_question == "often"

    log_text = logs.read_text(encoding="utf-8", errors="replace")
    assert emulator.token not in log_text
    assert emulator.token.split(":", 1)[1] not in log_text
    assert "Traceback" not in log_text
    for health_answer in ("calves", "thighs", "em_now"):
        assert health_answer not in log_text.lower()


async def test_bot_waits_for_an_unreachable_api_then_works(tmp_path: Path) -> None:
    """Started before its Bot API server is up, the bot keeps retrying instead of dying."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    emulator = BotApiEmulator()
    base_url = f"http://127.0.0.1:{port}/bot"
    logs = tmp_path / "bot.log"
    bot = BotProcess(bot_env(emulator.token, base_url, tmp_path / "cramp.db"), logs)
    await bot.start()
    try:
        await emulator.wait_until(
            lambda: "event=api_unreachable" in logs.read_text(errors="replace"),
            within=30,
            what="the bot to report the unreachable API",
        )
        async with FakeBotApiServer(emulator, port=port):
            await answers_help_then_stops(emulator, bot)
    finally:
        if bot.process is not None and bot.process.returncode is None:
            await bot.kill()
    assert "Traceback" not in logs.read_text(errors="replace")


async def test_flood_control_while_starting_is_waited_out(tmp_path: Path) -> None:
    """429s on getMe at start-up, more than a reply would wait out: no crash, it starts."""
    emulator = BotApiEmulator()
    emulator.inject(
        "getMe", status=429, description="Too Many Requests: retry after 1", retry_after=1, times=4
    )
    async with FakeBotApiServer(emulator) as server:
        logs = tmp_path / "bot.log"
        bot = BotProcess(bot_env(emulator.token, server.base_url, tmp_path / "cramp.db"), logs)
        await bot.start()
        try:
            await answers_help_then_stops(emulator, bot)
        finally:
            if bot.process is not None and bot.process.returncode is None:
                await bot.kill()
    text = logs.read_text(errors="replace")
    assert "event=start_flood_wait" in text
    assert "Traceback" not in text
