"""The reminder dispatcher (bot/reminders.py) on a real SQLite file with a frozen clock."""

from __future__ import annotations

import asyncio
import sqlite3
from collections import defaultdict, deque
from collections.abc import AsyncIterator
from contextlib import closing
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.clock import MovableClock
from bot.diary.dispatcher import Pacer, ReminderDispatcher, SendOutcome, SendResult, TickReport
from bot.diary.schedule import next_local_occurrence
from bot.storage import Storage, User

BERLIN = ZoneInfo("Europe/Berlin")
# Monday 3 June 2024, 08:00 in Berlin (CEST, +2).
SLOT = datetime(2024, 6, 3, 6, 0, tzinfo=UTC)
NEXT_SLOT = SLOT + timedelta(days=1)
NIGHT = date(2024, 6, 2)


class FakeSend:
    """Records every send (user, night, clock time) and answers from a per-user script."""

    def __init__(self, clock: MovableClock) -> None:
        self.clock = clock
        self.calls: list[tuple[int, date, datetime]] = []
        self.script: dict[int, deque[SendOutcome]] = defaultdict(deque)

    def then(self, user_id: int, *outcomes: SendOutcome) -> None:
        self.script[user_id].extend(outcomes)

    async def __call__(self, user: User, night: date) -> SendOutcome:
        self.calls.append((user.user_id, night, self.clock.now()))
        script = self.script[user.user_id]
        return script.popleft() if script else SendOutcome(SendResult.SENT, message_id=1)

    def to(self, user_id: int) -> list[tuple[date, datetime]]:
        return [(night, at) for uid, night, at in self.calls if uid == user_id]


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(SLOT)


@pytest.fixture
async def storage(tmp_path: Path) -> AsyncIterator[Storage]:
    store = await Storage.open(tmp_path / "bot.db")
    yield store
    await store.close()


@pytest.fixture
def send(clock: MovableClock) -> FakeSend:
    return FakeSend(clock)


def dispatcher(storage: Storage, clock: MovableClock, send: FakeSend) -> ReminderDispatcher:
    # Unpaced: the tests check decisions, not timing.
    return ReminderDispatcher(storage, clock, send, rate_per_second=0)


async def add_user(
    storage: Storage,
    user_id: int,
    *,
    at: datetime = SLOT,
    zone: str = "Europe/Berlin",
    local: str = "08:00",
) -> None:
    await storage.upsert_user(user_id, user_id + 1000, SLOT - timedelta(days=10))
    await storage.set_consent(user_id, SLOT - timedelta(days=10))
    await storage.set_reminder(user_id, reminder_time=local, timezone=zone, next_at=at)


def freeze(clock: MovableClock, moment: datetime) -> None:
    clock.set(moment, frozen=True)


async def test_due_users_get_their_check_in_for_last_night(
    storage: Storage, clock: MovableClock, send: FakeSend
) -> None:
    await add_user(storage, 1)
    await add_user(storage, 2, at=SLOT - timedelta(minutes=1))
    await add_user(storage, 3, at=SLOT + timedelta(minutes=1))  # not due yet
    freeze(clock, SLOT)
    report = await dispatcher(storage, clock, send).tick()
    assert report == TickReport(sent=2)
    assert sorted((uid, night) for uid, night, _ in send.calls) == [(1, NIGHT), (2, NIGHT)]
    user = await storage.get_user(1)
    assert user is not None
    assert (user.next_reminder_at, user.last_checkin_night) == (NEXT_SLOT, NIGHT)


async def test_two_ticks_in_the_same_minute_send_once(
    storage: Storage, clock: MovableClock, send: FakeSend
) -> None:
    await add_user(storage, 1)
    freeze(clock, SLOT + timedelta(seconds=5))
    first = dispatcher(storage, clock, send)
    assert (await first.tick()).sent == 1
    freeze(clock, SLOT + timedelta(seconds=35))
    assert (await first.tick()).sent == 0
    # A second dispatcher (another process on the same file) does not send it either.
    assert (await dispatcher(storage, clock, send).tick()).sent == 0
    assert len(send.calls) == 1


