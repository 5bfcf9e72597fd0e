"""Replies and the morning broadcast share Telegram's ~30 messages per second.

Replies never wait; the broadcast steps back one slot for each reply that creates a message.
"""

from __future__ import annotations

from tests.conftest import World


async def test_each_reply_makes_the_broadcast_step_back(world: World) -> None:
    dispatcher = world.deps.dispatcher
    assert dispatcher is not None
    assert dispatcher.yielded_seconds == 0
    alex = world.person()
    await alex.send("/help")
    await alex.send("/privacy")
    # Two new messages at the default 25 per second: the broadcast owes 2 x 40 ms.
    assert abs(dispatcher.yielded_seconds - 2 / 25) < 1e-9
    assert "/delete" in alex.last_text()


async def test_edits_and_button_answers_do_not_count(world: World) -> None:
    dispatcher = world.deps.dispatcher
    assert dispatcher is not None
    alex = world.person()
    await alex.send("/start")
    owed = dispatcher.yielded_seconds
    await alex.press("I understand")  # answer + edit + one new questionnaire message
    await alex.press("None of these")  # answer + edit only
    assert abs(dispatcher.yielded_seconds - owed - 1 / 25) < 1e-9
