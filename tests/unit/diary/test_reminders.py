"""bot/reminder_settings.py directly: r1: data, the opt-in steps and typed time/zone input."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, time
from pathlib import Path

import pytest

from bot.clock import MovableClock
from bot.content.model import Content
from bot.diary.reminders import (
    AWAIT_TIME,
    Outcome,
    ReminderPress,
    ReminderSettings,
    parse_reminder_data,
)
from bot.storage import Storage
from bot.ui import Screen

USER = 601
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)  # Wednesday, 13:00 in Berlin


@pytest.fixture
async def storage(tmp_path: Path) -> AsyncIterator[Storage]:
    opened = await Storage.open(tmp_path / "cramp.db")
    await opened.upsert_user(USER, USER, NOW)
    await opened.set_consent(USER, NOW)
    yield opened
    await opened.close()


@pytest.fixture
def settings(content: Content, storage: Storage) -> ReminderSettings:
    return ReminderSettings(content, storage, MovableClock(NOW, frozen=True))


def button_data(screen: Screen | None, text: str) -> str:
    """The callback data of the button with this label, as the person would press it."""
    assert screen is not None
    for row in screen.buttons:
        for button in row:
            if button.text == text:
                return button.data
    raise AssertionError(f"no {text!r} button in {screen.buttons}")


@pytest.mark.parametrize(
    ("data", "parsed"),
    [
        ("r1:offer", ReminderPress("offer")),
        ("r1:t:0730", ReminderPress("t", time(7, 30))),
        ("r1:z:0730:Europe/Berlin", ReminderPress("z", time(7, 30), "Europe/Berlin")),
        ("r1:rg:0600:europe", ReminderPress("rg", time(6, 0), "europe")),
        ("r1:t:2460", None),
        ("r1:z:0730:Mars/Olympus", None),
        ("r1:z:0730:Europe/Berlin:x", None),
        ("r1:delete", None),
        ("r2:offer", None),
        ("r1:zs:0730:Europe/Berlin", None),
    ],
)
def test_parse_reminder_data(data: str, parsed: ReminderPress | None) -> None:
    assert parse_reminder_data(data) == parsed


async def test_forged_data_is_out_of_date_and_shows_the_setting(
    settings: ReminderSettings, storage: Storage, content: Content
) -> None:
    outcome = await settings.press(USER, "r1:z:0730:Mars/Olympus")
    assert outcome.notice == content.raw_text("stale.button")
    assert outcome.new_message
    assert outcome.screen is not None
    assert content.text("reminders.status.off") in outcome.screen.text
    user = await storage.get_user(USER)
    assert user is not None and not user.reminders_on and user.reminder_time is None


async def test_no_consent_no_settings(settings: ReminderSettings, content: Content) -> None:
    stranger = await settings.press(USER + 1, "r1:offer")
    assert stranger == Outcome(notice=content.raw_text("start.consent_first"), consent_first=True)
    assert await settings.command(USER + 2, 77) == Outcome(consent_first=True)
    assert await settings.typed(USER + 1, "7:30") is None


async def test_opt_in_with_buttons(
    settings: ReminderSettings, storage: Storage, content: Content
) -> None:
    picker = await settings.press(USER, "r1:offer")
    assert picker.new_message and picker.notice is None
    assert picker.screen is not None and picker.screen.text == content.text("reminders.ask_time")
    zones = await settings.press(USER, button_data(picker.screen, "07:30"))
    assert not zones.new_message
    assert zones.screen is not None
    assert zones.screen.text == content.text("reminders.ask_zone", time="07:30")
    user = await storage.get_user(USER)
    assert user is not None and user.awaiting == "zone:0730"

    done = await settings.press(USER, "r1:z:0730:Europe/Berlin")
    assert done.screen is not None and done.screen.buttons == ()
    assert "Europe/Berlin" in done.screen.text and "07:30" in done.screen.text
    user = await storage.get_user(USER)
    assert user is not None
    assert user.reminders_on
    assert (user.reminder_time, user.timezone) == ("07:30", "Europe/Berlin")
    assert user.next_reminder_at == datetime(2026, 11, 26, 6, 30, tzinfo=UTC)
    assert user.awaiting is None


async def test_opt_in_by_typing(
    settings: ReminderSettings, storage: Storage, content: Content
) -> None:
    assert await settings.typed(USER, "7:30") is None  # nothing is awaited yet
    await settings.press(USER, "r1:tt")
    user = await storage.get_user(USER)
    assert user is not None and user.awaiting == AWAIT_TIME.encode()

    bad = await settings.typed(USER, "  soon  ")
    assert bad == Outcome(
        Screen(content.text("reminders.bad_time", text="soon")), new_message=True, plain=True
    )
    zones = await settings.typed(USER, " 6:45 ")
    assert zones is not None and zones.screen is not None
    assert zones.screen.text == content.text("reminders.ask_zone", time="06:45")

    unknown = await settings.typed(USER, "Atlantis")
    assert unknown is not None and unknown.screen is not None and not unknown.plain
    assert content.text("reminders.zone.unknown", text="Atlantis") in unknown.screen.text

    # A summer-time-blind abbreviation is not taken; the person is told why and offered places.
    est = await settings.typed(USER, "EST")
    assert est is not None and est.screen is not None
    assert content.text("reminders.zone.why.abbreviation", text="EST") in est.screen.text
    assert "New York (America/New_York)" in [b.text for b in est.screen.all_buttons()]

    done = await settings.typed(USER, "Berlin")
    assert done is not None and done.screen is not None and done.new_message
    assert content.text("reminders.not_morning") not in done.screen.text  # 06:45 is a morning
    user = await storage.get_user(USER)
    assert user is not None
    assert (user.reminder_time, user.timezone, user.awaiting) == ("06:45", "Europe/Berlin", None)


async def test_an_unknown_awaiting_value_is_forgotten(
    settings: ReminderSettings, storage: Storage
) -> None:
    await storage.set_awaiting(USER, "colour")  # written by some other version of the bot
    assert await settings.typed(USER, "blue") is None
    user = await storage.get_user(USER)
    assert user is not None and user.awaiting is None


async def test_command_drops_a_pending_typed_step(
    settings: ReminderSettings, storage: Storage, content: Content
) -> None:
    await settings.press(USER, "r1:time")
    outcome = await settings.command(USER, USER)
    assert outcome.new_message and outcome.screen is not None
    assert outcome.screen.text.startswith(f"<b>{content.text('reminders.title')}</b>")
    assert button_data(outcome.screen, content.raw_text("reminders.on_button")) == "r1:on"
    user = await storage.get_user(USER)
    assert user is not None and user.awaiting is None


async def test_off_keeps_the_setting_and_resume_needs_it_on(
    settings: ReminderSettings, storage: Storage, content: Content
) -> None:
    await settings.press(USER, "r1:z:0800:Asia/Kolkata")
    off = await settings.press(USER, "r1:off")
    assert off.screen == Screen(content.text("reminders.off_done"))
    await settings.resume(USER)  # off stays off after an unblock
    user = await storage.get_user(USER)
    assert user is not None and not user.reminders_on
    assert (user.reminder_time, user.timezone) == ("08:00", "Asia/Kolkata")


async def test_a_time_outside_the_morning_is_accepted_with_a_note(
    settings: ReminderSettings, content: Content
) -> None:
    await settings.press(USER, "r1:tt")
    await settings.typed(USER, "0:30")
    done = await settings.typed(USER, "Berlin")
    assert done is not None and done.screen is not None
    assert "every morning at 00:30" in done.screen.text
    assert content.text("reminders.not_morning") in done.screen.text


async def _paused_for_a_week(settings: ReminderSettings, storage: Storage) -> datetime:
    await settings.press(USER, "r1:z:0800:Europe/Berlin")
    done = await settings.press(USER, "r1:p7")
    assert done.screen is not None and "Paused for 7 days" in done.screen.text
    user = await storage.get_user(USER)
    assert user is not None and user.paused_until is not None
    return user.paused_until


@pytest.mark.parametrize(
    "change",
    [
        ["r1:t:0700"],  # a new time, the zone kept
        ["r1:z:0800:Europe/London"],  # a new zone
    ],
)
async def test_changing_time_or_zone_keeps_a_pause_and_says_so(
    settings: ReminderSettings, storage: Storage, change: list[str]
) -> None:
    until = await _paused_for_a_week(settings, storage)
    for data in change:
        outcome = await settings.press(USER, data)
    assert outcome.screen is not None
    assert "pause goes on" in outcome.screen.text
    assert "Thu 3 Dec" in outcome.screen.text  # the first morning after the pause
    user = await storage.get_user(USER)
    assert user is not None
    assert user.paused_until == until
    assert user.next_reminder_at is not None and user.next_reminder_at > until
    status = await settings.command(USER, USER)
    assert status.screen is not None and "Paused" in status.screen.text


async def test_typed_zone_keeps_a_pause(settings: ReminderSettings, storage: Storage) -> None:
    until = await _paused_for_a_week(settings, storage)
    await settings.press(USER, "r1:zt:0800")
    outcome = await settings.typed(USER, "Lisbon")
    assert outcome is not None and outcome.screen is not None
    assert "pause goes on" in outcome.screen.text
    user = await storage.get_user(USER)
    assert user is not None and user.paused_until == until


async def test_resume_now_ends_the_pause(settings: ReminderSettings, storage: Storage) -> None:
    await _paused_for_a_week(settings, storage)
    outcome = await settings.press(USER, "r1:on")
    assert outcome.screen is not None and "pause goes on" not in outcome.screen.text
    user = await storage.get_user(USER)
    assert user is not None and user.paused_until is None
