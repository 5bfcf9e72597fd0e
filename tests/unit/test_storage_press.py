"""What a button press reads and writes, on a real SQLite file: one read for the assessment
and its answers, one transaction (in one trip to the database thread) for the answer."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.storage import Storage

NOW = datetime(2024, 6, 3, 6, 0, tzinfo=UTC)


@pytest.fixture
async def storage(tmp_path: Path) -> AsyncIterator[Storage]:
    store = await Storage.open(tmp_path / "bot.db")
    yield store
    await store.close()


async def test_press_state_is_the_assessment_and_its_answers_in_answer_order(
    storage: Storage,
) -> None:
    await storage.upsert_user(1, 1, NOW)
    started = await storage.start_assessment(1, "v1", "em_now", NOW)
    assert await storage.get_press_state(started.id) == (started, {})
    await storage.save_answer(
        started.id, "where", ("calves", "feet"), NOW + timedelta(seconds=2), current_question="x"
    )
    await storage.save_answer(
        started.id, "em_now", ("none",), NOW + timedelta(seconds=1), current_question="where"
    )
    state = await storage.get_press_state(started.id)
    assert state is not None
    assessment, answers = state
    assert assessment == await storage.get_assessment(started.id)
    assert assessment.current_question == "where"
    assert answers == {"em_now": ("none",), "where": ("calves", "feet")}
    assert list(answers) == list(await storage.get_answers(started.id))
    assert await storage.get_press_state(started.id + 1) is None


async def test_an_answer_to_a_finished_assessment_changes_nothing(storage: Storage) -> None:
    await storage.upsert_user(1, 1, NOW)
    started = await storage.start_assessment(1, "v1", "em_now", NOW)
    assert await storage.save_answer(started.id, "em_now", ("none",), NOW, current_question="a")
    await storage.finish_assessment(started.id, level="self_care", result={}, now=NOW)
    late = NOW + timedelta(minutes=1)
    assert not await storage.save_answer(
        started.id, "em_now", ("chest",), late, current_question="b"
    )
    state = await storage.get_press_state(started.id)
    assert state is not None
    assert state[0].current_question == "a"
    assert state[1] == {"em_now": ("none",)}


async def test_a_failing_transaction_leaves_no_trace_and_the_store_carries_on(
    storage: Storage,
) -> None:
    await storage.upsert_user(1, 1, NOW)
    started = await storage.start_assessment(1, "v1", "em_now", NOW)

    def half_then_fail(db: sqlite3.Connection) -> None:
        db.execute("UPDATE assessments SET current_question = 'half' WHERE id = ?", (started.id,))
        db.execute("INSERT INTO answers (assessment_id) VALUES (?)", (started.id,))  # NOT NULL

    with pytest.raises(sqlite3.IntegrityError):
        await storage._in_one_trip(half_then_fail)
    state = await storage.get_press_state(started.id)
    assert state is not None
    assert state[0].current_question == "em_now"
    assert await storage.save_answer(started.id, "em_now", ("none",), NOW, current_question="b")
    assert await storage.get_answers(started.id) == {"em_now": ("none",)}
