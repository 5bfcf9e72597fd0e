"""Morning check-ins end to end: opt-in, /reminders, the dispatcher sending through the fake Bot
API over real HTTP, blocked users, 429s, network errors, snooze.

The repeating job is switched off in these tests (it runs on the real clock); each test ticks
the dispatcher itself after moving the frozen clock.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from bot.diary.dispatcher import ReminderDispatcher
from bot.diary.timezones import friendly_zone
from bot.storage import User
from bot.wiring.app import build_application, running
from bot.wiring.deps import Deps
from handlers.checkin import JOB_NAME, TICK_SECONDS, WATCH_KEY, revive_stalled_tick
from handlers.reminders import parse_reminder_data
from tests.harness import START, TelegramUser, World

# START is Wednesday 25 November 2026, 12:00 UTC; Berlin is UTC+1 then.
BERLIN_MORNING = datetime(2026, 11, 26, 6, 30, tzinfo=UTC)  # Thu 07:30 in Berlin
NIGHT = date(2026, 11, 25)
STALE = "This button is out of date"


def quiet_job(world: World) -> None:
    for job in world.app.job_queue.get_jobs_by_name(JOB_NAME):
        job.enabled = False


def dispatcher(world: World) -> ReminderDispatcher:
    assert world.deps.dispatcher is not None
    return world.deps.dispatcher


async def user_row(world: World, user_id: int = 1001) -> User:
    user = await world.storage.get_user(user_id)
    assert user is not None
    return user


async def opt_in_berlin(world: World, person: TelegramUser) -> None:
    await person.send("/reminders")
    await person.press("Turn on")
    await person.press("07:30")
    await person.press("Europe")
    await person.press("Berlin")


def checkins(person: TelegramUser) -> list[Any]:
    return [m for m in person.messages() if "Did you have any cramps last night?" in m.text]


@pytest.fixture(autouse=True)
def _no_errors_and_no_job(world: World) -> Any:
    quiet_job(world)
    yield
    assert world.errors == []


# --- the job -----------------------------------------------------------------------------------


async def test_one_repeating_job_ticks_the_dispatcher(world: World) -> None:
    # One reminder job for everybody (no job per person), next to the upkeep job.
    assert sorted(job.name for job in world.app.job_queue.jobs()) == [JOB_NAME, "upkeep"]
    jobs = world.app.job_queue.get_jobs_by_name(JOB_NAME)
    assert jobs[0].job.trigger.interval == timedelta(seconds=60)
    alex = await world.consented()
    await opt_in_berlin(world, alex)
    world.clock.set(BERLIN_MORNING, frozen=True)
    await jobs[0].run(world.app)
    assert len(checkins(alex)) == 1


# --- opting in ---------------------------------------------------------------------------------


async def test_opt_in_with_buttons_confirms_in_local_time(world: World) -> None:
    alex = await world.consented()
    await alex.send("/reminders")
    assert "Off" in alex.last_text()
    assert alex.buttons() == ["Turn on"]
    await alex.press("Turn on")
    assert alex.buttons()[:9] == [
        "06:00", "06:30", "07:00", "07:30", "08:00", "08:30", "09:00", "09:30", "10:00",
    ]  # fmt: skip
    assert "Type a time" in alex.buttons()
    await alex.press("07:30")
    assert "Which time zone" in alex.last_text()
    assert {"Europe", "Americas", "Asia and Pacific", "Africa"} <= set(alex.buttons())
    await alex.press("Europe")
    assert "Berlin" in alex.buttons() and "London" in alex.buttons()
    await alex.press("Berlin")
    text = alex.last_text()
    assert "every morning at 07:30, time zone Berlin (Europe/Berlin)" in text
    assert "The first one comes tomorrow, Thu 26 Nov, at 07:30." in text
    # The whole opt-in happened in one message, edited in place.
    assert len(alex.messages()) == 1

    user = await user_row(world)
    assert user.reminders_on and user.reminder_time == "07:30"
    assert user.timezone == "Europe/Berlin"
    assert user.next_reminder_at == BERLIN_MORNING
    assert user.awaiting is None

    await alex.send("/reminders")
    status = alex.last_text()
    assert "On: every morning at 07:30, time zone Berlin (Europe/Berlin, UTC+01:00)." in status
    assert "The next one comes tomorrow, Thu 26 Nov, at 07:30." in status
    assert alex.buttons() == [
        "Change time", "Change time zone", "Pause 3 days", "Pause 7 days", "Turn off",
    ]  # fmt: skip


async def test_opt_in_by_typing_with_an_unknown_zone_in_between(world: World) -> None:
    alex = await world.consented()
    await alex.send("/reminders")
    await alex.press("Turn on")
    await alex.press("Type a time")
    assert "Type the time" in alex.last_text()
    await alex.send("25:99")
    assert "couldn't read “25:99” as a time" in alex.last_text()
    await alex.send_sticker()
    assert "waiting for the time of your morning check-in" in alex.last_text()
    await alex.send("7:30")
    assert "Check-in at 07:30. Which time zone" in alex.last_text()
    await alex.send("7:30 am")  # the time again, at the zone step
    assert "The check-in time is set to 07:30. Now I need your time zone" in alex.last_text()
    await alex.send_sticker()
    assert "waiting for your time zone" in alex.last_text()
    await alex.send("Atlantis")
    reply = alex.last_text()
    assert "I don't know the time zone “Atlantis”" in reply
    assert "Did you mean one of these?" in reply
    # Real places only (no old names like Canada/Atlantic): "Atlanta" is the closest.
    assert "New York (America/New_York)" in alex.buttons()
    assert "Europe" in alex.buttons()  # the regions are there too
    assert (await user_row(world)).reminders_on is False
    await alex.send("Berlin")
    assert "every morning at 07:30, time zone Berlin (Europe/Berlin)" in alex.last_text()
    assert (await user_row(world)).next_reminder_at == BERLIN_MORNING
    # Nothing is awaited any more: free text goes back to the usual hint.
    await alex.send("Kolkata")
    assert (await user_row(world)).timezone == "Europe/Berlin"


@pytest.mark.parametrize(
    ("typed", "zone", "next_utc", "when"),
    [
        # 12:00 UTC is 07:00 in New York: 07:30 is still to come today.
        ("New York", "America/New_York", datetime(2026, 11, 25, 12, 30, tzinfo=UTC), "today"),
        ("kolkata", "Asia/Kolkata", datetime(2026, 11, 26, 2, 0, tzinfo=UTC), "tomorrow"),
        ("Europe/Berlin", "Europe/Berlin", BERLIN_MORNING, "tomorrow"),
    ],
)
async def test_typed_zones(
    world: World, typed: str, zone: str, next_utc: datetime, when: str
) -> None:
    alex = await world.consented()
    await alex.send("/reminders")
    await alex.press("Turn on")
    await alex.send("07:30")
    await alex.send(typed)
    assert f"time zone {friendly_zone(zone)}. The first one comes {when}" in alex.last_text()
    user = await user_row(world)
    assert (user.timezone, user.next_reminder_at) == (zone, next_utc)


async def test_a_typed_time_and_zone_are_understood_after_a_restart(world: World) -> None:
    alex = await world.consented()
    await alex.send("/reminders")
    await alex.press("Turn on")
    assert (await user_row(world)).awaiting == "time"
    # The bot stops; a new Application (same factory, same database) takes over.
    await world.app.updater.stop()
    await world.app.stop()
    deps = Deps(
        settings=world.deps.settings,
        content=world.deps.content,
        storage=world.storage,
        clock=world.clock,
    )
    app = build_application(deps)
    errors: list[BaseException] = []

    async def collect(update: object, context: Any) -> None:
        errors.append(context.error)

    app.add_error_handler(collect)
    async with running(app):
        assert app.job_queue is not None
        for job in app.job_queue.get_jobs_by_name(JOB_NAME):
            job.enabled = False
        again = TelegramUser(
            world.emulator,
            1001,
            idle_check=lambda: bool(
                app.update_queue.empty() and app.update_processor.current_concurrent_updates == 0
            ),
        )
        await again.send("7:30")
        assert "Check-in at 07:30. Which time zone" in again.last_text()
        await again.send("Berlin")
        assert "every morning at 07:30, time zone Berlin (Europe/Berlin)" in again.last_text()
    assert errors == []
    assert (await user_row(world)).next_reminder_at == BERLIN_MORNING


async def test_the_offer_under_a_result_starts_the_opt_in(world: World) -> None:
    alex = await world.consented()
    await alex.send("/help")
    answer = await alex.press_data("r1:offer", message_id=alex.last_message().message_id)
    assert answer == ""
    assert "What time would you like" in alex.last_text()
    assert len(alex.messages()) == 2  # a message of its own, the one pressed stays


async def test_forged_reminder_buttons_are_out_of_date(world: World) -> None:
    alex = await world.consented()
    await alex.send("/reminders")
    message = alex.last_message().message_id
    for data in ("r1:z:0730:Mars/Base", "r1:t:2561", "r1:rg:0730:moon", "r1:nope", "r1:z:0730"):
        assert parse_reminder_data(data) is None
        assert STALE in await alex.press_data(data, message_id=message)
    assert (await user_row(world)).reminders_on is False
    assert parse_reminder_data("r1:z:0730:America/Argentina/Buenos_Aires") is not None


async def test_change_time_keeps_the_zone(world: World) -> None:
    alex = await world.consented()
    await opt_in_berlin(world, alex)
    await alex.send("/reminders")
    await alex.press("Change time")
    await alex.press("09:00")
    assert "every morning at 09:00, time zone Berlin (Europe/Berlin)" in alex.last_text()
    user = await user_row(world)
    assert user.next_reminder_at == datetime(2026, 11, 26, 8, 0, tzinfo=UTC)


async def test_pause_three_days_then_turn_off(world: World) -> None:
    alex = await world.consented()
    await opt_in_berlin(world, alex)
    await alex.send("/reminders")
    await alex.press("Pause 3 days")
    assert "Paused for 3 days. The next check-in comes on Sun 29 Nov at 07:30." in (
        alex.last_text()
    )
    user = await user_row(world)
    assert user.paused_until == START + timedelta(days=3)
    assert user.next_reminder_at == datetime(2026, 11, 29, 6, 30, tzinfo=UTC)

    # Thursday morning: paused, nothing is sent.
    world.clock.set(BERLIN_MORNING, frozen=True)
    await dispatcher(world).tick()
    assert checkins(alex) == []

    await alex.send("/reminders")
    assert "Paused. The next one comes on Sun 29 Nov at 07:30." in alex.last_text()
    assert "Resume now" in alex.buttons()
    await alex.press("Turn off")
    assert "Morning check-ins are off" in alex.last_text()
    user = await user_row(world)
    assert not user.reminders_on and user.next_reminder_at is None
    world.clock.set(datetime(2026, 11, 29, 6, 30, tzinfo=UTC), frozen=True)
    report = await dispatcher(world).tick()
    assert report.sent == 0 and checkins(alex) == []

    await alex.send("/reminders")
    assert "Your last setting was 07:30, time zone Berlin (Europe/Berlin)" in alex.last_text()
    await alex.press("Turn on")
    assert "every morning at 07:30" in alex.last_text()
    assert (await user_row(world)).next_reminder_at == datetime(2026, 11, 30, 6, 30, tzinfo=UTC)


# --- the morning send ----------------------------------------------------------------------------


async def test_one_checkin_on_the_morning_and_never_twice(world: World) -> None:
    alex = await world.consented()
    await opt_in_berlin(world, alex)
    world.clock.set(BERLIN_MORNING - timedelta(minutes=1), frozen=True)
    assert (await dispatcher(world).tick()).sent == 0
    world.clock.set(BERLIN_MORNING, frozen=True)
    assert (await dispatcher(world).tick()).sent == 1
    assert (await dispatcher(world).tick()).sent == 0
    world.clock.advance(timedelta(minutes=5))
    assert (await dispatcher(world).tick()).sent == 0
    sent = checkins(alex)
    assert len(sent) == 1
    assert "the night of 25 Nov" in sent[0].text
    assert sent[0].button_labels[:4] == ["None", "1", "2–3", "4 or more"]
    assert "Snooze 1 hour" in sent[0].button_labels and "Skip today" in sent[0].button_labels
    entry = await world.storage.get_diary_entry(1001, NIGHT)
    assert entry is not None and entry.checkin_message_id == sent[0].message_id
    user = await user_row(world)
    assert user.next_reminder_at == BERLIN_MORNING + timedelta(days=1)
    assert user.last_checkin_night == NIGHT


async def test_a_blocked_person_is_marked_and_gets_nothing_more(world: World) -> None:
    alex = await world.consented()
    await opt_in_berlin(world, alex)
    world.emulator.inject(
        "sendMessage", status=403, description="Forbidden: bot was blocked by the user"
    )
    world.clock.set(BERLIN_MORNING, frozen=True)
    report = await dispatcher(world).tick()
    assert report.blocked == 1 and report.sent == 0
    user = await user_row(world)
    assert user.blocked_at is not None and user.next_reminder_at is None
    world.clock.advance(timedelta(days=1))
    assert (await dispatcher(world).tick()).sent == 0
    assert checkins(alex) == []


async def test_block_and_unblock_updates_stop_and_resume_reminders(world: World) -> None:
    alex = await world.consented()
    await opt_in_berlin(world, alex)
    await alex.settle(world.emulator.block(1001))
    assert (await user_row(world)).blocked_at is not None
    world.clock.set(BERLIN_MORNING, frozen=True)
    assert (await dispatcher(world).tick()).sent == 0
    # Back on Thursday at 11:00 Berlin time, past the 3-hour window: Friday morning.
    world.clock.set(BERLIN_MORNING + timedelta(hours=3, minutes=30), frozen=True)
    await alex.settle(world.emulator.unblock(1001))
    user = await user_row(world)
    assert user.blocked_at is None and user.reminders_on
    assert user.next_reminder_at == BERLIN_MORNING + timedelta(days=1)
    assert (await dispatcher(world).tick()).sent == 0
    world.clock.set(BERLIN_MORNING + timedelta(days=1), frozen=True)
    assert (await dispatcher(world).tick()).sent == 1
    assert len(checkins(alex)) == 1


async def test_unblocking_within_the_morning_window_still_brings_that_morning(
    world: World,
) -> None:
    alex = await world.consented()
    await opt_in_berlin(world, alex)
    await alex.settle(world.emulator.block(1001))
    world.clock.set(BERLIN_MORNING, frozen=True)
    assert (await dispatcher(world).tick()).sent == 0
    world.clock.advance(timedelta(minutes=10))  # 07:40: back, the morning is not over
    await alex.settle(world.emulator.unblock(1001))
    assert (await dispatcher(world).tick()).sent == 1
    (checkin,) = checkins(alex)
    assert "the night of 25 Nov" in checkin.text
    assert (await user_row(world)).next_reminder_at == BERLIN_MORNING + timedelta(days=1)
    await alex.settle(world.emulator.block(1001))
    await alex.settle(world.emulator.unblock(1001))  # again the same morning: no second one
    assert (await dispatcher(world).tick()).sent == 0


@pytest.mark.parametrize(
    "timedelta_mode",
    [
        # PTB_TIMEDELTA=1: RetryAfter.retry_after is a timedelta.
        pytest.param(True, id="timedelta"),
        # The default in PTB 22: an int, with a deprecation warning when PTB reads it.
        pytest.param(
            False,
            id="int",
            marks=pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning"),
        ),
    ],
)
async def test_a_429_is_waited_out_and_the_checkin_sent_once(
    world: World, monkeypatch: pytest.MonkeyPatch, timedelta_mode: bool
) -> None:
    if timedelta_mode:
        monkeypatch.setenv("PTB_TIMEDELTA", "1")
    else:
        monkeypatch.delenv("PTB_TIMEDELTA", raising=False)
    alex = await world.consented()
    await opt_in_berlin(world, alex)
    world.emulator.inject(
        "sendMessage", status=429, description="Too Many Requests: retry after 1", retry_after=1
    )
    world.clock.set(BERLIN_MORNING, frozen=True)
    report = await dispatcher(world).tick()
    assert (report.flood_waits, report.sent) == (1, 1)
    assert len(checkins(alex)) == 1
    assert world.emulator.stats.rate_limited == 1


async def test_a_telegram_server_error_is_retried_on_a_later_tick(world: World) -> None:
    alex = await world.consented()
    await opt_in_berlin(world, alex)
    # An error answer comes from Telegram itself: the message was not sent.
    world.emulator.inject("sendMessage", status=502, description="Bad Gateway")
    world.clock.set(BERLIN_MORNING, frozen=True)
    report = await dispatcher(world).tick()
    assert (report.sent, report.retried) == (0, 1)
    assert checkins(alex) == []
    assert (await dispatcher(world).tick()).sent == 0  # not before the retry time
    world.clock.advance(timedelta(minutes=2))
    assert (await dispatcher(world).tick()).sent == 1
    assert len(checkins(alex)) == 1
    assert "the night of 25 Nov" in checkins(alex)[0].text


async def test_snooze_brings_the_checkin_back_an_hour_later(world: World) -> None:
    alex = await world.consented()
    await opt_in_berlin(world, alex)
    world.clock.set(BERLIN_MORNING, frozen=True)
    await dispatcher(world).tick()
    first = checkins(alex)[0].message_id
    await alex.press("Snooze 1 hour")
    assert "ask again in an hour, at about 08:30" in alex.last_text()
    assert alex.emulator.message(1001, first) is not None
    assert checkins(alex) == []  # the first message no longer asks
    world.clock.advance(timedelta(minutes=59))
    assert (await dispatcher(world).tick()).sent == 0
    world.clock.advance(timedelta(minutes=1))
    assert (await dispatcher(world).tick()).sent == 1
    again = checkins(alex)
    assert len(again) == 1 and again[0].message_id != first
    assert "the night of 25 Nov" in again[0].text
    # ... and the morning after, the usual time again.
    assert (await user_row(world)).next_reminder_at == BERLIN_MORNING + timedelta(days=1)


async def test_a_snooze_pressed_hours_after_the_checkin_still_arrives(world: World) -> None:
    alex = await world.consented()
    await opt_in_berlin(world, alex)
    world.clock.set(BERLIN_MORNING, frozen=True)
    await dispatcher(world).tick()
    world.clock.advance(timedelta(hours=2, minutes=30))  # 10:00 in Berlin
    await alex.press("Snooze 1 hour")
    assert "at about 11:00" in alex.last_text()
    world.clock.advance(timedelta(hours=1))
    assert (await dispatcher(world).tick()).sent == 1
    (again,) = checkins(alex)
    assert "the night of 25 Nov" in again.text
    assert (await user_row(world)).next_reminder_at == BERLIN_MORNING + timedelta(days=1)


async def test_skip_today_says_so_kindly(world: World) -> None:
    alex = await world.consented()
    await opt_in_berlin(world, alex)
    world.clock.set(BERLIN_MORNING, frozen=True)
    await dispatcher(world).tick()
    await alex.press("Skip today")
    assert "No problem, no entry for this night" in alex.last_text()
    assert checkins(alex) == []


async def test_a_snooze_past_midnight_still_asks_about_the_same_night(world: World) -> None:
    alex = await world.consented()
    late = datetime(2026, 11, 26, 22, 45, tzinfo=UTC)  # Thu 23:45 in Berlin
    await world.storage.set_reminder(
        1001, reminder_time="23:45", timezone="Europe/Berlin", next_at=late
    )
    world.clock.set(late, frozen=True)
    assert (await dispatcher(world).tick()).sent == 1
    assert "the night of 25 Nov" in checkins(alex)[0].text
    await alex.press("Snooze 1 hour")
    world.clock.advance(timedelta(hours=1))  # Fri 00:45 in Berlin
    assert (await dispatcher(world).tick()).sent == 1
    (again,) = checkins(alex)
    assert "the night of 25 Nov" in again.text
    # The next regular check-in is Friday evening's, for the night of the 26th.
    assert (await user_row(world)).next_reminder_at == late + timedelta(days=1)


async def test_a_clock_set_back_does_not_stall_the_reminder_job(world: World) -> None:
    queue = world.app.job_queue
    assert queue is not None
    (job,) = queue.get_jobs_by_name(JOB_NAME)
    assert world.app.bot_data[WATCH_KEY] is not None  # the watch runs with the bot
    now = datetime.now(UTC)
    # After the system clock is set back 5 hours, APScheduler's next run is 5 hours away.
    job.job.modify(next_run_time=now + timedelta(hours=5))
    assert revive_stalled_tick(queue, now)
    assert job.next_t is not None and job.next_t - now <= timedelta(seconds=TICK_SECONDS + 1)
    assert not revive_stalled_tick(queue, now)  # the usual next minute is left alone


async def test_reminders_before_consent_lands_in_reminders_after_it(world: World) -> None:
    alex = world.person()
    await alex.send("/reminders")
    assert "not a diagnosis" in alex.last_text()  # the welcome, first
    assert alex.callback_data("I understand") == "s1:agree:reminders"
    await alex.press("I understand")
    text = alex.last_text()
    assert "Question 1" not in text
    assert "check-in" in text.lower()
    assert not await world.storage.list_assessments(1001)
    # A forged destination is refused, and nothing is agreed to.
    sam = world.person(2002)
    await sam.send("/reminders")
    welcome = sam.keyboard_message().message_id
    toast = await sam.press_data("s1:agree:history", message_id=welcome)
    assert toast == "This button is out of date."
    # Nothing is stored before consent, so nothing was agreed to.
    assert await world.storage.get_user(2002) is None
    assert world.errors == []
