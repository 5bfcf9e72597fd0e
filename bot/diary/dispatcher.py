"""The once-a-minute reminder dispatcher: due users -> claim -> paced send -> outcome.

No Telegram here: the wiring passes a `send` function that sends the check-in for a night and
maps Telegram's answers onto SendOutcome (Forbidden -> BLOCKED, RetryAfter -> RETRY_AFTER,
5xx and a request that never left -> FAILED, an answer lost after the request left ->
UNCERTAIN).

At most one check-in per local morning, across restarts too: the claim (next_reminder_at moved
to the next morning plus the "sent" mark) is committed before the message leaves, so a crash
between the two loses that morning rather than sending it twice. Only a send that Telegram
refused (429, 5xx) or that never left this machine is tried again, inside the morning window;
one whose answer was lost on the way back is taken as delivered.
"""

from __future__ import annotations

import asyncio
import enum
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.clock import Clock
from bot.diary.schedule import (
    local_night_for,
    morning_due_now,
    next_local_occurrence,
    parse_local_time,
)
from bot.logs import event
from bot.storage import Storage, User

# A missed check-in still goes out if it is within this long of the person's morning time.
CATCH_UP_WINDOW = timedelta(hours=3)

log = logging.getLogger(__name__)

# A 429 storm must not pin one user's send forever; after this many flood waits the send counts
# as failed and is retried on a later tick (inside the window).
MAX_FLOOD_WAITS = 5


class SendResult(enum.Enum):
    SENT = "sent"
    BLOCKED = "blocked"
    RETRY_AFTER = "retry_after"
    FAILED = "failed"
    # The request reached Telegram but its answer was lost (a timeout or a reset while
    # waiting): probably delivered. Never sent again; /checkin opens it if it was not.
    UNCERTAIN = "uncertain"


@dataclass(frozen=True)
class SendOutcome:
    result: SendResult
    retry_after: float = 0.0
    message_id: int | None = None


SendFn = Callable[[User, date], Awaitable[SendOutcome]]


@dataclass
class TickReport:
    sent: int = 0
    skipped: int = 0  # missed beyond the window: moved to the next morning, nothing sent
    blocked: int = 0
    retried: int = 0  # failed sends scheduled again inside the window
    failed: int = 0  # failed and out of window (or unusable settings): that morning is lost
    flood_waits: int = 0  # RetryAfter answers waited out (each send retried after the pause)
    lost_claims: int = 0  # someone else moved the reminder between the query and the claim
    uncertain: int = 0  # the answer was lost after the request left: not sent again


@dataclass(frozen=True)
class _Claim:
    user: User
    night: date
    slot: datetime  # the morning slot this send belongs to
    following: datetime  # where the claim moves next_reminder_at
    expected: datetime  # next_reminder_at as read: the claim is a compare-and-set on it


_T = TypeVar("_T")


