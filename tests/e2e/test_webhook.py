"""Webhook mode end to end: the production Application behind our webhook server on 127.0.0.1,
Telegram played by the fake Bot API, which records setWebhook and POSTs updates like Telegram.
"""

from __future__ import annotations

import json
import logging
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from telegram import Update

from bot.clock import MovableClock
from bot.config import Settings
from bot.content.model import Content
from bot.fakeapi.emulator import BotApiEmulator
from bot.fakeapi.http import FakeBotApiServer
from bot.fakeapi.webhook import WebhookDeliverer
from bot.logs import RedactingFormatter
from bot.operator.health import check
from bot.storage import Storage
from bot.wiring.app import build_application, running
from bot.wiring.deps import Deps
from bot.wiring.webhook import new_secret, running_webhook
from tests.harness import START, TelegramUser, application_idle

HEADER = "X-Telegram-Bot-Api-Secret-Token"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Hooked:
    emulator: BotApiEmulator
    server: FakeBotApiServer
    storage: Storage
    clock: MovableClock
    app: Any
    url: str
    secret: str
    deliverer: WebhookDeliverer

    def person(self, user_id: int = 1001) -> TelegramUser:
        return TelegramUser(self.emulator, user_id, idle_check=application_idle(self.app))


def _settings(emulator: BotApiEmulator, server: FakeBotApiServer, tmp_path: Path) -> Settings:
    return Settings(
        token=emulator.token, db_path=tmp_path / "cramp.db", api_base_url=server.base_url
    )


@pytest.fixture
async def hooked(tmp_path: Path, content: Content) -> AsyncIterator[Hooked]:
    emulator = BotApiEmulator()
    clock = MovableClock(START, frozen=True)
    storage = await Storage.open(tmp_path / "cramp.db")
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram"
    secret = new_secret()
    async with FakeBotApiServer(emulator) as server, WebhookDeliverer(emulator) as deliverer:
        deps = Deps(_settings(emulator, server, tmp_path), content, storage, clock)
        app = build_application(deps)
        async with running_webhook(
            app,
            webhook_url=url,
            secret=secret,
            listen=("127.0.0.1", port),
            health=lambda: check(storage, clock.now()),
        ):
            yield Hooked(emulator, server, storage, clock, app, url, secret, deliverer)
    await storage.close()


