"""/delete after using everything: questionnaire, reminders, a check-in, a nudge."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import UTC, datetime

from bot.storage import SERVICE_TABLES
from handlers.checkin import JOB_NAME
from tests.e2e.test_questionnaire import CALM, answer, begin
from tests.harness import World

MORNING = datetime(2026, 11, 26, 6, 30, tzinfo=UTC)  # 07:30 in Berlin


def tables(world: World) -> set[str]:
    with closing(sqlite3.connect(world.deps.settings.db_path)) as raw, raw:
        rows = raw.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        ).fetchall()
    return {name for (name,) in rows}


async def test_delete_after_everything_leaves_no_row_in_any_table(world: World) -> None:
    for job in world.app.job_queue.get_jobs_by_name(JOB_NAME):
        job.enabled = False  # the test moves the clock and ticks by hand
    alex = world.person()
    await begin(alex)
    await answer(alex, CALM)
    await alex.press("Morning check-in")
    await alex.press("07:30")
    await alex.press("Europe")
    await alex.press("Berlin")
    world.clock.set(MORNING, frozen=True)
    assert world.deps.dispatcher is not None
    assert (await world.deps.dispatcher.tick()).sent == 1
    await alex.press("1")
    await alex.press("over 10 min")  # a long cramp: a nudge to see a doctor is recorded
    await alex.press("Yes")
    await alex.press("No")  # one calf swollen, red or warm?
    await alex.press("None")  # twitches
    await alex.press("None of these")  # factors: one tap when nothing is ticked
    assert "doctor" in alex.last_text()
    rows = await world.storage.count_user_rows(1001)
    assert set(rows) | SERVICE_TABLES == tables(world), "count_user_rows must cover every table"
    assert all(rows[t] > 0 for t in ("users", "assessments", "answers", "diary", "nudges")), rows

    await alex.send("/delete")
    await alex.press("Yes, delete everything")
    assert "deleted" in alex.last_text()
    assert all(count == 0 for count in (await world.storage.count_user_rows(1001)).values())
    with closing(sqlite3.connect(world.deps.settings.db_path)) as raw, raw:
        for table in tables(world):
            columns = {c[1] for c in raw.execute(f"PRAGMA table_info({table})")}
            if "user_id" in columns:
                left = raw.execute(f"SELECT count(*) FROM {table} WHERE user_id = 1001")
                assert left.fetchone()[0] == 0, table
    assert world.errors == []


async def test_an_old_confirmation_cannot_delete(world: World) -> None:
    alex = world.person()
    await begin(alex)
    world.clock.set(MORNING, frozen=True)
    await alex.send("/delete")
    prompt = alex.keyboard_message().message_id
    world.clock.set(MORNING.replace(hour=8), frozen=True)  # 90 minutes later
    await alex.press("Yes, delete everything", message_id=prompt)
    assert "out of date, so nothing was deleted" in alex.last_text()
    assert await world.storage.get_user(1001) is not None


async def test_no_on_an_older_prompt_after_deleting_does_not_claim_nothing_was_deleted(
    world: World,
) -> None:
    alex = world.person()
    await begin(alex)
    await alex.send("/delete")
    first = alex.keyboard_message().message_id
    await alex.send("/delete")
    await alex.press("Yes, delete everything")
    await alex.press("No, keep it", message_id=first)
    answered = world.emulator.message(1001, first)
    assert answered is not None and answered.text == "There is nothing stored about you now."
    assert await world.storage.get_user(1001) is None
