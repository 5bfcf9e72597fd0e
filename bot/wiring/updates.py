"""Update processing: different people concurrently, one person strictly in order.

PTB's default processor either handles everything one by one (a slow reply to one person
blocks everybody) or everything concurrently (a double tap by one person races with itself).
This processor keys a FIFO lock by user, so a person's updates run in arrival order while
other people's updates proceed in parallel.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Iterator
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor


def _update_key(update: object) -> int | None:
    if not isinstance(update, Update):
        return None
    if update.effective_user is not None:
        return update.effective_user.id
    if update.effective_chat is not None:
        return update.effective_chat.id
    return None


class PerUserUpdateProcessor(BaseUpdateProcessor):
    """`max_concurrent_updates` people are served at once; a person's queued updates wait on
    their own lock without taking a slot, so one busy person never holds up anybody else."""

    # PTB takes a slot of its own limit before do_process_update runs; that limit must not
    # be the real one, or a person's queued updates would hold slots while they wait.
    _OUTER_LIMIT = 1_000_000

    def __init__(self, max_concurrent_updates: int = 256) -> None:
        super().__init__(self._OUTER_LIMIT)
        self._active = asyncio.Semaphore(max_concurrent_updates)
        self._locks: dict[int, asyncio.Lock] = {}
        self._users: dict[int, int] = {}
        self._away: set[asyncio.Task[Any]] = set()

    @property
    def working_updates(self) -> int:
        """Updates in hand that are not `away`: what this process is busy with."""
        return max(0, self.current_concurrent_updates - len(self._away))

    @contextlib.contextmanager
    def away(self) -> Iterator[None]:
        """Counts the update being handled (the current task) as not keeping this process
        busy while inside: it waits for work done elsewhere (a drawing in its own process) or
        is paced by its own turn. Twenty people waiting for their charts must not make the
        bot count as busy and pause its polling for everybody else. Nesting is harmless."""
        task = asyncio.current_task()
        if task is None or task in self._away:
            yield
            return
        self._away.add(task)
        try:
            yield
        finally:
            self._away.discard(task)

    async def quiet_moment(self, within: float, *, step: float = 0.005) -> bool:
        """Waits until no update is being worked on (`working_updates` is 0) or `within`
        seconds have passed; True if the moment came. For work that can wait a little (the
        next /history strip, a chart's upload), so that it goes between other people's presses
        rather than in the middle of one; under steady load it goes after `within` anyway."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while self.working_updates > 0:
            if loop.time() >= deadline:
                return False
            await asyncio.sleep(step)
        return True

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = _update_key(update)
        if key is None:
            async with self._active:
                await coroutine
            return
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._users[key] = self._users.get(key, 0) + 1
        try:
            async with lock, self._active:
                await coroutine
        finally:
            # Drop the lock when nobody waits on it, so memory stays flat with many users.
            self._users[key] -= 1
            if self._users[key] == 0:
                del self._users[key]
                del self._locks[key]

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""
