"""A check-in whose answer from Telegram is lost is taken as delivered: never sent twice.
/checkin opens today's check-in on demand (for one that never came, or to log early)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from bot.fakeapi.records import NetworkErrorMode
from tests.e2e.test_reminders import (
    BERLIN_MORNING,
    NIGHT,
    checkins,
    dispatcher,
    opt_in_berlin,
    quiet_job,
)
from tests.harness import World


@pytest.fixture(autouse=True)
def _no_job(world: World) -> Any:
    quiet_job(world)
    yield
    assert world.errors == []


async def test_answer_lost_after_the_send_is_not_sent_again(world: World) -> None:
    alex = await world.consented()
    await opt_in_berlin(world, alex)
    world.emulator.inject_network_error("sendMessage", when="after")
    world.clock.set(BERLIN_MORNING, frozen=True)
    report = await dispatcher(world).tick()
    assert (report.sent, report.retried, report.uncertain) == (0, 0, 1)
    assert len(checkins(alex)) == 1  # it did arrive
    for _ in range(4):
        world.clock.advance(timedelta(minutes=2))
        assert (await dispatcher(world).tick()).sent == 0
    assert len(checkins(alex)) == 1
    # Its buttons work although the bot never learnt the message id.
    arrived = checkins(alex)[0].message_id
    await alex.press("None", message_id=arrived)
    entry = await world.storage.get_diary_entry(1001, NIGHT)
    assert entry is not None and entry.answers.get("cramps") == 0
    assert entry.checkin_message_id == arrived


@pytest.mark.parametrize("when", ["before", "after"])
async def test_checkin_command_opens_the_morning_after_a_lost_send(
    world: World, when: NetworkErrorMode
) -> None:
    alex = await world.consented()
    await opt_in_berlin(world, alex)
    world.emulator.inject_network_error("sendMessage", when=when)
    world.clock.set(BERLIN_MORNING, frozen=True)
    await dispatcher(world).tick()
    before = len(checkins(alex))
    await alex.send("/checkin")
    assert len(checkins(alex)) == before + 1
    assert "the night of 25 Nov" in alex.last_text()
    await alex.press("1")
    entry = await world.storage.get_diary_entry(1001, NIGHT)
    assert entry is not None and entry.answers.get("cramps") == 1
    assert entry.checkin_message_id == alex.last_message().message_id


async def test_checkin_command_to_log_early_and_when_already_answered(world: World) -> None:
    alex = await world.consented()
    world.clock.set(BERLIN_MORNING - timedelta(hours=1), frozen=True)  # 06:30 in Berlin
    await opt_in_berlin(world, alex)
    await alex.send("/checkin")
    assert "the night of 25 Nov" in alex.last_text()
    for label in ("None", "No"):
        await alex.press(label)
    while "Done" in alex.buttons() or "None of these" in alex.buttons():
        await alex.press("None of these" if "None of these" in alex.buttons() else "Done")
    entry = await world.storage.get_diary_entry(1001, NIGHT)
    assert entry is not None and entry.complete
    await alex.send("/checkin")
    assert "already in your diary" in alex.last_text()
    # The reminder at 07:30 has nothing left to ask.
    world.clock.set(BERLIN_MORNING, frozen=True)
    await dispatcher(world).tick()
    assert "already in your diary" in alex.last_text()
    asked = [m for m in alex.messages() if "Thank you, that is saved" in m.text]
    assert len(asked) == 1


async def test_checkin_command_needs_consent_first(world: World) -> None:
    sam = world.person(1002)
    await sam.send("/checkin")
    assert "not a diagnosis" in sam.last_text()
    assert await world.storage.get_diary_entry(1002, NIGHT) is None


async def test_checkin_is_in_the_menu_and_in_help(world: World) -> None:
    alex = await world.consented()
    assert "checkin" in {c["command"] for c in world.emulator.commands()}
    await alex.send("/help")
    assert "/checkin" in alex.last_text()
