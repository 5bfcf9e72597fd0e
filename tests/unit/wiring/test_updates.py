"""Per-user processing: one person's updates in order, other people never wait behind them."""

from __future__ import annotations

import asyncio
from typing import Any

from telegram import Update

from bot.wiring.updates import PerUserUpdateProcessor


def _update(update_id: int, user_id: int) -> Update:
    payload: dict[str, Any] = {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 0,
            "chat": {"id": user_id, "type": "private"},
            "from": {"id": user_id, "is_bot": False, "first_name": "A"},
            "text": "hi",
        },
    }
    return Update.de_json(payload, None)


async def test_same_user_in_order_other_users_concurrently() -> None:
    processor = PerUserUpdateProcessor(16)
    events: list[str] = []
    slow_started = asyncio.Event()
    release = asyncio.Event()

    async def slow(name: str) -> None:
        events.append(f"start {name}")
        slow_started.set()
        await release.wait()
        events.append(f"end {name}")

    async def quick(name: str) -> None:
        events.append(f"run {name}")

    async with processor:
        first = asyncio.create_task(processor.process_update(_update(1, 7), slow("a1")))
        await slow_started.wait()
        second = asyncio.create_task(processor.process_update(_update(2, 7), quick("a2")))
        other = asyncio.create_task(processor.process_update(_update(3, 8), quick("b1")))
        await other
        # The other person was served while the first person's slow update was still running,
        # and the first person's second update waited for their first.
        assert events == ["start a1", "run b1"]
        release.set()
        await asyncio.gather(first, second)
    assert events == ["start a1", "run b1", "end a1", "run a2"]
    assert processor._locks == {}


async def test_a_busy_person_does_not_use_up_the_slots_of_others() -> None:
    """Two slots; one person with five queued updates; another person still gets through."""
    processor = PerUserUpdateProcessor(2)
    release = asyncio.Event()
    served: list[str] = []

    async def slow(name: str) -> None:
        await release.wait()
        served.append(name)

    async def quick(name: str) -> None:
        served.append(name)

    async with processor:
        busy = [
            asyncio.create_task(processor.process_update(_update(i, 7), slow(f"a{i}")))
            for i in range(1, 6)
        ]
        await asyncio.sleep(0)
        other = asyncio.create_task(processor.process_update(_update(9, 8), quick("b")))
        await asyncio.wait_for(other, timeout=5)
        assert served == ["b"]
        release.set()
        await asyncio.gather(*busy)
    assert served == ["b", "a1", "a2", "a3", "a4", "a5"]


async def test_updates_away_do_not_count_as_work_in_hand() -> None:
    """The long poll pauses while the bot is busy (bot/wiring/app.py): an update waiting for a
    drawing elsewhere is in hand but not work, and marking it twice counts it once."""
    processor = PerUserUpdateProcessor(16)
    parked, release = asyncio.Event(), asyncio.Event()

    async def waits_for_a_picture() -> None:
        with processor.away(), processor.away():
            parked.set()
            await release.wait()

    async def works() -> None:
        await release.wait()

    async with processor:
        tasks = [
            asyncio.create_task(processor.process_update(_update(1, 7), waits_for_a_picture())),
            asyncio.create_task(processor.process_update(_update(2, 8), works())),
            asyncio.create_task(processor.process_update(_update(3, 9), works())),
        ]
        await parked.wait()
        await asyncio.sleep(0)
        assert processor.current_concurrent_updates == 3
        assert processor.working_updates == 2
        release.set()
        await asyncio.gather(*tasks)
    assert processor.current_concurrent_updates == 0
    assert processor.working_updates == 0
    assert processor._away == set()


async def test_a_quiet_moment_comes_when_the_last_update_in_hand_is_done() -> None:
    """Work that can wait (the next /history strip) waits for the presses in hand, but not
    for updates that are away, and not for longer than it was told."""
    processor = PerUserUpdateProcessor(16)
    release = asyncio.Event()
    order: list[str] = []

    async def press() -> None:
        await release.wait()
        order.append("press done")

    async def waits_for_a_picture() -> None:
        with processor.away():
            await asyncio.sleep(3600)

    async with processor:
        away = asyncio.create_task(processor.process_update(_update(1, 7), waits_for_a_picture()))
        await asyncio.sleep(0)
        assert await processor.quiet_moment(0.01)  # only an update that is away: quiet now
        working = asyncio.create_task(processor.process_update(_update(2, 8), press()))
        await asyncio.sleep(0)
        assert not await processor.quiet_moment(0.02)  # gave up waiting: the press goes on
        waiting = asyncio.create_task(processor.quiet_moment(5))
        await asyncio.sleep(0.02)
        assert not waiting.done()
        release.set()
        assert await asyncio.wait_for(waiting, 1)
        order.append("quiet")
        await working
        away.cancel()
        await asyncio.gather(away, return_exceptions=True)
    assert order == ["press done", "quiet"]
