"""The operator's shell commands as real processes: `cramp-bot stats`, `cramp-bot health`, and
`cramp-bot run` with a webhook, then with polling again."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from bot.fakeapi.emulator import BotApiEmulator
from bot.fakeapi.http import FakeBotApiServer
from bot.fakeapi.webhook import WebhookDeliverer
from bot.storage import Storage
from tests.e2e.test_webhook import free_port
from tests.harness import START, TelegramUser
from tests.process.test_restart import BotProcess, bot_env
from tests.unit.test_logs import LINE


async def _people(storage: Storage, n: int) -> None:
    for user_id in range(1, n + 1):
        await storage.upsert_user(user_id, user_id, START - timedelta(days=3))
        await storage.set_consent(user_id, START - timedelta(days=3))


# ---------------------------------------------------------------------- the shell commands


def cramp_bot(*args: str, db: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "CRAMP_BOT_"))}
    env["CRAMP_BOT_DB"] = str(db)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        env=env,
        cwd=db.parent,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def test_stats_and_health_from_the_shell(tmp_path: Path) -> None:
    db = tmp_path / "cramp.db"
    missing = cramp_bot("health", db=db)
    assert missing.returncode == 1
    assert missing.stdout.startswith("unhealthy:")
    assert "no database" in missing.stdout
    assert cramp_bot("stats", db=db).returncode == 2

    storage = await Storage.open(db)
    try:
        await _people(storage, 3)
        never = cramp_bot("health", db=db)
        assert (never.returncode, never.stdout.strip()) == (
            1,
            "unhealthy: the minute tick has never run (is the bot started?)",
        )
        now = datetime.now(UTC)
        await storage.record_tick(now - timedelta(minutes=10))
        stale = cramp_bot("health", db=db)
        assert stale.returncode == 1
        assert re.match(r"unhealthy: the minute tick last ran 6\d\d s ago", stale.stdout)
        await storage.record_tick(now)
        fresh = cramp_bot("health", db=db)
        assert fresh.returncode == 0, fresh.stdout
        assert fresh.stdout.startswith("ok: database reachable")

        stats = cramp_bot("stats", db=db)  # while the bot's connection is open
    finally:
        await storage.close()
    assert stats.returncode == 0, stats.stderr
    assert "people: <5" in stats.stdout
    assert "consented: <5" in stats.stdout
    assert "questionnaires finished, last 30 days: 0" in stats.stdout


async def test_run_webhook_then_polling_as_a_real_process(tmp_path: Path) -> None:
    """`cramp-bot run` with CRAMP_BOT_WEBHOOK_URL: a secret is made (and never logged),
    Telegram's POSTs are answered, /healthz says ok; `--polling` then deletes the webhook."""
    emulator = BotApiEmulator()
    port = free_port()
    db = tmp_path / "cramp.db"
    logs = tmp_path / "bot.log"
    async with FakeBotApiServer(emulator) as server, WebhookDeliverer(emulator) as deliverer:
        env = bot_env(emulator.token, server.base_url, db)
        env.update(
            CRAMP_BOT_WEBHOOK_URL=f"http://127.0.0.1:{port}/tg",
            CRAMP_BOT_LISTEN=f"127.0.0.1:{port}",
        )
        bot = BotProcess(env, logs)
        await bot.start()
        try:
            await emulator.wait_until(
                lambda: emulator.webhook is not None, within=30, what="setWebhook"
            )
            webhook = emulator.webhook
            assert webhook is not None and webhook.secret_token is not None
            assert len(webhook.secret_token) >= 32
            alex = TelegramUser(emulator, 1001, timeout=30)
            await alex.send("/help")
            await emulator.wait_until(
                lambda: bool(alex.messages()), within=30, what="the /help reply"
            )
            assert "/check" in alex.last_text()
            async with httpx.AsyncClient() as client:
                health = await client.get(f"http://127.0.0.1:{port}/healthz")
                forged = await client.post(f"http://127.0.0.1:{port}/tg", json={"update_id": 1})
            assert health.status_code == 200, health.text
            assert forged.status_code == 403
            assert await bot.terminate() == 0
        finally:
            if bot.process is not None and bot.process.returncode is None:
                await bot.kill()
        assert deliverer.failures == []
        secret = webhook.secret_token

        polling = BotProcess({**env, "CRAMP_BOT_WEBHOOK_URL": ""}, logs)
        await polling.start()
        try:
            await emulator.wait_until(
                lambda: emulator.webhook is None, within=30, what="deleteWebhook"
            )
            before = len(alex.messages())
            emulator.user_sends_text(1001, 1001, "/privacy")
            await emulator.wait_until(
                lambda: len(alex.messages()) > before, within=30, what="the /privacy reply"
            )
            assert await polling.terminate() == 0
        finally:
            if polling.process is not None and polling.process.returncode is None:
                await polling.kill()
    text = logs.read_text(encoding="utf-8")
    assert secret not in text
    assert emulator.token not in text
    lines = text.splitlines()
    assert any("event=started mode=webhook" in line for line in lines)
    assert any("event=started mode=polling" in line for line in lines)
    assert all(LINE.match(line) for line in lines), [x for x in lines if not LINE.match(x)]


def test_a_webhook_port_in_use_stops_the_bot_with_one_line(tmp_path: Path) -> None:
    """The server listens before anything is asked of Telegram (here: an API nobody serves)."""
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = bot_env(BotApiEmulator().token, "http://127.0.0.1:9/bot", tmp_path / "cramp.db")
        env.update(
            CRAMP_BOT_WEBHOOK_URL="https://bot.example.org/tg",
            CRAMP_BOT_LISTEN=f"127.0.0.1:{port}",
        )
        result = subprocess.run(
            [sys.executable, "-m", "bot", "run"],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines() == [
        f"CRAMP_BOT_LISTEN: cannot listen on 127.0.0.1:{port} (Address already in use)."
    ]