class ReminderDispatcher:
    def __init__(
        self,
        storage: Storage,
        clock: Clock,
        send: SendFn,
        *,
        rate_per_second: float = 25.0,
        window: timedelta = CATCH_UP_WINDOW,
        batch: int = 1000,
        retry_delay: timedelta = timedelta(minutes=2),
        concurrency: int = 32,
    ) -> None:
        self._storage = storage
        self._clock = clock
        self._send = send
        self._window = window
        self._batch = batch
        self._retry_delay = retry_delay
        self._concurrency = concurrency
        self._pacer = Pacer(1 / rate_per_second) if rate_per_second > 0 else None
        self._resume_at = 0.0  # loop time before which nobody sends (shared flood wait)
        self._running = asyncio.Lock()

    async def tick(self) -> TickReport:
        """Send every check-in due now; returns when all sends of this tick are done.

        If a previous tick is still sending (a very busy morning), returns at once with an
        empty report: that tick picks up everything that becomes due meanwhile.
        """
        report = TickReport()
        if self._running.locked():
            return report
        async with self._running:
            slots = asyncio.Semaphore(self._concurrency)
            tasks: set[asyncio.Task[None]] = set()
            seen: set[int] = set()
            try:
                while True:
                    due = await self._storage.due_reminders(self._clock.now(), self._batch)
                    fresh = [user for user in due if user.user_id not in seen]
                    if not fresh:
                        if len(due) < self._batch or not tasks:
                            break
                        # A full batch still waiting for its claims: let them land, so the
                        # next query reaches the users behind it.
                        await asyncio.gather(*tasks)
                        continue
                    for user in fresh:
                        seen.add(user.user_id)
                        await slots.acquire()
                        claim = await self._guarded(user, report, self._plan(user, report))
                        if claim is None:
                            slots.release()
                            continue
                        task = asyncio.create_task(
                            self._guarded(user, report, self._deliver(claim, report))
                        )
                        tasks.add(task)
                        task.add_done_callback(tasks.discard)
                        task.add_done_callback(lambda _task: slots.release())
                if tasks:
                    await asyncio.gather(*tasks)
            finally:
                # Cancelled (shutdown): take the sends of this tick down with it.
                for task in tasks:
                    task.cancel()
        return report

    async def _guarded(self, user: User, report: TickReport, work: Awaitable[_T]) -> _T | None:
        try:
            return await work
        except Exception:
            # One user's trouble (a database hiccup) must not stop everybody else's morning.
            event(log, "checkin_error", level=logging.ERROR, exc_info=True, user=user.user_id)
            report.failed += 1
            return None

    async def _plan(self, user: User, report: TickReport) -> _Claim | None:
        """Decide for one due user: a claim to commit at its send turn, or None (skipped)."""
        expected = user.next_reminder_at
        if expected is None:  # pragma: no cover - due_reminders never returns these
            return None
        slot = user.reminder_slot_at or expected
        settings = _settings(user)
        if settings is None:
            event(log, "checkin_settings_invalid", level=logging.WARNING, user=user.user_id)
            await self._storage.reminders_off(user.user_id)
            report.failed += 1
            return None
        local, tz = settings
        now = self._clock.now()
        if now - slot > self._window:
            # Down for a day or more (or the clock moved on): the old mornings are not sent
            # in a burst, but a morning that is due now, inside its window, still is.
            due = morning_due_now(local, tz, now, self._window, last_night=user.last_checkin_night)
            if due is not None:
                slot = due
        if now - slot > self._window:
            await self._storage.skip_reminder(
                user.user_id,
                new_next_at=next_local_occurrence(local, tz, now),
                expected_next_at=expected,
            )
            report.skipped += 1
            event(log, "checkin_skipped_late", user=user.user_id)
            return None
        night = local_night_for(slot, tz)
        return _Claim(user, night, slot, next_local_occurrence(local, tz, slot), expected)

    async def _deliver(self, claim: _Claim, report: TickReport) -> None:
        user = claim.user
        # The claim is committed at the send's turn, just before it leaves, so a crash loses
        # only the check-ins already on their way, not everyone queued behind the pacer.
        await self._take_turn()
        claimed = await self._storage.claim_reminder(
            user.user_id,
            expected_next_at=claim.expected,
            new_next_at=claim.following,
            new_slot_at=claim.following,
            night=claim.night,
            now=self._clock.now(),
        )
        if not claimed:
            report.lost_claims += 1
            return
        outcome = await self._send_paced(user, claim.night, report)
        event(
            log,
            f"checkin_{outcome.result.name.lower()}",
            user=user.user_id,
            night=claim.night.isoformat(),
        )
        if outcome.result is SendResult.SENT:
            report.sent += 1
        elif outcome.result is SendResult.BLOCKED:
            await self._storage.mark_blocked(user.user_id, self._clock.now())
            report.blocked += 1
        elif outcome.result is SendResult.UNCERTAIN:
            # The night stays claimed and its diary row exists, so the buttons of a message
            # that did arrive still work; sending again would risk a second check-in.
            report.uncertain += 1
        else:
            retry_at = self._clock.now() + self._retry_delay
            if retry_at - claim.slot <= self._window:
                await self._storage.retry_reminder(
                    user.user_id,
                    retry_at=retry_at,
                    slot_at=claim.slot,
                    expected_next_at=claim.following,
                )
                report.retried += 1
            else:
                report.failed += 1

    async def _take_turn(self) -> None:
        """Wait out a shared flood pause, then for this send's slot of the pacer."""
        loop = asyncio.get_running_loop()
        pause = self._resume_at - loop.time()
        if pause > 0:
            await asyncio.sleep(pause)
        if self._pacer is not None:
            wait = self._pacer.reserve(loop.time()) - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)

    async def _send_paced(self, user: User, night: date, report: TickReport) -> SendOutcome:
        """The first turn is taken before the claim; each resend after a 429 takes another."""
        loop = asyncio.get_running_loop()
        for attempt in range(MAX_FLOOD_WAITS + 1):
            if attempt:
                await self._take_turn()
            outcome = await self._send_once(user, night)
            if outcome.result is not SendResult.RETRY_AFTER:
                return outcome
            report.flood_waits += 1
            # Telegram's flood wait is global to the bot: everyone of this dispatcher waits.
            self._resume_at = max(self._resume_at, loop.time() + max(outcome.retry_after, 0.0))
        return SendOutcome(SendResult.FAILED)

    def note_interactive_send(self) -> None:
        """A reply to a person went out: the broadcast gives up one slot for it.

        Telegram's ~30 messages per second cover replies and check-ins together. Replies must
        never wait, so the broadcast steps back instead and the sum stays near the set rate.
        """
        if self._pacer is not None:
            self._pacer.give_away(asyncio.get_running_loop().time())

    @property
    def slots_given_away(self) -> int:
        return self._pacer.given_away if self._pacer is not None else 0

    async def _send_once(self, user: User, night: date) -> SendOutcome:
        try:
            return await self._send(user, night)
        except Exception:
            event(
                log, "checkin_send_raised", level=logging.ERROR, exc_info=True, user=user.user_id
            )
            return SendOutcome(SendResult.FAILED)


class Pacer:
    """Evenly spaced send slots, `interval` apart, handed out in order.

    A token bucket (aiolimiter) can only be waited on; here a slot can also be given away
    without waiting: a reply to a person takes the next free slot and every check-in after it
    moves one slot later, so replies plus broadcast stay at the set rate while replies never
    wait. At most `MAX_AHEAD` seconds of slots are given away, so a burst of replies slows
    the broadcast down but never stops it.
    """

    MAX_AHEAD = 1.0

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self.given_away = 0
        self._next = 0.0

    def reserve(self, now: float) -> float:
        """The loop time at which the caller may send; the slot after it is the next one."""
        slot = max(self._next, now)
        self._next = slot + self.interval
        return slot

    def give_away(self, now: float) -> None:
        if self._next - now < self.MAX_AHEAD:
            self.reserve(now)
            self.given_away += 1


def _settings(user: User) -> tuple[time, ZoneInfo] | None:
    if user.reminder_time is None or user.timezone is None:
        return None
    local = parse_local_time(user.reminder_time)
    try:
        tz = ZoneInfo(user.timezone)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None
    return None if local is None else (local, tz)
