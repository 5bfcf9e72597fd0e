"""Consent before storage, retention of inactive people, /export only in the person's own
private chat, and the upkeep job that notices a database deleted under the running bot."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

import pytest

from bot.clock import MovableClock
from bot.storage import Storage
from bot.upkeep import Upkeep
from handlers.upkeep import JOB_NAME
from tests.harness import START, World

COMMANDS = ["/start", "/check", "/reminders", "/checkin", "/history", "/insights", "/export"]


async def test_no_command_stores_anything_before_consent(world: World) -> None:
    sam = world.person(1002)
    for command in COMMANDS:
        await sam.send(command)
    assert await world.storage.get_user(1002) is None
    assert await world.storage.count_user_rows(1002) == dict.fromkeys(
        ("users", "assessments", "answers", "diary", "nudges"), 0
    )
    await sam.press("I understand")
    user = await world.storage.get_user(1002)
    assert user is not None and user.consented_at is not None
    assert world.errors == []


async def test_after_delete_nothing_comes_back_until_consent_again(world: World) -> None:
    alex = world.person()
    await alex.send("/start")
    await alex.press("I understand")
    await alex.send("/delete")
    await alex.press("Yes")
    assert await world.storage.get_user(1001) is None
    for command in COMMANDS:
        await alex.send(command)
    assert await world.storage.get_user(1001) is None
    assert "not a diagnosis" in alex.last_text() or "nothing" in alex.last_text().lower()
    await alex.send("/start")
    await alex.press("I understand")
    assert await world.storage.get_user(1001) is not None
    assert world.errors == []


async def test_export_only_in_the_persons_own_private_chat(world: World) -> None:
    alex = world.person()
    await alex.send("/start")
    await alex.press("I understand")
    world.emulator.user(1002, "Eve")
    # An update whose sender is not the owner of the private chat it names.
    update_id = world.emulator.add_raw_update(
        {
            "message": {
                "message_id": 9000,
                "from": {"id": 1002, "is_bot": False, "first_name": "Eve"},
                "chat": {"id": 1001, "type": "private", "first_name": "Alex"},
                "date": int(START.timestamp()),
                "text": "/export",
                "entities": [{"type": "bot_command", "offset": 0, "length": 7}],
            }
        }
    )
    await alex.settle(update_id)
    assert world.emulator.documents(1001) == []
    assert "private chat" in alex.last_text()
    await alex.send("/export")
    assert world.emulator.documents(1001) != []


async def test_retention_removes_the_unconsented_and_the_long_gone(tmp_path: Path) -> None:
    storage = await Storage.open(tmp_path / "cramp.db")
    try:
        old = START - timedelta(days=400)
        for user_id in (1, 2, 3, 4, 5):
            await storage.upsert_user(user_id, user_id, old)
        await storage.upsert_user(6, 6, START - timedelta(days=2))  # unconsented, recent
        for user_id in (2, 3, 4):
            await storage.set_consent(user_id, old)
        await storage.mark_blocked(3, START - timedelta(days=366))  # blocked long ago
        await storage.mark_blocked(4, START - timedelta(days=10))  # blocked lately
        await storage.start_assessment(3, "v", "em_now", old)
        upkeep = Upkeep(storage, MovableClock(START, frozen=True), retention_days=365)
        assert await upkeep.minute() is None
        left = [u for u in range(1, 7) if await storage.get_user(u) is not None]
        assert left == [2, 4, 6]
        assert (await storage.count_user_rows(3))["assessments"] == 0
    finally:
        await storage.close()


async def test_database_deleted_under_the_running_bot_stops_it(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    stopped: list[int] = []
    world.deps.stop_with = stopped.append
    (job,) = world.app.job_queue.get_jobs_by_name(JOB_NAME)
    await job.run(world.app)
    assert stopped == []
    world.storage.path.unlink()
    with caplog.at_level(logging.ERROR):
        await job.run(world.app)
    assert stopped == [1]
    assert any(
        r.levelno == logging.ERROR
        and "was deleted" in r.getMessage()
        and "backup" in r.getMessage()
        for r in caplog.records
    )


async def test_database_replaced_is_noticed(tmp_path: Path) -> None:
    db = tmp_path / "cramp.db"
    storage = await Storage.open(db)
    try:
        upkeep = Upkeep(storage, MovableClock(START, frozen=True), retention_days=365)
        assert await upkeep.minute() is None
        other = await Storage.open(tmp_path / "other.db")
        await other.close()
        (tmp_path / "other.db").replace(db)
        assert "replaced" in (await upkeep.minute() or "")
    finally:
        await storage.close()


async def test_privacy_explains_retention(world: World) -> None:
    alex = world.person()
    await alex.send("/privacy")
    text = alex.last_text()
    assert f"{world.deps.settings.retention_days} days" in text
    assert "nothing before you agree" in text
    assert await world.storage.get_user(1001) is None
