"""The diary end to end: answering the morning check-in with buttons, warning signs, /history,
/insights and /export, through the fake Bot API over real HTTP and a real SQLite file."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from bot.diary.dispatcher import ReminderDispatcher
from handlers.checkin import JOB_NAME
from tests.harness import START, TelegramUser, World

BERLIN_MORNING = datetime(2026, 11, 26, 6, 30, tzinfo=UTC)  # Thu 26 Nov, 07:30 in Berlin
NIGHT = date(2026, 11, 25)
STALE = "out of date"


@pytest.fixture(autouse=True)
def _no_errors_and_no_job(world: World) -> Any:
    for job in world.app.job_queue.get_jobs_by_name(JOB_NAME):
        job.enabled = False  # it runs on the real clock; these tests tick by hand
    yield
    assert world.errors == []


def dispatcher(world: World) -> ReminderDispatcher:
    assert world.deps.dispatcher is not None
    return world.deps.dispatcher


async def with_reminders(world: World, user_id: int = 1001) -> TelegramUser:
    """A person who agreed to the welcome message and chose 07:30, Europe/Berlin."""
    person = await world.consented(user_id)
    # /history and /export draw (a chart, a PDF): seconds on a busy machine, not a hang.
    person.timeout = 30
    await world.storage.set_reminder(
        user_id, reminder_time="07:30", timezone="Europe/Berlin", next_at=BERLIN_MORNING
    )
    return person


async def morning_checkin(
    world: World, person: TelegramUser, at: datetime = BERLIN_MORNING
) -> int:
    world.clock.set(at, frozen=True)
    report = await dispatcher(world).tick()
    assert report.sent == 1
    return person.last_message().message_id


async def seed(world: World, user_id: int, nights: dict[date, dict[str, Any]]) -> None:
    for night, answers in nights.items():
        await world.storage.upsert_diary(user_id, night, answers, START, complete=True)


def shown(world: World, message_id: int, chat_id: int = 1001) -> str:
    message = world.emulator.message(chat_id, message_id)
    assert message is not None
    return message.text


async def answers_of(world: World, user_id: int, night: date) -> dict[str, Any]:
    entry = await world.storage.get_diary_entry(user_id, night)
    assert entry is not None
    return entry.answers


def night_answers(cramps: int, **more: Any) -> dict[str, Any]:
    answers: dict[str, Any] = {"cramps": cramps, "twitch": "none", "factors_done": True}
    answers["factors"] = more.pop("factors", [])
    if cramps:
        answers.update({"longest": "lt1", "woke": False})
    answers.update(more)
    return answers


# --- answering -----------------------------------------------------------------------------------


async def test_a_full_checkin_with_buttons_makes_one_diary_row(world: World) -> None:
    alex = await with_reminders(world)
    message = await morning_checkin(world, alex)
    await alex.press("2–3")
    assert "How long did the longest one last" in alex.last_text()
    # Each answer is stored the moment it is given.
    entry = await world.storage.get_diary_entry(1001, NIGHT)
    assert entry is not None and entry.answers == {"cramps": 2} and not entry.complete
    await alex.press("1–5 min")
    await alex.press("Yes")  # woke
    await alex.press("In one place")  # twitching
    await alex.press("Caffeine after noon")
    assert "☑ Caffeine after noon" in alex.buttons()
    await alex.press("Stress")
    await alex.press("Done")
    text = alex.last_text()
    assert "Thank you, that is saved for the night of 25 Nov." in text
    assert "Cramps: 2–3" in text and "Longest: 1–5 min" in text
    assert "Yesterday: Caffeine after noon, Stress" in text
    assert alex.buttons() == []
    # One message for the whole check-in, edited in place.
    assert [m.message_id for m in alex.messages()] == [message]

    rows = await world.storage.list_diary(1001)
    assert len(rows) == 1
    assert rows[0].night == NIGHT and rows[0].complete
    assert rows[0].answers == {
        "cramps": 2,
        "longest": "1_5",
        "woke": True,
        "twitch": "one",
        "factors": ["caffeine", "stress"],
        "factors_done": True,
    }
    # A press delivered again after the end changes nothing.
    assert STALE in await alex.press_data("d1:20261125:cramps:0", message_id=message)
    assert (await answers_of(world, 1001, NIGHT))["cramps"] == 2


async def test_back_in_the_checkin_asks_the_step_before_again(world: World) -> None:
    alex = await with_reminders(world)
    message = await morning_checkin(world, alex)
    assert "« Back" not in alex.buttons()  # nothing before the first question
    await alex.press("2–3")
    assert alex.buttons()[-1] == "« Back"
    back = alex.callback_data("« Back")
    await alex.press("« Back")
    assert "Did you have any cramps last night?" in alex.last_text()
    assert (await answers_of(world, 1001, NIGHT)) == {"cramps": None}
    await alex.press("1")
    await alex.press("1–5 min")
    await alex.press("No")  # woke
    await alex.press("« Back")  # from twitching back to "did they wake you"
    assert "wake" in alex.last_text().lower()
    await alex.press("Yes")
    assert "twitch" in alex.last_text().lower()
    # An old Back (from the step before) is out of date and changes nothing.
    assert STALE in await alex.press_data(back, message_id=message)
    assert (await answers_of(world, 1001, NIGHT))["woke"] is True
    await alex.press("In one place")
    await alex.press("Stress")
    await alex.press("« Back")  # from the factors, ticks kept
    await alex.press("In one place")
    assert "☑ Stress" in alex.buttons()
    await alex.press("Done")
    assert "Thank you" in alex.last_text()
    assert (await answers_of(world, 1001, NIGHT))["factors"] == ["stress"]
    assert [m.message_id for m in alex.messages()] == [message]
    assert world.errors == []


async def test_answering_the_same_night_again_replaces(world: World) -> None:
    alex = await with_reminders(world)
    # The first send reaches the chat but the bot never hears back (so it is not sent
    # again); the person opens the night once more with /checkin.
    world.emulator.inject_network_error("sendMessage", when="after")
    world.clock.set(BERLIN_MORNING, frozen=True)
    assert (await dispatcher(world).tick()).uncertain == 1
    first = alex.last_message().message_id
    await alex.send("/checkin")
    second = alex.last_message().message_id
    assert first != second

    for label in ("1", "Under 1 min", "No", "None", "Alcohol", "Done"):
        await alex.press(label, message_id=first)
    assert "saved for the night of 25 Nov" in shown(world, first)
    assert (await answers_of(world, 1001, NIGHT))["cramps"] == 1

    for label in ("None", "None", "None of these"):
        await alex.press(label, message_id=second)
    assert "A quiet night" in shown(world, second)
    rows = await world.storage.list_diary(1001)
    assert len(rows) == 1
    answers = rows[0].answers
    assert answers["cramps"] == 0 and answers["twitch"] == "none"
    assert answers["factors"] == ["none"] and rows[0].complete
    assert answers.get("longest") is None and answers.get("woke") is None
    # The first message's buttons are gone once pressed again.
    assert STALE in await alex.press_data("d1:20261125:twitch:one", message_id=first)
    assert "answered in another message" in shown(world, first)
    message = world.emulator.message(1001, first)
    assert message is not None and message.button_labels == []


async def test_four_cramps_ask_about_dark_urine_and_yes_is_an_emergency(world: World) -> None:
    alex = await with_reminders(world)
    await morning_checkin(world, alex)
    for label in ("4 or more", "Under 1 min", "No", "None", "None of these"):
        await alex.press(label)
    assert "dark brown or cola-coloured" in alex.last_text()
    await alex.press("Yes")
    text = alex.last_text()
    assert text.startswith("Please get help now")
    for number in ("112", "999", "911"):
        assert number in text
    entry = await world.storage.get_diary_entry(1001, NIGHT)
    assert entry is not None and entry.answers["urine"] is True and entry.complete


async def test_a_cramp_right_now_is_urgent(world: World) -> None:
    alex = await with_reminders(world)
    await morning_checkin(world, alex)
    await alex.press("1")
    await alex.press("Still going after 10 min")
    text = alex.last_text()
    assert "Please see a doctor today" in text
    assert "stretch the muscle gently" in text
    assert "Did a cramp wake you up?" in text  # the check-in carries on afterwards
    entry = await world.storage.get_diary_entry(1001, NIGHT)
    assert entry is not None and entry.answers["now"] is True


async def test_a_long_cramp_asks_about_one_calf_and_yes_is_urgent(world: World) -> None:
    alex = await with_reminders(world)
    await morning_checkin(world, alex)
    for label in ("1", "Over 10 min", "No"):
        await alex.press(label)
    assert "is one calf swollen, red or warm" in alex.last_text()
    for label in ("Yes", "None", "None of these"):
        await alex.press(label)
    text = alex.last_text()
    assert "Please see a doctor today" in text
    assert "blood clot" in text and "112 / 999 / 911" in text
    entry = await world.storage.get_diary_entry(1001, NIGHT)
    assert entry is not None and entry.answers["calf"] is True and entry.complete


async def test_weakness_is_asked_after_three_flagged_nights_and_yes_suggests_a_doctor(
    world: World,
) -> None:
    alex = await with_reminders(world)
    await seed(world, 1001, {NIGHT - timedelta(days=d): night_answers(1) for d in (1, 2)})
    await morning_checkin(world, alex)
    for label in ("1", "Under 1 min", "No", "None", "None of these"):
        await alex.press(label)
    assert "new weakness or numbness" in alex.last_text()
    await alex.press("Yes")
    text = alex.last_text()
    assert "Book a doctor's appointment" in text
    assert "You mentioned new weakness or numbness" in text


async def test_the_same_nudge_is_not_repeated_within_a_week(world: World) -> None:
    alex = await with_reminders(world)
    await morning_checkin(world, alex)
    for label in ("1", "Over 10 min", "No", "No", "None", "None of these"):
        await alex.press(label)
    assert "lasted more than 10 minutes" in alex.last_text()
    await morning_checkin(world, alex, BERLIN_MORNING + timedelta(days=1))
    for label in ("1", "Over 10 min", "No", "No", "None", "None of these"):
        await alex.press(label)
    assert "saved for the night of 26 Nov" in alex.last_text()
    assert "lasted more than 10 minutes" not in alex.last_text()
    assert await world.storage.count_user_rows(1001) == {
        "users": 1,
        "assessments": 0,
        "answers": 0,
        "diary": 2,
        "nudges": 1,
    }


async def test_a_late_answer_counts_for_its_night_and_a_very_late_one_is_refused(
    world: World,
) -> None:
    alex = await with_reminders(world)
    message = await morning_checkin(world, alex)
    # Friday evening: the Wednesday-night check-in is still answered for Wednesday night.
    world.clock.set(datetime(2026, 11, 27, 19, 0, tzinfo=UTC), frozen=True)
    await alex.press("None", message_id=message)
    entry = await world.storage.get_diary_entry(1001, NIGHT)
    assert entry is not None and entry.answers == {"cramps": 0}
    world.clock.set(datetime(2026, 11, 28, 9, 0, tzinfo=UTC), frozen=True)
    answer = await alex.press("None", message_id=message)
    assert "too old" in answer
    assert (await answers_of(world, 1001, NIGHT)) == {"cramps": 0}


async def test_forged_and_foreign_checkin_presses_store_nothing(world: World) -> None:
    alex = await with_reminders(world)
    message = await morning_checkin(world, alex)
    forged = (
        "d1:20261120:cramps:1",  # a night without a check-in
        "d1:20261125:cramps:3",  # not an offered value
        "d1:20261325:cramps:1",  # not a date
        "d1:20261125:sql;drop:1",
        "d1:" + "9" * 70,
    )
    for data in forged:
        assert STALE in await alex.press_data(data, message_id=message)
    assert await world.storage.get_diary_entry(1001, date(2026, 11, 20)) is None
    assert (await answers_of(world, 1001, NIGHT)) == {}
    # Somebody else pressing data for Alex's night touches only their own (missing) diary.
    sam = world.person(2002)
    await sam.send("/help")
    assert STALE in await sam.press_data(
        "d1:20261125:cramps:4", message_id=sam.last_message().message_id
    )
    assert (await answers_of(world, 1001, NIGHT)) == {}
    assert await world.storage.list_diary(2002) == []


# --- /history, /insights, /export ---------------------------------------------------------------

BEFORE = {date(2026, 11, 11) + timedelta(days=i) for i in range(7)}  # 11-17 Nov
RECENT = {date(2026, 11, 18) + timedelta(days=i) for i in range(7)}  # 18-24 Nov


async def seed_fortnight(world: World, user_id: int) -> None:
    nights: dict[date, dict[str, Any]] = {}
    for night in sorted(BEFORE):
        nights[night] = night_answers(2, longest="1_5", woke=True, factors=["caffeine"])
    for night in sorted(RECENT):
        nights[night] = night_answers(0)
    nights[date(2026, 11, 20)] = night_answers(1, factors=["caffeine"])
    await seed(world, user_id, nights)


async def test_history_shows_the_strip_counts_and_trend(world: World) -> None:
    alex = await with_reminders(world)
    await alex.send("/history")
    assert "No nights recorded yet" in alex.last_text()
    await seed_fortnight(world, 1001)
    await alex.send("/history")
    strip, chart = alex.messages()[-2:]
    assert chart.photo is not None and chart.text.startswith("8 of the last 30 nights")
    text = strip.text
    assert text.startswith("Your last 30 nights")
    strip = [line for line in text.splitlines() if "Nov" in line and "–" in line]
    # Only weeks with entries (and the newest), seven columns each.
    assert strip == ["● ● ● ● ● ● ●  11 Nov – 17 Nov", "○ ○ ● ○ ○ ○ ○  18 Nov – 24 Nov"]
    assert "Nights recorded: 14 of 30" in text
    assert "Nights with cramps: 8" in text
    assert "Longest cramp: 1–5 min" in text
    assert "Nights woken by a cramp: 7" in text
    assert "Trend: better. Cramps on 1 of your last 7 recorded nights, against 7 of the 7" in text


async def test_insights_are_cautious_counts(world: World) -> None:
    alex = await with_reminders(world)
    await alex.send("/insights")
    assert "No finished check-ins yet" in alex.last_text()
    await seed_fortnight(world, 1001)
    await alex.send("/insights")
    text = alex.last_text()
    assert "Cramps on 8 of 8 nights after caffeine in the afternoon, 0 of 6 without." in text
    (waiting,) = [line for line in text.splitlines() if "Not enough nights yet" in line]
    assert waiting.startswith("Not enough nights yet for: Alcohol, Hard exercise or sweating,")
    assert "counts, not causes" in text and "can easily be chance" in text


async def test_export_sends_the_diary_as_csv_and_everything_as_json(world: World) -> None:
    alex = await with_reminders(world)
    await seed_fortnight(world, 1001)
    await world.storage.upsert_diary(1001, date(2026, 11, 10), {"skipped": True}, START)
    await world.storage.record_nudge(1001, "long_cramp", START)
    started = await world.storage.start_assessment(1001, "v-test", "q_age", START)
    await world.storage.save_answer(started.id, "q_age", ("a40_60",), START, current_question=None)
    await world.storage.finish_assessment(
        started.id, level="see_doctor", result={"level": "see_doctor"}, now=START
    )
    await morning_checkin(world, alex)  # sent, never answered
    await alex.send("/export")

    documents = world.emulator.documents(1001)
    assert [d.file_name for d in documents] == [
        "cramp-diary.csv",
        "cramp-bot-data.json",
        "cramp-report.pdf",
    ]
    assert "spreadsheet" in (documents[0].caption or "")
    assert "every diary night" in (documents[1].caption or "")

    rows = list(csv.DictReader(io.StringIO(documents[0].data.decode("utf-8"))))
    # Every sent night: the skipped 10th and the unanswered 25th too, marked.
    assert len(rows) == 16
    assert [(r["night"], r["check-in"]) for r in rows][:2] == [
        ("2026-11-10", "skipped"),
        ("2026-11-11", "answered"),
    ]
    assert (rows[-1]["night"], rows[-1]["check-in"]) == ("2026-11-25", "unanswered")
    # Times on the person's clock (Berlin), with the offset.
    assert rows[-1]["sent at (your time)"] == "2026-11-26T07:30:00+01:00"
    first = rows[1]
    assert (first["cramps"], first["longest cramp"], first["woke up"]) == ("2-3", "1-5 min", "yes")
    assert (first["caffeine after noon"], first["alcohol"], first["twitching"]) == (
        "yes",
        "no",
        "none",
    )
    quiet = next(r for r in rows if r["night"] == "2026-11-24")
    assert (quiet["cramps"], quiet["longest cramp"], quiet["woke up"]) == ("0", "", "")
    assert "recorded_at" not in first

    data = json.loads(documents[1].data.decode("utf-8"))
    assert set(data) == {
        "user", "reminders", "assessments", "answers", "diary", "nudges", "about",
    }  # fmt: skip
    assert data["user"]["user_id"] == 1001 and "awaiting" not in data["user"]
    assert data["reminders"]["time_zone"] == "Europe/Berlin"
    assert (data["reminders"]["on"], data["reminders"]["time"]) == (True, "07:30")
    assert data["reminders"]["last_check_in_night"] == "2026-11-25"
    assert data["assessments"][0]["level"] == "see_doctor"
    assert data["answers"][0]["question_id"] == "q_age"
    assert data["answers"][0]["value"] == ["a40_60"]
    assert data["nudges"] == [{"reason": "long_cramp", "sent_at": START.isoformat()}]
    statuses = {n["night"]: n["status"] for n in data["diary"]}
    assert len(statuses) == 16
    assert statuses["2026-11-10"] == "skipped"
    assert statuses["2026-11-25"] == "unanswered"
    assert list(statuses.values()).count("answered") == 14
    unanswered = data["diary"][-1]
    assert unanswered["answers"] == {}
    assert unanswered["sent_at"] == BERLIN_MORNING.isoformat()
    assert unanswered["checkin_message_id"] is not None


async def test_export_tells_when_each_check_in_was_sent_and_answered(world: World) -> None:
    alex = await with_reminders(world)
    await morning_checkin(world, alex)
    world.clock.set(BERLIN_MORNING + timedelta(hours=2), frozen=True)
    for label in ("None", "None", "None of these"):
        await alex.press(label)
    assert "saved for the night of 25 Nov" in alex.last_text()
    await morning_checkin(world, alex, BERLIN_MORNING + timedelta(days=1))
    await alex.press("Skip today")
    await alex.send("/export")

    csv_file, json_file, _report = world.emulator.documents(1001)
    rows = list(csv.DictReader(io.StringIO(csv_file.data.decode("utf-8"))))
    assert [
        (
            r["night"],
            r["check-in"],
            r["cramps"],
            r["sent at (your time)"],
            r["answered at (your time)"],
        )
        for r in rows
    ] == [
        ("2026-11-25", "answered", "0", "2026-11-26T07:30:00+01:00", "2026-11-26T09:30:00+01:00"),
        ("2026-11-26", "skipped", "", "2026-11-27T07:30:00+01:00", ""),
    ]
    data = json.loads(json_file.data.decode("utf-8"))
    assert [(n["night"], n["status"]) for n in data["diary"]] == [
        ("2026-11-25", "answered"),
        ("2026-11-26", "skipped"),
    ]


async def test_export_without_answered_nights_sends_the_data_file_and_says_why(
    world: World,
) -> None:
    alex = await with_reminders(world)
    await morning_checkin(world, alex)
    await alex.send("/export")
    documents = world.emulator.documents(1001)
    assert [d.file_name for d in documents] == ["cramp-bot-data.json"]
    data = json.loads(documents[0].data.decode("utf-8"))
    assert [(n["night"], n["status"]) for n in data["diary"]] == [("2026-11-25", "unanswered")]
    assert data["reminders"]["time"] == "07:30"
    assert alex.last_text() == (
        "No night has an answer yet, so there is no diary file. "
        "The check-ins sent so far are listed in the data file."
    )


async def test_export_with_settings_only_still_sends_them(world: World) -> None:
    alex = await with_reminders(world)
    await alex.send("/export")
    documents = world.emulator.documents(1001)
    assert [d.file_name for d in documents] == ["cramp-bot-data.json"]
    data = json.loads(documents[0].data.decode("utf-8"))
    assert data["reminders"]["time_zone"] == "Europe/Berlin"
    assert data["diary"] == [] and data["nudges"] == []
    assert "There are no diary nights yet" in alex.last_text()


async def test_export_with_nothing_stored_says_so(world: World) -> None:
    newcomer = world.person(3003)
    await newcomer.send("/export")
    assert newcomer.last_text() == "There is nothing stored about you yet."
    assert world.emulator.documents(3003) == []
