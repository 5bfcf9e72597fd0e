"""Free text gets a hint that fits where the person is."""

from __future__ import annotations

from datetime import UTC, datetime

from handlers.checkin import JOB_NAME
from tests.harness import World

MORNING = datetime(2026, 11, 26, 7, 0, tzinfo=UTC)  # 07:00 in London


async def test_free_text_during_a_morning_check_in_points_to_its_buttons(world: World) -> None:
    for job in world.app.job_queue.get_jobs_by_name(JOB_NAME):
        job.enabled = False
    alex = await world.consented()
    await world.storage.set_reminder(
        1001, reminder_time="07:00", timezone="Europe/London", next_at=MORNING
    )
    world.clock.set(MORNING, frozen=True)
    assert world.deps.dispatcher is not None
    assert (await world.deps.dispatcher.tick()).sent == 1
    await alex.send("two cramps, both short")
    assert "check-in" in alex.last_text()
    assert "pause the check-ins" in alex.last_text()
    await alex.press("Skip today")
    await alex.send("hello")
    assert "/start" in alex.last_text()
    await alex.send("/history")
    assert "No nights recorded yet" in alex.last_text()
    assert world.errors == []


async def test_an_edited_message_is_not_acted_on_again(world: World) -> None:
    alex = world.person()
    await alex.send("/start")
    await alex.press("I understand")
    mine = [e for e in world.emulator.history(1001) if e.kind == "user_message"]
    sent_before = len(alex.messages())
    await alex.settle(world.emulator.user_edits_text(1001, 1001, mine[0].message_id, "/delete"))
    assert "did not act on that edit" in alex.last_text()
    assert len(alex.messages()) == sent_before + 1  # only that note: no delete prompt
    assert "Delete" not in " ".join(alex.buttons())
    assert world.errors == []
