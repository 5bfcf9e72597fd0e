"""Replies and the morning broadcast share Telegram's ~30 messages per second.

Replies never wait; the broadcast steps back one slot for each reply that creates a message.
"""

from __future__ import annotations

from tests.harness import World


async def test_each_reply_makes_the_broadcast_step_back(world: World) -> None:
    dispatcher = world.deps.dispatcher
    assert dispatcher is not None
    assert dispatcher.slots_given_away == 0
    alex = world.person()
    await alex.send("/help")
    await alex.send("/privacy")
    # Two new messages: the broadcast gives up two of its slots.
    assert dispatcher.slots_given_away == 2
    assert "/delete" in alex.last_text()


async def test_edits_and_button_answers_do_not_count(world: World) -> None:
    dispatcher = world.deps.dispatcher
    assert dispatcher is not None
    alex = world.person()
    await alex.send("/start")
    given = dispatcher.slots_given_away
    await alex.press("I understand")  # answer + edit + one new questionnaire message
    await alex.press("None of these")  # answer + edit only
    assert dispatcher.slots_given_away == given + 1