async def test_restart_between_claim_and_send_loses_the_morning_not_duplicates(
    tmp_path: Path, clock: MovableClock, send: FakeSend
) -> None:
    path = tmp_path / "bot.db"
    store = await Storage.open(path)
    await add_user(store, 1)
    freeze(clock, SLOT)
    about_to_send = asyncio.Event()
    committed_before_send: list[tuple[object, ...]] = []

    async def killed_while_sending(user: User, night: date) -> SendOutcome:
        # What another connection sees at this moment: the claim is already committed.
        with closing(sqlite3.connect(path)) as other, other:
            committed_before_send.extend(
                other.execute("SELECT next_reminder_at, last_checkin_night FROM users")
            )
        about_to_send.set()
        await asyncio.Event().wait()  # the process dies here; the message never leaves
        raise AssertionError("unreachable")

    dying = ReminderDispatcher(store, clock, killed_while_sending, rate_per_second=0)
    tick = asyncio.create_task(dying.tick())
    await about_to_send.wait()
    tick.cancel()
    with pytest.raises(asyncio.CancelledError):
        await tick
    await store.close()
    assert committed_before_send == [(int(NEXT_SLOT.timestamp()), NIGHT.isoformat())]

    # A new process on the same file, same morning: nothing goes out twice.
    store = await Storage.open(path)
    try:
        for minute in range(0, 180, 7):
            freeze(clock, SLOT + timedelta(minutes=minute))
            assert (await dispatcher(store, clock, send).tick()).sent == 0
        assert send.calls == []
        # The next morning it is sent as usual.
        freeze(clock, NEXT_SLOT)
        assert (await dispatcher(store, clock, send).tick()).sent == 1
        assert send.to(1) == [(NIGHT + timedelta(days=1), NEXT_SLOT)]
    finally:
        await store.close()


async def test_downtime_within_the_window_still_sends_for_that_morning(
    storage: Storage, clock: MovableClock, send: FakeSend
) -> None:
    await add_user(storage, 1)
    freeze(clock, SLOT + timedelta(hours=2, minutes=59))
    report = await dispatcher(storage, clock, send).tick()
    assert report.sent == 1
    assert send.to(1) == [(NIGHT, SLOT + timedelta(hours=2, minutes=59))]
    assert (await storage.get_user(1)).next_reminder_at == NEXT_SLOT  # type: ignore[union-attr]


async def test_down_for_days_still_sends_the_morning_that_is_due_now(
    storage: Storage, clock: MovableClock, send: FakeSend
) -> None:
    """Days of downtime (or a clock moved on by days): the old mornings are not sent, but
    the one due now is, for its own night."""
    await add_user(storage, 1, at=SLOT - timedelta(days=3))
    freeze(clock, SLOT + timedelta(minutes=15))
    report = await dispatcher(storage, clock, send).tick()
    assert report.sent == 1 and report.skipped == 0
    assert send.to(1) == [(NIGHT, SLOT + timedelta(minutes=15))]
    user = await storage.get_user(1)
    assert user is not None and user.next_reminder_at == NEXT_SLOT
    assert user.last_checkin_night == NIGHT


async def test_downtime_beyond_the_window_skips_to_the_next_morning(
    storage: Storage, clock: MovableClock, send: FakeSend
) -> None:
    await add_user(storage, 1)
    await add_user(storage, 2, at=SLOT - timedelta(days=3))  # down for days
    freeze(clock, SLOT + timedelta(hours=3, minutes=1))
    report = await dispatcher(storage, clock, send).tick()
    assert report == TickReport(skipped=2)
    assert send.calls == []
    for user_id in (1, 2):
        user = await storage.get_user(user_id)
        assert user is not None
        assert (user.next_reminder_at, user.reminder_slot_at) == (NEXT_SLOT, NEXT_SLOT)
        assert user.last_checkin_night is None
    freeze(clock, NEXT_SLOT)
    assert (await dispatcher(storage, clock, send).tick()).sent == 2


async def test_blocked_user_is_marked_and_never_sent_again(
    storage: Storage, clock: MovableClock, send: FakeSend
) -> None:
    await add_user(storage, 1)
    send.then(1, SendOutcome(SendResult.BLOCKED))
    freeze(clock, SLOT)
    d = dispatcher(storage, clock, send)
    assert (await d.tick()).blocked == 1
    user = await storage.get_user(1)
    assert user is not None
    assert (user.blocked_at, user.next_reminder_at) == (SLOT, None)
    for days in range(1, 4):
        freeze(clock, SLOT + timedelta(days=days))
        assert await d.tick() == TickReport()
    assert len(send.calls) == 1


async def test_retry_after_then_success_sends_the_same_message_again(
    storage: Storage, clock: MovableClock, send: FakeSend
) -> None:
    await add_user(storage, 1)
    await add_user(storage, 2)
    send.then(1, SendOutcome(SendResult.RETRY_AFTER, retry_after=0.01))
    freeze(clock, SLOT)
    report = await dispatcher(storage, clock, send).tick()
    assert (report.sent, report.flood_waits, report.failed, report.retried) == (2, 1, 0, 0)
    assert send.to(1) == [(NIGHT, SLOT), (NIGHT, SLOT)]
    assert len(send.to(2)) == 1
    assert (await storage.get_user(1)).next_reminder_at == NEXT_SLOT  # type: ignore[union-attr]


