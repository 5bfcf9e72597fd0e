"""bot/checkin_flow.py directly: presses checked against stored nights, warnings once a week."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from bot.clock import MovableClock
from bot.content.model import Content
from bot.diary.checkin import checkin_data
from bot.diary.flow import CheckinFlow, Outcome
from bot.storage import Storage
from bot.ui import Screen

USER = 501
MORNING = datetime(2026, 11, 25, 7, 0, tzinfo=UTC)  # the person has no zone: UTC
NIGHT = date(2026, 11, 25)
# One cramp longer than ten minutes: a "see a doctor" sign, shown at most once a week.
LONG_CRAMP_NIGHT = (
    ("cramps", "1"),
    ("longest", "gt10"),
    ("woke", "n"),
    ("calf", "n"),  # asked after a cramp over 10 minutes
    ("twitch", "none"),
)


@pytest.fixture
async def storage(tmp_path: Path) -> AsyncIterator[Storage]:
    opened = await Storage.open(tmp_path / "cramp.db")
    await opened.upsert_user(USER, USER, MORNING)
    await opened.set_consent(USER, MORNING)
    yield opened
    await opened.close()


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(MORNING, frozen=True)


@pytest.fixture
def flow(content: Content, storage: Storage, clock: MovableClock) -> CheckinFlow:
    return CheckinFlow(content, storage, clock)


def button_data(screen: Screen | None, item: str, value: str) -> str:
    """The callback data of the button the person sees, never data made up by the test."""
    assert screen is not None
    for row in screen.buttons:
        for button in row:
            if button.data.endswith(f":{item}:{value}"):
                return button.data
    raise AssertionError(f"no {item}:{value} button in {screen.buttons}")


async def send(flow: CheckinFlow, night: date, message_id: int) -> Screen:
    delivery = await flow.to_send(USER, night)
    assert delivery.screen is not None
    await flow.record_sent(USER, night, message_id)
    return delivery.screen


async def answer_night(flow: CheckinFlow, night: date, message_id: int) -> Outcome:
    screen: Screen | None = await send(flow, night, message_id)
    for item, value in LONG_CRAMP_NIGHT:
        outcome = await flow.press(USER, button_data(screen, item, value), message_id)
        assert outcome.notice is None
        screen = outcome.screen
    done = await flow.press(USER, button_data(screen, "factors", "done"), message_id)
    if done.screen is not None and done.screen.buttons:
        # The third cramp night in a week also asks, once a week, about new weakness.
        done = await flow.press(USER, button_data(done.screen, "weak", "n"), message_id)
    return done


@pytest.mark.parametrize(
    "data",
    [
        "d1:20261125:cramps:9",  # a value no button carries
        "d1:20261125:secret:1",  # an item that does not exist
        "d1:20260230:cramps:1",  # a date that does not exist
        "d1:20261125:cramps:1:x",
        "q1:1:cramps:1",
        "d1:" + "9" * 70,
    ],
)
async def test_forged_data_is_out_of_date_and_changes_nothing(
    flow: CheckinFlow, storage: Storage, content: Content, data: str
) -> None:
    await send(flow, NIGHT, 10)
    outcome = await flow.press(USER, data, 10)
    assert outcome == Outcome(notice=content.raw_text("checkin.stale"))
    entry = await storage.get_diary_entry(USER, NIGHT)
    assert entry is not None and entry.answers == {}


async def test_a_night_never_sent_or_a_stranger_is_out_of_date(
    flow: CheckinFlow, storage: Storage, content: Content
) -> None:
    stale = Outcome(notice=content.raw_text("checkin.stale"))
    data = checkin_data(NIGHT, "cramps", "0")
    assert await flow.press(USER, data, 10) == stale  # no check-in was sent for that night
    await send(flow, NIGHT, 10)
    assert await flow.press(USER + 1, data, 10) == stale  # someone who never used the bot
    assert await flow.press(USER, data, None) == stale  # a message Telegram no longer shows
    assert await storage.list_diary(USER + 1) == []


async def test_a_press_two_days_later_is_too_old(
    flow: CheckinFlow, clock: MovableClock, storage: Storage, content: Content
) -> None:
    screen = await send(flow, NIGHT, 10)
    clock.advance(timedelta(days=3))
    outcome = await flow.press(USER, button_data(screen, "cramps", "0"), 10)
    assert outcome == Outcome(notice=content.raw_text("checkin.too_old"))
    entry = await storage.get_diary_entry(USER, NIGHT)
    assert entry is not None and entry.answers == {}


async def test_a_repeated_press_counts_once(
    flow: CheckinFlow, storage: Storage, content: Content
) -> None:
    screen = await send(flow, NIGHT, 10)
    data = button_data(screen, "cramps", "1")
    first = await flow.press(USER, data, 10)
    again = await flow.press(USER, data, 10)
    assert first.notice is None
    assert again.notice == content.raw_text("checkin.stale")
    assert again.screen == first.screen  # the same question, shown again
    entry = await storage.get_diary_entry(USER, NIGHT)
    assert entry is not None and entry.answers == {"cramps": 1}


async def test_a_complete_check_in_records_a_warning_once_a_week(
    flow: CheckinFlow, storage: Storage, clock: MovableClock, content: Content
) -> None:
    warning = content.text("diary.warn.long_cramp")
    calm = content.text("checkin.calm.cramps")

    done = await answer_night(flow, NIGHT, 10)
    assert done.screen is not None and warning in done.screen.text
    assert done.screen.buttons == ()
    entry = await storage.get_diary_entry(USER, NIGHT)
    assert entry is not None and entry.complete
    assert await storage.last_nudge_at(USER, "long_cramp") == MORNING

    # The next morning the same sign is not repeated, and no second nudge is recorded; but
    # the calm "nothing needs a doctor" would be untrue: the earlier advice stands.
    clock.advance(timedelta(days=1))
    done = await answer_night(flow, NIGHT + timedelta(days=1), 11)
    assert done.screen is not None
    assert warning not in done.screen.text and calm not in done.screen.text
    assert content.text("checkin.calm.held", date="25 Nov") in done.screen.text
    assert (await storage.count_user_rows(USER))["nudges"] == 1

    # A week after it was shown, it is shown (and recorded) again.
    clock.advance(timedelta(days=6))
    done = await answer_night(flow, NIGHT + timedelta(days=7), 12)
    assert done.screen is not None and warning in done.screen.text
    assert (await storage.count_user_rows(USER))["nudges"] == 2


async def test_an_answered_night_is_not_sent_again(flow: CheckinFlow) -> None:
    await answer_night(flow, NIGHT, 10)
    delivery = await flow.to_send(USER, NIGHT)
    assert delivery.screen is None and delivery.message_id == 10


async def test_the_same_night_in_a_second_message(
    flow: CheckinFlow, storage: Storage, content: Content
) -> None:
    first = await send(flow, NIGHT, 9)
    await send(flow, NIGHT, 10)  # sent again (a snooze): the night now lives in message 10
    answered = await flow.press(USER, button_data(first, "cramps", "1"), 10)
    assert answered.notice is None
    # The older message, pressed on a step that is not being asked: its buttons go, and the
    # answers stay.
    moved = await flow.press(USER, checkin_data(NIGHT, "woke", "n"), 9)
    assert moved == Outcome(
        notice=content.raw_text("checkin.stale"), screen=Screen(content.text("checkin.moved"))
    )
    entry = await storage.get_diary_entry(USER, NIGHT)
    # Answering after a skip un-skips the night.
    assert entry is not None and entry.answers == {"cramps": 1}
    assert entry.checkin_message_id == 10


async def test_skip_and_snooze_only_on_the_first_step(
    flow: CheckinFlow, storage: Storage, content: Content
) -> None:
    screen = await send(flow, NIGHT, 10)
    skip = button_data(screen, "skip", "1")
    skipped = await flow.press(USER, skip, 10)
    assert skipped == Outcome(screen=Screen(content.text("checkin.skipped")))

    step_two = await flow.press(USER, button_data(screen, "cramps", "1"), 10)
    late_skip = await flow.press(USER, skip, 10)
    assert late_skip == Outcome(notice=content.raw_text("checkin.stale"), screen=step_two.screen)
    entry = await storage.get_diary_entry(USER, NIGHT)
    # Answering after a skip un-skips the night.
    assert entry is not None and entry.answers == {"cramps": 1, "skipped": None}


async def test_a_second_done_shows_the_same_warning_not_the_calm_line(
    flow: CheckinFlow, content: Content, storage: Storage
) -> None:
    screen: Screen | None = await send(flow, NIGHT, 10)
    for item, value in LONG_CRAMP_NIGHT:
        screen = (await flow.press(USER, button_data(screen, item, value), 10)).screen
    done_data = button_data(screen, "factors", "done")
    first = await flow.press(USER, done_data, 10)
    again = await flow.press(USER, done_data, 10)  # a double tap, or Telegram redelivering
    warning = content.text("diary.warn.long_cramp")
    assert first.screen is not None and warning in first.screen.text
    assert again.screen == first.screen
    assert content.text("checkin.calm.cramps") not in again.screen.text
    assert (await storage.count_user_rows(USER))["nudges"] == 1


async def test_buttons_work_when_the_sent_message_was_never_recorded(
    flow: CheckinFlow, storage: Storage
) -> None:
    """A crash right after the send: the claim made the night's row, the message id is lost."""
    await storage.set_reminder(USER, reminder_time="07:00", timezone="UTC", next_at=MORNING)
    assert await storage.claim_reminder(
        USER,
        expected_next_at=MORNING,
        new_next_at=MORNING + timedelta(days=1),
        new_slot_at=MORNING + timedelta(days=1),
        night=NIGHT,
        now=MORNING,
    )
    delivery = await flow.to_send(USER, NIGHT)
    outcome = await flow.press(USER, button_data(delivery.screen, "cramps", "1"), 77)
    assert outcome.notice is None
    entry = await storage.get_diary_entry(USER, NIGHT)
    assert entry is not None and entry.answers["cramps"] == 1
    assert entry.checkin_message_id == 77