def _param(value: Any) -> Any:
    """A Bot API parameter as sent: form fields carry JSON-typed values as JSON text."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


async def test_set_webhook_is_recorded_and_a_person_is_answered(hooked: Hooked) -> None:
    webhook = hooked.emulator.webhook
    assert webhook is not None
    assert webhook.url == hooked.url
    assert webhook.secret_token == hooked.secret
    assert webhook.drop_pending_updates is False
    assert webhook.allowed_updates == list(Update.ALL_TYPES)  # the polling list
    assert webhook.max_connections == 40

    alex = hooked.person()
    await alex.send("/start")
    assert "not a diagnosis" in alex.last_text()
    answer = await alex.press("I understand")
    assert answer == "" or answer
    assert "Question 1 of about" in alex.last_text()
    assert hooked.deliverer.failures == []
    names = [name for name, _ in hooked.emulator.calls]
    assert "getUpdates" not in names  # every update came by POST


async def test_posts_without_the_secret_are_refused(hooked: Hooked) -> None:
    emulator = hooked.emulator
    emulator.user(2002, "Sam")
    update = {
        "update_id": 900001,
        "message": {
            "message_id": 1,
            "date": 1764000000,
            "chat": {"id": 2002, "type": "private", "first_name": "Sam"},
            "from": {"id": 2002, "is_bot": False, "first_name": "Sam"},
            "text": "/help",
            "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
        },
    }
    async with httpx.AsyncClient() as client:
        missing = await client.post(hooked.url, json=update)
        wrong = await client.post(hooked.url, json=update, headers={HEADER: "x" + hooked.secret})
        almost = await client.post(hooked.url, json=update, headers={HEADER: hooked.secret[:-1]})
        assert (missing.status_code, wrong.status_code, almost.status_code) == (403, 403, 403)
        assert emulator.messages(2002) == []  # none of them reached a handler

        good = await client.post(hooked.url, json=update, headers={HEADER: hooked.secret})
        assert good.status_code == 200
        sam = hooked.person(2002)
        await sam.wait_idle()
        await emulator.wait_until(lambda: bool(emulator.messages(2002)), what="the /help reply")
        assert "/check" in sam.last_text()

        # With the secret but not JSON: refused, and the next real update still gets through.
        garbage = await client.post(
            hooked.url, content=b"{not json", headers={HEADER: hooked.secret}
        )
        assert garbage.status_code == 400
        # JSON that is not an update: taken (Telegram must not resend it forever), dropped.
        odd = await client.post(hooked.url, json=[1, 2], headers={HEADER: hooked.secret})
        assert odd.status_code == 200
        get = await client.get(hooked.url)
        assert get.status_code == 405
    alex = hooked.person()
    await alex.send("/help")
    assert "/check" in alex.last_text()


async def test_healthz_follows_the_minute_tick(hooked: Hooked) -> None:
    health_url = hooked.url.replace("/telegram", "/healthz")
    async with httpx.AsyncClient() as client:
        fresh = await client.get(health_url)
        assert fresh.status_code == 200, fresh.text
        assert fresh.text.startswith("ok: database reachable")
        # No tick for four minutes (the clock moves, the job does not run): unhealthy.
        hooked.clock.set(START + timedelta(minutes=4), frozen=True)
        stale = await client.get(health_url)
        assert stale.status_code == 503
        assert "minute tick last ran 240 s ago" in stale.text
        # The next tick brings it back.
        await hooked.storage.record_tick(hooked.clock.now())
        assert (await client.get(health_url)).status_code == 200
        # Nothing else is served.
        assert (await client.get(hooked.url.replace("/telegram", "/"))).status_code == 404


async def test_switching_back_to_polling_deletes_the_webhook_and_keeps_pending_updates(
    tmp_path: Path, content: Content, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    emulator = BotApiEmulator()
    clock = MovableClock(START, frozen=True)
    storage = await Storage.open(tmp_path / "cramp.db")
    port = free_port()
    url = f"http://127.0.0.1:{port}/hook"
    secret = new_secret()
    async with FakeBotApiServer(emulator) as server:
        deps = Deps(_settings(emulator, server, tmp_path), content, storage, clock)
        async with (
            WebhookDeliverer(emulator),
            running_webhook(
                build_application(deps),
                webhook_url=url,
                secret=secret,
                listen=("127.0.0.1", port),
                health=lambda: check(storage, clock.now()),
            ),
        ):
            webhook = emulator.webhook
            assert webhook is not None
            hook_allowed = webhook.allowed_updates
        # Stopped: the webhook stays set, so Telegram keeps what people send meanwhile.
        assert emulator.webhook is not None
        status, refused = await emulator.call("getUpdates", {})
        assert status == 409 and "webhook is active" in refused["description"]
        alex = TelegramUser(emulator, 1001)
        waiting = emulator.user_sends_text(1001, 1001, "/help")

        app = build_application(deps)
        before = len(emulator.calls)
        async with running(app, poll_timeout=1):
            alex.idle_check = application_idle(app)
            await alex.settle(waiting)
            assert "/check" in alex.last_text()  # sent while switching, still answered
            calls = emulator.calls[before:]
            names = [name for name, _ in calls]
            assert "deleteWebhook" in names
            assert names.index("deleteWebhook") < names.index("getUpdates")
            assert emulator.webhook is None
            polled = [params for name, params in calls if name == "getUpdates"]
            assert _param(polled[0]["allowed_updates"]) == hook_allowed
            deleted = next(p for name, p in calls if name == "deleteWebhook")
            assert not _param(deleted.get("drop_pending_updates", False))
    await storage.close()
    # Only python-telegram-bot's DEBUG lines quote the setWebhook call; the bot's own log
    # format scrubs the secret from those too (cramp-bot run hands it to setup_logging).
    leaks = [r for r in caplog.records if secret in r.getMessage()]
    assert leaks and all(
        r.levelno == logging.DEBUG and r.name.startswith("telegram") for r in leaks
    )
    formatter = RedactingFormatter([emulator.token, secret])
    assert all(secret not in formatter.format(r) for r in caplog.records)