async def test_endless_flood_waits_give_up_and_retry_later(
    storage: Storage, clock: MovableClock, send: FakeSend
) -> None:
    await add_user(storage, 1)
    send.then(1, *[SendOutcome(SendResult.RETRY_AFTER, retry_after=0.0)] * 6)
    freeze(clock, SLOT)
    report = await dispatcher(storage, clock, send).tick()
    assert (report.sent, report.flood_waits, report.retried) == (0, 6, 1)
    freeze(clock, SLOT + timedelta(minutes=2))
    assert (await dispatcher(storage, clock, send).tick()).sent == 1


async def test_network_failure_is_retried_within_the_window(
    storage: Storage, clock: MovableClock, send: FakeSend
) -> None:
    await add_user(storage, 1)
    send.then(1, SendOutcome(SendResult.FAILED), SendOutcome(SendResult.FAILED))
    d = dispatcher(storage, clock, send)
    freeze(clock, SLOT)
    assert (await d.tick()).retried == 1
    user = await storage.get_user(1)
    assert user is not None
    assert (user.next_reminder_at, user.reminder_slot_at) == (SLOT + timedelta(minutes=2), SLOT)
    freeze(clock, SLOT + timedelta(minutes=1))
    assert await d.tick() == TickReport()  # not yet
    freeze(clock, SLOT + timedelta(minutes=2))
    assert (await d.tick()).retried == 1
    freeze(clock, SLOT + timedelta(minutes=4))
    assert (await d.tick()).sent == 1
    assert [night for night, _ in send.to(1)] == [NIGHT, NIGHT, NIGHT]
    user = await storage.get_user(1)
    assert user is not None
    assert (user.next_reminder_at, user.reminder_slot_at) == (NEXT_SLOT, NEXT_SLOT)
    assert user.last_checkin_night == NIGHT


async def test_a_send_that_raises_counts_as_a_network_failure(
    storage: Storage, clock: MovableClock
) -> None:
    await add_user(storage, 1)
    calls: list[int] = []

    async def flaky(user: User, night: date) -> SendOutcome:
        calls.append(user.user_id)
        if len(calls) == 1:
            raise ConnectionError("network down")
        return SendOutcome(SendResult.SENT)

    d = ReminderDispatcher(storage, clock, flaky, rate_per_second=0)
    freeze(clock, SLOT)
    assert (await d.tick()).retried == 1
    freeze(clock, SLOT + timedelta(minutes=2))
    assert (await d.tick()).sent == 1
    assert calls == [1, 1]


async def test_network_failure_at_the_end_of_the_window_is_let_go(
    storage: Storage, clock: MovableClock, send: FakeSend
) -> None:
    await add_user(storage, 1)
    send.then(1, SendOutcome(SendResult.FAILED))
    freeze(clock, SLOT + timedelta(hours=2, minutes=59))
    assert (await dispatcher(storage, clock, send).tick()).failed == 1
    assert (await storage.get_user(1)).next_reminder_at == NEXT_SLOT  # type: ignore[union-attr]
    freeze(clock, SLOT + timedelta(hours=3, minutes=30))
    assert (await dispatcher(storage, clock, send).tick()) == TickReport()
    assert len(send.calls) == 1


async def test_broken_settings_turn_reminders_off_without_crashing(
    storage: Storage, clock: MovableClock, send: FakeSend
) -> None:
    await add_user(storage, 1, zone="Mars/Olympus_Mons")
    await add_user(storage, 2)
    freeze(clock, SLOT)
    report = await dispatcher(storage, clock, send).tick()
    assert (report.sent, report.failed) == (1, 1)
    assert [uid for uid, _, _ in send.calls] == [2]
    assert (await storage.get_user(1)).reminders_on is False  # type: ignore[union-attr]


async def test_check_ins_stay_at_eight_local_across_both_berlin_changes(
    storage: Storage, clock: MovableClock, send: FakeSend
) -> None:
    eight = time(8, 0)
    for first_day in (date(2024, 3, 28), date(2024, 10, 24)):
        user_id = first_day.month
        start = datetime.combine(first_day, time(0, 0), tzinfo=BERLIN)
        await add_user(storage, user_id, at=next_local_occurrence(eight, BERLIN, start))
        d = dispatcher(storage, clock, send)
        moment = start.astimezone(UTC)
        # Every minute would be slow; every quarter of an hour for a week is plenty.
        for _ in range(7 * 24 * 4):
            moment += timedelta(minutes=15)
            freeze(clock, moment)
            await d.tick()
        sent = send.to(user_id)
        assert len(sent) == 7
        local = [at.astimezone(BERLIN) for _, at in sent]
        assert {(t.hour, t.minute) for t in local} == {(8, 0)}
        assert [t.date() for t in local] == [first_day + timedelta(days=n) for n in range(7)]
        assert [night for night, _ in sent] == [
            first_day + timedelta(days=n - 1) for n in range(7)
        ]
        assert len({t.utcoffset() for t in local}) == 2  # the week really crossed the change


