"""Per-user processing: one person's updates in order, other people never wait behind them."""

from __future__ import annotations

import asyncio
from typing import Any

from telegram import Update

from bot.updates import PerUserUpdateProcessor


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
