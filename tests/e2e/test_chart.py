"""The /history chart end to end: the photo after the strip, its buttons, stale and forged
presses, through the fake Bot API over real HTTP and a real SQLite file."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any, TypeVar

import pytest
from telegram import Update

import handlers.chart as chart_handlers
from bot.diary.chart import ChartState
from bot.diary.renderer import ChartRenderer
from bot.fakeapi.records import SentMessage
from bot.wiring.updates import PerUserUpdateProcessor
from handlers.chart import RENDERER_KEY
from handlers.checkin import JOB_NAME
from tests.harness import START, TelegramUser, World

T = TypeVar("T")
LAST_NIGHT = date(2026, 11, 24)
# A chart or a PDF takes a second or so, and the first also imports the drawing libraries:
# on a machine busy with other work that can pass the harness's usual 10 s.
SLOW = 60.0  # START is 25 Nov, 12:00 UTC, and the person has no zone


@pytest.fixture(autouse=True)
def _no_errors_and_no_job(world: World) -> Any:
    for job in world.app.job_queue.get_jobs_by_name(JOB_NAME):
        job.enabled = False
    yield
    assert world.errors == []


def night(cramps: int, **more: Any) -> dict[str, Any]:
    answers: dict[str, Any] = {"cramps": cramps, "twitch": "none", "factors_done": True}
    answers["factors"] = more.pop("factors", [])
    if cramps:
        answers.update({"longest": "lt1", "woke": False})
    answers.update(more)
    return answers


async def person_with(world: World, nights: dict[int, dict[str, Any]]) -> TelegramUser:
    """A consented person whose diary holds `nights` (days before last night -> answers)."""
    person = world.person(timeout=SLOW)
    await world.storage.upsert_user(1001, 1001, START)
    await world.storage.set_consent(1001, START)
    for back, answers in nights.items():
        day = LAST_NIGHT - timedelta(days=back)
        await world.storage.upsert_diary(1001, day, answers, START, complete=True)
    return person


NINE_NIGHTS = {
    0: night(2, woke=True),
    1: night(0),
    2: night(1, factors=["caffeine"]),
    3: night(4, longest="gt10", woke=True),
    5: night(0, factors=["caffeine"]),
    8: {"skipped": True},
    9: night(1),
    12: night(0),
    20: night(1, woke=True),
    40: night(4),  # outside the 30 nights, inside the 90
}


def photo_message(person: TelegramUser) -> SentMessage:
    message = person.last_message()
    assert message.photo is not None, message.text
    return message


async def test_history_sends_the_strip_then_a_photo_whose_caption_counts_the_nights(
    world: World,
) -> None:
    person = await person_with(world, NINE_NIGHTS)
    await person.send("/history")
    strip, chart = person.messages()[-2:]
    assert "Nights with cramps: 5" in strip.text and chart.photo is not None
    assert chart.photo.width == 1080 and chart.photo.data.startswith(b"\xff\xd8")
    assert chart.text.startswith("5 of the last 30 nights had cramps; 3 woke you.")
    assert "answered the check-in on 8 of them" in chart.text
    assert "On 1, a cramp lasted over 10 minutes." in chart.text
    assert chart.button_labels[0] == "Show 90 nights"
    assert "Caffeine after noon" in chart.button_labels


async def test_people_asking_in_the_same_instant_each_get_their_own_strip_and_chart(
    world: World,
) -> None:
    # They take turns: each still gets the strip first, then a photo counting their nights.
    people = range(2001, 2006)
    for n, user_id in enumerate(people):
        await world.storage.upsert_user(user_id, user_id, START)
        await world.storage.set_consent(user_id, START)
        world.emulator.user(user_id, "Kim")
        for back in range(3 + n):
            answers = night(1 if back < n else 0)
            day = LAST_NIGHT - timedelta(days=back)
            await world.storage.upsert_diary(user_id, day, answers, START, complete=True)
    for user_id in people:
        world.emulator.user_sends_text(user_id, user_id, "/history")
    await world.emulator.wait_until(
        lambda: all(world.emulator.photos(user_id) for user_id in people),
        within=SLOW,
        what="every chart",
    )
    for n, user_id in enumerate(people):
        strip, chart = world.emulator.messages(user_id)[-2:]
        assert f"Nights recorded: {3 + n} of 30" in strip.text
        assert chart.photo is not None
        assert chart.text.startswith(f"{n} of the last 30 nights had cramps")


async def test_the_90_nights_button_redraws_the_same_message(world: World) -> None:
    person = await person_with(world, NINE_NIGHTS)
    await person.send("/history")
    chart = photo_message(person)
    first = chart.photo
    assert first is not None
    answer = await person.press("Show 90 nights")
    assert answer == ""
    after = world.emulator.message(1001, chart.message_id)
    assert after is not None and after.photo is not None
    assert after.photo.data != first.data
    assert after.text.startswith("6 of the last 90 nights had cramps")
    assert after.button_labels[0] == "Show 30 nights"
    assert len(person.messages()) == 2  # edited in place, nothing new
    # The press is answered first, so the button stops spinning while the chart is drawn.
    kinds = [e.kind for e in world.emulator.history(1001) if e.kind in ("answered", "edited")]
    assert kinds == ["answered", "edited"]


async def test_a_factor_button_shades_its_days_and_pressing_it_again_clears(world: World) -> None:
    person = await person_with(world, NINE_NIGHTS)
    await person.send("/history")
    chart = photo_message(person)
    plain = chart.photo
    await person.press("Caffeine after noon")
    shaded = world.emulator.message(1001, chart.message_id)
    assert shaded is not None and shaded.photo is not None and plain is not None
    assert "Shaded: days with “Caffeine after noon” (2)." in shaded.text
    assert "✓ Caffeine after noon" in shaded.button_labels
    assert shaded.photo.data != plain.data
    await person.press("✓ Caffeine after noon")
    cleared = world.emulator.message(1001, chart.message_id)
    assert cleared is not None and "Shaded" not in cleared.text
    assert "Caffeine after noon" in cleared.button_labels


async def test_a_double_tap_draws_once(world: World) -> None:
    person = await person_with(world, NINE_NIGHTS)
    await person.send("/history")
    chart = photo_message(person)
    data = person.callback_data("Show 90 nights")
    await person.press_data(data, message_id=chart.message_id)
    edits = world.emulator.stats.calls["editMessageMedia"]
    await person.press_data(data, message_id=chart.message_id)  # the same button again
    assert world.emulator.stats.calls["editMessageMedia"] == edits == 1


@pytest.mark.parametrize(
    "data",
    ["h1:45:-", "h1:30:sugar", "h1:30", "h1:30:-:x", "h1:030:-", "h1:90:CAFFEINE", "h1:30:é"],
)
async def test_forged_chart_data_gets_a_clear_answer_and_changes_nothing(
    world: World, data: str
) -> None:
    person = await person_with(world, NINE_NIGHTS)
    await person.send("/history")
    chart = photo_message(person)
    before = chart.photo
    answer = await person.press_data(data, message_id=chart.message_id)
    assert "out of date" in answer
    after = world.emulator.message(1001, chart.message_id)
    assert after is not None and after.photo is before


async def test_a_press_after_delete_says_out_of_date_and_removes_the_buttons(
    world: World,
) -> None:
    person = await person_with(world, NINE_NIGHTS)
    await person.send("/history")
    chart = photo_message(person)
    data = person.callback_data("Show 90 nights")
    await world.storage.delete_user(1001)
    answer = await person.press_data(data, message_id=chart.message_id)
    assert "out of date" in answer and "/history" in answer
    after = world.emulator.message(1001, chart.message_id)
    assert after is not None and after.keyboard == []


async def test_a_chart_press_on_a_text_message_sends_a_new_photo(world: World) -> None:
    person = await person_with(world, NINE_NIGHTS)
    await person.send("/history")
    strip = person.messages()[-2]
    await person.press_data(ChartState(90).data(), message_id=strip.message_id)
    newest = photo_message(person)
    assert newest.message_id != strip.message_id
    assert newest.text.startswith("6 of the last 90 nights")


async def test_fewer_than_three_nights_no_chart_but_a_line_saying_when(world: World) -> None:
    person = await person_with(world, {0: night(1), 4: {"skipped": True}})
    await person.send("/history")
    assert world.emulator.photos(1001) == []
    text = person.last_text()
    assert "The chart comes once 3 nights are recorded: 2 more to go." in text
    assert "/reminders" in text


async def test_with_check_ins_on_the_line_names_the_day(world: World) -> None:
    person = await person_with(world, {0: night(1), 1: night(0)})
    await world.storage.set_reminder(
        1001,
        reminder_time="07:30",
        timezone="Europe/Berlin",
        next_at=START + timedelta(hours=18, minutes=30),  # 26 Nov 07:30 in Berlin
    )
    await person.send("/history")
    assert world.emulator.photos(1001) == []
    assert "1 more to go. With the morning check-in, that can be on 26 Nov." in (
        " ".join(person.last_text().split())
    )


async def test_a_person_unknown_to_the_bot_gets_the_line_and_no_chart(world: World) -> None:
    person = world.person(timeout=SLOW)
    await person.send("/history")
    assert world.emulator.photos(1001) == []
    assert "3 more to go" in person.last_text()


async def test_export_adds_a_one_page_pdf_with_the_counts_of_the_chart(world: World) -> None:
    import io

    from pypdf import PdfReader

    person = await person_with(world, NINE_NIGHTS)
    await person.send("/history")
    caption = photo_message(person).text
    await person.send("/export")
    documents = {d.file_name: d for d in world.emulator.documents(1001)}
    assert set(documents) == {"cramp-diary.csv", "cramp-bot-data.json", "cramp-report.pdf"}
    report = documents["cramp-report.pdf"]
    assert report.caption is not None and "doctor" in report.caption
    reader = PdfReader(io.BytesIO(report.data))
    assert len(reader.pages) == 1
    text = " ".join((reader.pages[0].extract_text() or "").split())
    # 41 nights from the first entry to last night; the chart's 30 said 5 of 8, the 90 say 6.
    assert "(41 nights)" in text
    assert "Nights with cramps: 6" in text and "Nights woken by a cramp: 3" in text
    assert "Nights with a check-in answer: 9 of 41" in text
    assert caption.startswith("5 of the last 30 nights had cramps; 3 woke you.")


async def test_export_with_only_a_questionnaire_still_makes_the_report(world: World) -> None:
    import io

    from pypdf import PdfReader

    from bot.questionnaire import logic

    person = await person_with(world, {})
    content = world.deps.content
    answers = {
        "em_now": ("none",), "em_soon": ("none",), "where": ("calves",), "often": ("rare",),
        "length": ("mins",), "impact": ("sometimes",), "age": ("a40",), "health": ("none",),
        "meds": ("regular",), "which": ("diuretic",), "kidney": ("none",), "nerve": ("none",),
        "drink": ("normal",), "caffeine": ("high",), "lately": ("none",),
    }  # fmt: skip
    started = await world.storage.start_assessment(1001, content.version, "em_now", START)
    for question, value in answers.items():
        await world.storage.save_answer(started.id, question, value, START, current_question=None)
    result = logic.evaluate(content, answers)
    await world.storage.finish_assessment(
        started.id, level=result.level.id, result=result.to_json(), now=START
    )
    await person.send("/export")
    documents = world.emulator.documents(1001)
    assert [d.file_name for d in documents] == ["cramp-bot-data.json", "cramp-report.pdf"]
    reader = PdfReader(io.BytesIO(documents[-1].data))
    text = " ".join((reader.pages[0].extract_text() or "").split())
    assert "Answered on 25 Nov 2026." in text and "Medicine" in text
    assert result.causes and all(m.cause.name in text for m in result.causes)
    assert "No night recorded" in text


class HeldRenderer(ChartRenderer):
    """Draws for real, but only once the test lets it."""

    def __init__(self) -> None:
        super().__init__()
        self.entered, self.go = asyncio.Event(), asyncio.Event()

    async def run(self, work: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        self.entered.set()
        await self.go.wait()
        return await super().run(work, *args, **kwargs)


async def test_people_waiting_for_their_chart_do_not_make_the_bot_count_as_busy(
    world: World,
) -> None:
    # The long poll pauses while the bot is busy (bot/wiring/app.py); a person waiting for a
    # picture drawn elsewhere must not make everybody else's presses wait for that pause.
    held = HeldRenderer()
    world.app.bot_data[RENDERER_KEY] = held
    person = await person_with(world, NINE_NIGHTS)
    world.emulator.user_sends_text(1001, 1001, "/history")
    await asyncio.wait_for(held.entered.wait(), SLOW)
    processor = world.app.update_processor
    try:
        assert isinstance(processor, PerUserUpdateProcessor)
        assert processor.current_concurrent_updates == 1
        assert processor.working_updates == 0
    finally:
        held.go.set()  # a failure must not leave the handler waiting for ever
    await world.emulator.wait_until(
        lambda: bool(world.emulator.photos(1001)), within=SLOW, what="the chart"
    )
    assert photo_message(person).text.startswith("5 of the last 30 nights had cramps")


async def test_a_history_strip_waits_for_a_press_in_hand(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Other people's presses go first: a /history turn starts in a moment when no other
    # update is being worked on (under steady load it goes after QUIET_WAIT anyway).
    monkeypatch.setattr(chart_handlers, "QUIET_WAIT", SLOW)
    await person_with(world, NINE_NIGHTS)
    processor = world.app.update_processor
    assert isinstance(processor, PerUserUpdateProcessor)
    release = asyncio.Event()
    update = Update.de_json(
        {"update_id": 900_001, "message": {
            "message_id": 1, "date": 0, "text": "a press",
            "chat": {"id": 2002, "type": "private"},
            "from": {"id": 2002, "is_bot": False, "first_name": "Sam"},
        }},
        None,
    )  # fmt: skip
    in_hand = asyncio.create_task(processor.process_update(update, release.wait()))
    try:
        before = len(world.emulator.messages(1001))
        world.emulator.user_sends_text(1001, 1001, "/history")
        await asyncio.sleep(0.5)
        assert len(world.emulator.messages(1001)) == before  # no strip yet
    finally:
        release.set()  # a failure must not leave the handler waiting for ever
        await in_hand
    await world.emulator.wait_until(
        lambda: bool(world.emulator.photos(1001)), within=SLOW, what="the chart"
    )
    assert "nights" in world.emulator.messages(1001)[before].text
