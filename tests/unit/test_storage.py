"""bot/storage.py on a real SQLite file."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import AsyncIterator
from contextlib import closing
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from bot.storage import SCHEMA_VERSION, Storage, StorageError

NOW = datetime(2024, 6, 3, 6, 0, 12, 345678, tzinfo=UTC)
LATER = NOW + timedelta(minutes=5)


@pytest.fixture
async def storage(tmp_path: Path) -> AsyncIterator[Storage]:
    store = await Storage.open(tmp_path / "bot.db")
    yield store
    await store.close()


def raw(path: Path, sql: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    with closing(sqlite3.connect(path)) as db, db:
        return list(db.execute(sql, params))


# --- opening -----------------------------------------------------------------------------------


async def test_open_creates_a_migrated_wal_database(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    store = await Storage.open(str(path))
    await store.close()
    assert path.is_file()
    assert raw(path, "PRAGMA user_version") == [(SCHEMA_VERSION,)]
    assert raw(path, "PRAGMA journal_mode") == [("wal",)]
    tables = {row[0] for row in raw(path, "SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"users", "assessments", "answers", "diary", "nudges"} <= tables
    # Opening again migrates nothing and keeps the data.
    store = await Storage.open(path)
    await store.upsert_user(1, 10, NOW)
    await store.close()
    store = await Storage.open(path)
    assert (await store.get_user(1)) is not None
    await store.close()


async def test_foreign_keys_are_on(storage: Storage, tmp_path: Path) -> None:
    await storage.upsert_user(1, 10, NOW)
    await storage.start_assessment(1, "v1", "q1", NOW)
    # Cascade alone (no explicit delete) removes the user's assessments.
    async with storage._transaction() as tx:
        await tx.execute("DELETE FROM users WHERE user_id = 1")
    assert await storage.list_assessments(1) == []


@pytest.mark.parametrize(
    ("make_path", "message"),
    [
        (lambda tmp: tmp / "missing" / "bot.db", "does not exist"),
        (lambda tmp: tmp, "is a directory"),
    ],
)
async def test_open_refuses_unusable_paths(tmp_path: Path, make_path, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(StorageError, match=message):
        await Storage.open(make_path(tmp_path))


async def test_open_refuses_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_bytes(b"this is not a database, it is a shopping list" * 100)
    with pytest.raises(StorageError, match="cannot use the database"):
        await Storage.open(path)


async def test_open_refuses_a_newer_schema(tmp_path: Path) -> None:
    path = tmp_path / "future.db"
    raw(path, f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(StorageError, match="newer"):
        await Storage.open(path)


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux /proc")
async def test_open_refuses_a_place_where_no_file_can_be_created() -> None:
    # Works even as root, unlike a chmod-ed directory.
    with pytest.raises(StorageError, match=r"cannot (create|open) the database"):
        await Storage.open("/proc/cramp-bot-test.db")


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
async def test_open_refuses_a_read_only_directory(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(StorageError):
            await Storage.open(locked / "bot.db")
    finally:
        locked.chmod(0o700)


# --- users -------------------------------------------------------------------------------------


async def test_upsert_user_creates_then_refreshes_chat_id_only(storage: Storage) -> None:
    user = await storage.upsert_user(1, 10, NOW)
    assert (user.user_id, user.chat_id, user.created_at, user.consented_at) == (1, 10, NOW, None)
    assert user.reminders_on is False
    await storage.set_consent(1, LATER)
    again = await storage.upsert_user(1, 11, LATER + timedelta(days=1))
    assert again.chat_id == 11
    assert again.created_at == NOW
    assert again.consented_at == LATER
    assert again.created_at.tzinfo is UTC
    assert await storage.get_user(2) is None


async def test_naive_times_are_refused(storage: Storage) -> None:
    with pytest.raises(ValueError, match="aware"):
        await storage.upsert_user(1, 10, datetime(2024, 1, 1))  # noqa: DTZ001


# --- assessments -------------------------------------------------------------------------------


async def test_questionnaire_rows(storage: Storage) -> None:
    await storage.upsert_user(1, 10, NOW)
    first = await storage.start_assessment(1, "v1", "screen", NOW)
    assert (first.status, first.current_question, first.content_version) == (
        "open",
        "screen",
        "v1",
    )
    await storage.set_message_id(first.id, 555)
    assert await storage.save_answer(first.id, "screen", ("none",), NOW, current_question="where")
    assert await storage.save_answer(
        first.id, "where", ("calves", "feet"), NOW, current_question="often"
    )
    # Answering the same question again replaces the answer.
    assert await storage.save_answer(first.id, "where", ("calves",), LATER, current_question="x")
    open_one = await storage.get_open_assessment(1)
    assert open_one is not None
    assert (open_one.id, open_one.message_id, open_one.current_question) == (first.id, 555, "x")
    assert await storage.get_answers(first.id) == {"screen": ("none",), "where": ("calves",)}
    await storage.set_current_question(first.id, "where")
    assert (await storage.get_assessment(first.id)).current_question == "where"  # type: ignore[union-attr]

    result = {"level": "self_care", "causes": ["exhaustion"]}
    assert await storage.finish_assessment(first.id, level="self_care", result=result, now=LATER)
    # A duplicate delivery changes nothing.
    assert not await storage.finish_assessment(first.id, level="urgent", result={}, now=LATER)
    assert not await storage.save_answer(
        first.id, "where", ("arms",), LATER, current_question=None
    )
    done = await storage.get_assessment(first.id)
    assert done is not None
    assert (done.status, done.level, done.result, done.finished_at) == (
        "finished",
        "self_care",
        result,
        LATER,
    )
    assert await storage.get_answers(first.id) == {"screen": ("none",), "where": ("calves",)}
    assert await storage.get_open_assessment(1) is None

    # A retake starts a new one; an open one is abandoned; the finished one stays.
    second = await storage.start_assessment(1, "v2", "screen", LATER)
    third = await storage.start_assessment(1, "v2", "screen", LATER)
    statuses = [(a.id, a.status) for a in await storage.list_assessments(1)]
    assert statuses == [(first.id, "finished"), (second.id, "abandoned"), (third.id, "open")]
    assert (await storage.get_open_assessment(1)).id == third.id  # type: ignore[union-attr]

    exported = await storage.list_answers(1)
    assert exported == [
        {
            "assessment_id": first.id,
            "question_id": "screen",
            "value": ["none"],
            "answered_at": NOW,
        },
        {
            "assessment_id": first.id,
            "question_id": "where",
            "value": ["calves"],
            "answered_at": LATER,
        },
    ]


async def test_delete_user_removes_every_row_and_only_theirs(storage: Storage) -> None:
    for user_id in (1, 2):
        await storage.upsert_user(user_id, user_id * 10, NOW)
        a = await storage.start_assessment(user_id, "v1", "q", NOW)
        await storage.save_answer(a.id, "q", ("y",), NOW, current_question=None)
        await storage.upsert_diary(user_id, date(2024, 6, 2), {"cramps": "1"}, NOW)
        await storage.record_nudge(user_id, "long_cramp", NOW)
    full = {"users": 1, "assessments": 1, "answers": 1, "diary": 1, "nudges": 1}
    assert await storage.count_user_rows(1) == full
    await storage.delete_user(1)
    assert await storage.count_user_rows(1) == dict.fromkeys(full, 0)
    assert await storage.count_user_rows(2) == full


# --- reminders ---------------------------------------------------------------------------------


async def add(storage: Storage, user_id: int, next_at: datetime) -> None:
    await storage.upsert_user(user_id, user_id, NOW)
    await storage.set_reminder(user_id, reminder_time="08:00", timezone="UTC", next_at=next_at)


async def test_due_reminders_finds_due_users_in_order(storage: Storage) -> None:
    base = datetime(2024, 6, 3, 8, 0, tzinfo=UTC)
    await add(storage, 1, base)
    await add(storage, 2, base - timedelta(minutes=3))
    await add(storage, 3, base + timedelta(minutes=1))  # not yet due
    await add(storage, 4, base - timedelta(minutes=1))
    await storage.reminders_off(4)
    await add(storage, 5, base - timedelta(minutes=2))
    await storage.mark_blocked(5, NOW)
    await storage.upsert_user(6, 6, NOW)  # never asked for reminders
    due = await storage.due_reminders(base, 100)
    assert [u.user_id for u in due] == [2, 1]
    assert [u.user_id for u in await storage.due_reminders(base, 1)] == [2]
    assert due[1].next_reminder_at == base
    assert due[1].reminder_slot_at == base
    assert (due[1].reminder_time, due[1].timezone, due[1].reminders_on) == ("08:00", "UTC", True)


async def test_due_query_uses_the_index(storage: Storage) -> None:
    plan = await storage.explain_due_query()
    assert "users_next_reminder" in plan
    assert "SCAN users" not in plan.replace("USING INDEX", "")


async def test_claim_is_compare_and_set(storage: Storage) -> None:
    slot = datetime(2024, 6, 3, 8, 0, tzinfo=UTC)
    tomorrow = slot + timedelta(days=1)
    await add(storage, 1, slot)
    claim = {
        "new_next_at": tomorrow,
        "new_slot_at": tomorrow,
        "night": date(2024, 6, 2),
        "now": slot,
    }
    assert await storage.claim_reminder(1, expected_next_at=slot, **claim)  # type: ignore[arg-type]
    assert not await storage.claim_reminder(1, expected_next_at=slot, **claim)  # type: ignore[arg-type]
    user = await storage.get_user(1)
    assert user is not None
    assert (user.next_reminder_at, user.reminder_slot_at, user.last_checkin_night) == (
        tomorrow,
        tomorrow,
        date(2024, 6, 2),
    )
    assert await storage.due_reminders(slot + timedelta(hours=1), 10) == []


async def test_retry_skip_pause_block_unblock(storage: Storage) -> None:
    slot = datetime(2024, 6, 3, 8, 0, tzinfo=UTC)
    await add(storage, 1, slot)
    retry_at = slot + timedelta(minutes=2, seconds=30)
    await storage.retry_reminder(1, retry_at=retry_at, slot_at=slot)
    user = await storage.get_user(1)
    assert (user.next_reminder_at, user.reminder_slot_at) == (retry_at, slot)  # type: ignore[union-attr]
    # A retry guarded by a stale expectation changes nothing.
    await storage.retry_reminder(1, retry_at=slot, slot_at=slot, expected_next_at=slot)
    assert (await storage.get_user(1)).next_reminder_at == retry_at  # type: ignore[union-attr]

    tomorrow = slot + timedelta(days=1)
    await storage.skip_reminder(1, new_next_at=tomorrow)
    user = await storage.get_user(1)
    assert (user.next_reminder_at, user.reminder_slot_at) == (tomorrow, tomorrow)  # type: ignore[union-attr]

    until = slot + timedelta(days=3)
    await storage.pause_reminders(1, until=until, next_at=until + timedelta(hours=1))
    user = await storage.get_user(1)
    assert user is not None
    assert (user.paused_until, user.next_reminder_at) == (until, until + timedelta(hours=1))
    assert await storage.due_reminders(until, 10) == []

    await storage.mark_blocked(1, NOW)
    user = await storage.get_user(1)
    assert user is not None
    assert (user.blocked_at, user.next_reminder_at, user.reminders_on) == (NOW, None, True)
    assert await storage.due_reminders(until + timedelta(days=30), 10) == []
    assert not await storage.snooze_reminder(1, at=until)

    await storage.mark_unblocked(1, LATER)
    user = await storage.get_user(1)
    assert user is not None
    assert (user.blocked_at, user.next_reminder_at) == (None, None)  # no silent restart

    await storage.set_reminder(1, reminder_time="07:30", timezone="Europe/Berlin", next_at=slot)
    assert await storage.snooze_reminder(1, at=slot + timedelta(hours=1))
    user = await storage.get_user(1)
    assert user is not None
    assert (user.next_reminder_at, user.paused_until) == (slot + timedelta(hours=1), None)

    await storage.reminders_off(1)
    user = await storage.get_user(1)
    assert user is not None
    assert (user.reminders_on, user.next_reminder_at, user.reminder_time) == (False, None, "07:30")


async def test_bulk_users_for_benchmarks(storage: Storage) -> None:
    slot = datetime(2024, 6, 3, 8, 0, tzinfo=UTC)
    await storage.add_reminder_users(
        ((uid, uid, slot) for uid in range(1, 501)), reminder_time="08:00", timezone="UTC", now=NOW
    )
    due = await storage.due_reminders(slot, 1000)
    assert len(due) == 500
    assert all(u.consented_at == NOW for u in due)


# --- diary and nudges --------------------------------------------------------------------------


async def test_diary_merges_one_row_per_night(storage: Storage) -> None:
    await storage.upsert_user(1, 10, NOW)
    night = date(2024, 6, 2)
    first = await storage.upsert_diary(1, night, {"cramps": "1"}, NOW, checkin_message_id=77)
    assert (first.answers, first.complete, first.checkin_message_id) == (
        {"cramps": "1"},
        False,
        77,
    )
    second = await storage.upsert_diary(
        1, night, {"cramps": "4plus", "factors": ["caffeine", "stress"]}, LATER, complete=True
    )
    assert second.answers == {"cramps": "4plus", "factors": ["caffeine", "stress"]}
    assert (second.complete, second.checkin_message_id) == (True, 77)
    assert (second.recorded_at, second.updated_at) == (NOW, LATER)
    third = await storage.upsert_diary(1, night, {"woke": True}, LATER)
    assert third.complete is True  # None keeps what is stored
    assert third.answers == {"cramps": "4plus", "factors": ["caffeine", "stress"], "woke": True}
    assert await storage.count_user_rows(1) == {
        "users": 1,
        "assessments": 0,
        "answers": 0,
        "diary": 1,
        "nudges": 0,
    }
    assert await storage.get_diary_entry(1, night) == third
    assert await storage.get_diary_entry(1, date(2024, 6, 1)) is None


async def test_list_diary_is_ordered_and_filtered(storage: Storage) -> None:
    await storage.upsert_user(1, 10, NOW)
    await storage.upsert_user(2, 20, NOW)
    for day in (5, 1, 3):
        await storage.upsert_diary(1, date(2024, 6, day), {"cramps": "none"}, NOW)
    await storage.upsert_diary(2, date(2024, 6, 4), {"cramps": "1"}, NOW)
    assert [e.night.day for e in await storage.list_diary(1)] == [1, 3, 5]
    assert [e.night.day for e in await storage.list_diary(1, since=date(2024, 6, 3))] == [3, 5]


async def test_user_and_diary_reads_both_and_nobody_elses(storage: Storage) -> None:
    assert await storage.user_and_diary(1) == (None, [])
    await storage.upsert_user(1, 10, NOW)
    await storage.upsert_user(2, 20, NOW)
    for day in (5, 1, 3):
        await storage.upsert_diary(1, date(2024, 6, day), {"cramps": "none"}, NOW)
    await storage.upsert_diary(2, date(2024, 6, 4), {"cramps": "1"}, NOW)
    user, nights = await storage.user_and_diary(1)
    assert user == await storage.get_user(1)
    assert nights == await storage.list_diary(1)
    assert [e.night.day for e in nights] == [1, 3, 5]
    # The connection is left usable: a write right after it commits.
    await storage.upsert_diary(1, date(2024, 6, 6), {"cramps": "none"}, NOW)
    assert len((await storage.user_and_diary(1))[1]) == 4


async def test_nudges(storage: Storage) -> None:
    await storage.upsert_user(1, 10, NOW)
    assert await storage.last_nudge_at(1, "long_cramp") is None
    await storage.record_nudge(1, "long_cramp", NOW)
    await storage.record_nudge(1, "long_cramp", LATER)
    await storage.record_nudge(1, "twitches", NOW + timedelta(days=1))
    assert await storage.last_nudge_at(1, "long_cramp") == LATER
    assert await storage.last_nudge_at(2, "long_cramp") is None


# --- migration 2: awaited typed input ----------------------------------------------------------


async def test_awaiting_survives_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "await.db"
    store = await Storage.open(path)
    created = await store.upsert_user(1, 10, NOW)
    assert created.awaiting is None
    await store.set_awaiting(1, "reminder_time")
    await store.close()
    store = await Storage.open(path)
    user = await store.get_user(1)
    assert user is not None and user.awaiting == "reminder_time"
    await store.set_awaiting(1, None)
    user = await store.get_user(1)
    assert user is not None and user.awaiting is None
    await store.close()


async def test_migration_2_upgrades_a_version_1_file_keeping_its_rows(tmp_path: Path) -> None:
    from bot.storage import _MIGRATIONS

    path = tmp_path / "v1.db"
    with closing(sqlite3.connect(path)) as db, db:
        for statement in _MIGRATIONS[0]:
            db.execute(statement)
        db.execute(
            "INSERT INTO users (user_id, chat_id, created_at) VALUES (7, 70, ?)",
            (NOW.isoformat(timespec="microseconds"),),
        )
        db.execute("PRAGMA user_version = 1")
    store = await Storage.open(path)
    user = await store.get_user(7)
    assert user is not None and user.chat_id == 70 and user.awaiting is None
    await store.set_awaiting(7, "timezone")
    await store.close()
    assert raw(path, "PRAGMA user_version") == [(SCHEMA_VERSION,)]
    assert SCHEMA_VERSION >= 2
    assert raw(path, "SELECT awaiting FROM users WHERE user_id = 7") == [("timezone",)]
