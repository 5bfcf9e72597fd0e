"""/stats in Telegram for an admin and for a stranger, and the operator's shell commands
(`cramp-bot stats`, `cramp-bot health`, `cramp-bot run --webhook`) as real processes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.clock import MovableClock
from bot.config import Settings
from bot.content.model import Content
from bot.fakeapi.emulator import BotApiEmulator
from bot.fakeapi.http import FakeBotApiServer
from bot.storage import Storage
from bot.wiring.app import build_application, running
from bot.wiring.deps import Deps
from tests.harness import START, World

ADMIN, STRANGER = 4242, 1001


@pytest.fixture
async def admin_world(tmp_path: Path, content: Content) -> AsyncIterator[World]:
    emulator = BotApiEmulator()
    clock = MovableClock(START, frozen=True)
    storage = await Storage.open(tmp_path / "cramp.db")
    async with FakeBotApiServer(emulator) as server:
        settings = Settings(
            token=emulator.token,
            db_path=tmp_path / "cramp.db",
            api_base_url=server.base_url,
            admins=frozenset({ADMIN}),
        )
        deps = Deps(settings=settings, content=content, storage=storage, clock=clock)
        app = build_application(deps)
        async with running(app, poll_timeout=1):
            yield World(emulator, server, storage, clock, deps, app, [])
    await storage.close()


async def _people(storage: Storage, n: int) -> None:
    for user_id in range(1, n + 1):
        await storage.upsert_user(user_id, user_id, START - timedelta(days=3))
        await storage.set_consent(user_id, START - timedelta(days=3))


async def test_an_admin_gets_counts_and_a_stranger_gets_the_unknown_command_reply(
    admin_world: World,
) -> None:
    await _people(admin_world.storage, 12)
    stranger = admin_world.person(STRANGER)
    await stranger.send("/stats")
    refused = stranger.last_text()
    await stranger.send("/nosuchcommand")
    assert refused == stranger.last_text()
    assert "don't know that command" in refused
    assert "people" not in refused

    admin = admin_world.person(ADMIN)
    await admin.send("/stats")
    text = admin.last_text()
    assert "aggregates only" in text
    assert "people: 12" in text  # 12 seeded
    assert "consented: 12" in text
    assert "blocked the bot: 0" in text
    assert "questionnaires finished, last 7 days: 0" in text
    # Nothing of a person: no ids, no names.
    assert str(STRANGER) not in text and "Alex" not in text


async def test_stats_is_only_in_the_admins_menu(admin_world: World) -> None:
    emulator = admin_world.emulator
    everyone = [c["command"] for c in emulator.commands("default")]
    admins = [c["command"] for c in emulator.commands(f"chat:{ADMIN}")]
    assert "stats" not in everyone
    assert admins == [*everyone, "stats"]
    assert emulator.commands(f"chat:{STRANGER}") == []


async def test_without_admins_stats_is_unknown_to_everyone(world: World) -> None:
    alex = world.person()
    await alex.send("/stats")
    assert "don't know that command" in alex.last_text()


async def test_the_minute_job_writes_the_heartbeat_and_feeds_the_watchdog(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket

    from handlers.checkin import JOB_NAME

    assert await world.storage.last_tick() == START  # written at start-up
    later = START + timedelta(minutes=5)
    world.clock.set(later, frozen=True)
    path = tmp_path / "notify"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as systemd:
        systemd.bind(str(path))
        systemd.settimeout(5)
        monkeypatch.setenv("NOTIFY_SOCKET", str(path))
        (job,) = world.app.job_queue.get_jobs_by_name(JOB_NAME)
        await job.run(world.app)
        assert systemd.recv(64) == b"WATCHDOG=1"
    assert await world.storage.last_tick() == later
    assert world.errors == []
