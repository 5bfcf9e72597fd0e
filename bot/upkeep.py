"""Once-a-minute upkeep: is the database file still the one the bot opened, and (hourly)
removing people the privacy notice says are not kept.

Telegram-free; handlers/upkeep.py runs it as a job and stops the bot on a fatal finding.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from bot.clock import Clock
from bot.storage import Storage

log = logging.getLogger(__name__)

# /start without consent keeps a row this long at most (an old version made one).
UNCONSENTED_DAYS = 7
PURGE_EVERY = timedelta(hours=1)


class Upkeep:
    def __init__(self, storage: Storage, clock: Clock, *, retention_days: int) -> None:
        self.storage = storage
        self.clock = clock
        self.retention = timedelta(days=retention_days)
        self._last_purge: datetime | None = None

    async def minute(self) -> str | None:
        """One round; returns why the bot must stop (the database file is gone or another
        one is at its path), else None."""
        fatal = self.storage.file_replaced()
        if fatal is not None:
            return fatal
        now = self.clock.now()
        if self._last_purge is None or now - self._last_purge >= PURGE_EVERY:
            self._last_purge = now
            removed = await self.purge(now)
            if removed:
                log.info("removed %d inactive people (retention)", removed)
        return None

    async def purge(self, now: datetime) -> int:
        return await self.storage.purge_inactive(
            unconsented_before=now - timedelta(days=UNCONSENTED_DAYS),
            blocked_before=now - self.retention,
        )
