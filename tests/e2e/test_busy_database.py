"""A write lock held by another process for longer than busy_timeout: the press is answered
("busy, press again"), nothing is half-written, and the same press works once it is free."""

from __future__ import annotations

import sqlite3
from contextlib import closing

from bot.storage import Storage
from tests.harness import World


async def test_press_during_a_long_write_lock_is_answered_busy(world: World) -> None:
    alex = world.person()
    await alex.send("/start")
    await alex.press("I understand")
    (started,) = await world.storage.list_assessments(1001)
    impatient = await Storage.open(world.storage.path, busy_timeout_ms=100)
    patient = world.deps.storage
    world.deps.storage = impatient
    try:
        with closing(sqlite3.connect(world.storage.path, isolation_level=None)) as other:
            other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
            notice = await alex.press("None of these")
            other.execute("ROLLBACK")
        assert "busy" in notice and "press the button again" in notice
        assert await world.storage.get_answers(started.id) == {}
        assert "Question 1" in alex.last_text()  # still the same question, nothing moved
        assert [type(e).__name__ for e in world.errors] == ["OperationalError"]
        world.errors.clear()

        await alex.press("None of these")
        assert "Question 2" in alex.last_text()
        assert await world.storage.get_answers(started.id) == {"em_now": ("none",)}
        assert world.errors == []
    finally:
        world.deps.storage = patient
        await impatient.close()


async def test_an_answered_press_during_a_write_lock_is_told_in_the_chat(world: World) -> None:
    alex = world.person()
    await alex.send("/start")
    impatient = await Storage.open(world.storage.path, busy_timeout_ms=100)
    patient = world.deps.storage
    world.deps.storage = impatient
    try:
        with closing(sqlite3.connect(world.storage.path, isolation_level=None)) as other:
            other.execute("BEGIN IMMEDIATE")
            await alex.press("I understand")
            other.execute("ROLLBACK")
        # The press was answered before the write: the notice comes as a message.
        assert "busy for a moment" in alex.last_text()
        assert await world.storage.get_user(1001) is None  # consent was not half-stored
        world.errors.clear()
        await alex.press("I understand")
        assert "Question 1" in alex.last_text()
    finally:
        world.deps.storage = patient
        await impatient.close()
