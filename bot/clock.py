"""One injectable source of time, so tests and the try mode move the clock instead of sleeping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current moment as an aware UTC datetime."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class MovableClock:
    """Real time plus an offset that can be moved forward (or set to a fixed point)."""

    def __init__(self, start: datetime | None = None, *, frozen: bool = False) -> None:
        self._offset = timedelta(0)
        self._frozen: datetime | None = None
        if start is not None:
            self.set(start, frozen=frozen)

    def now(self) -> datetime:
        if self._frozen is not None:
            return self._frozen
        return datetime.now(UTC) + self._offset

    def set(self, moment: datetime, *, frozen: bool = False) -> None:
        if moment.tzinfo is None:
            raise ValueError("clock times must be timezone-aware")
        moment = moment.astimezone(UTC)
        if frozen:
            self._frozen = moment
        else:
            self._frozen = None
            self._offset = moment - datetime.now(UTC)

    def advance(self, delta: timedelta) -> None:
        if self._frozen is not None:
            self._frozen += delta
        else:
            self._offset += delta