async def test_paced_sends_run_concurrently_and_all_finish(
    storage: Storage, clock: MovableClock
) -> None:
    users = 40
    await storage.add_reminder_users(
        ((uid, uid, SLOT) for uid in range(1, users + 1)),
        reminder_time="08:00",
        timezone="Europe/Berlin",
        now=SLOT - timedelta(days=1),
    )
    in_flight = 0
    most = 0
    release = asyncio.Event()

    async def slow(user: User, night: date) -> SendOutcome:
        nonlocal in_flight, most
        in_flight += 1
        most = max(most, in_flight)
        if most >= 8:
            release.set()
        await release.wait()
        in_flight -= 1
        return SendOutcome(SendResult.SENT)

    freeze(clock, SLOT)
    report = await ReminderDispatcher(storage, clock, slow, rate_per_second=10_000).tick()
    assert report.sent == users
    assert 8 <= most <= 32
    assert await storage.due_reminders(SLOT, 100) == []


async def test_batches_are_drained_in_one_tick(
    storage: Storage, clock: MovableClock, send: FakeSend
) -> None:
    await storage.add_reminder_users(
        ((uid, uid, SLOT) for uid in range(1, 26)),
        reminder_time="08:00",
        timezone="Europe/Berlin",
        now=SLOT - timedelta(days=1),
    )
    freeze(clock, SLOT)
    d = ReminderDispatcher(storage, clock, send, rate_per_second=0, batch=10)
    assert (await d.tick()).sent == 25
    assert sorted(uid for uid, _, _ in send.calls) == list(range(1, 26))


def test_pacer_hands_out_even_slots_and_gives_some_away() -> None:
    pacer = Pacer(0.05)  # 20 per second
    assert [round(pacer.reserve(10.0), 2) for _ in range(3)] == [10.0, 10.05, 10.1]
    pacer.give_away(10.0)  # a reply takes the next slot ...
    assert round(pacer.reserve(10.0), 2) == 10.2  # ... and the broadcast moves one slot later
    assert pacer.given_away == 1
    # Later on, free slots start from now again.
    assert pacer.reserve(50.0) == 50.0


def test_a_burst_of_replies_takes_at_most_a_second_of_slots() -> None:
    pacer = Pacer(0.05)
    for _ in range(100):
        pacer.give_away(10.0)
    assert pacer.given_away == 20
    assert round(pacer.reserve(10.0), 2) == 11.0


async def test_unpaced_dispatch_gives_nothing_away(tmp_path: Path) -> None:
    storage = await Storage.open(tmp_path / "budget.db")
    try:

        async def send(user: User, night: date) -> SendOutcome:
            return SendOutcome(SendResult.SENT)

        unpaced = ReminderDispatcher(storage, MovableClock(), send, rate_per_second=0)
        unpaced.note_interactive_send()
        assert unpaced.slots_given_away == 0
        paced = ReminderDispatcher(storage, MovableClock(), send, rate_per_second=20)
        paced.note_interactive_send()
        assert paced.slots_given_away == 1
    finally:
        await storage.close()


async def test_a_crash_mid_morning_loses_only_the_send_in_flight(
    storage: Storage, clock: MovableClock
) -> None:
    """Claims are committed at each send's paced turn: users still queued behind the pacer
    are not marked sent, so after a restart they get their check-in."""
    for uid in range(1, 11):
        await add_user(storage, uid)
    freeze(clock, SLOT)
    third = asyncio.Event()
    sent: list[int] = []

    async def dies_on_the_third(user: User, night: date) -> SendOutcome:
        if len(sent) == 2:
            third.set()
            await asyncio.Event().wait()  # the process dies here
        sent.append(user.user_id)
        return SendOutcome(SendResult.SENT)

    tick = asyncio.create_task(
        ReminderDispatcher(storage, clock, dies_on_the_third, rate_per_second=5).tick()
    )
    await third.wait()
    tick.cancel()
    with pytest.raises(asyncio.CancelledError):
        await tick
    claimed = [uid for uid in range(1, 11) if (await storage.get_user(uid)).last_checkin_night]  # type: ignore[union-attr]
    assert len(claimed) == 3  # two sent, one on its way when it died
    send = FakeSend(clock)
    assert (await dispatcher(storage, clock, send).tick()).sent == 7
