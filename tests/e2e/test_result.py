"""The result through the real Application and the fake Bot API: cause buttons that open in
place and come back, stale and forged presses, a mistaken safety tap taken back, and the full
text in /export."""

from __future__ import annotations

import json

from tests.e2e.test_questionnaire import CALM, answer, begin
from tests.harness import TelegramUser, World

# Calm, but a lot of caffeine and stress: two causes.
CAFFEINE_STRESS = [*CALM[:12], ["4 or more a day"], ["Stressed or anxious"], ["Done"]]


async def result_message_id(person: TelegramUser) -> int:
    return person.keyboard_message().message_id


async def test_a_cause_opens_in_place_and_back_brings_the_summary(world: World) -> None:
    alex = world.person()
    await begin(alex)
    await answer(alex, CAFFEINE_STRESS)
    summary = alex.last_text()
    assert summary.startswith("Your result: You can look after this at home\n")
    assert len(summary) <= 1200
    assert alex.buttons() == [
        "1. Caffeine and stimulants",
        "2. Stress and tension",
        "Start again",
        "Morning check-in",
    ]
    count = len(alex.messages())
    toast = await alex.press("1. Caffeine and stimulants")
    assert toast == ""
    detail = alex.last_text()
    assert detail.startswith("Your result: You can look after this at home\n")
    assert "Caffeine and stimulants" in detail and "Things to try:" in detail
    assert "Cut down slowly" in detail
    assert alex.buttons() == ["« Back to your result"]
    assert len(alex.messages()) == count  # edited in place, no new message
    await alex.press("« Back to your result")
    assert alex.last_text() == summary
    assert alex.buttons()[0] == "1. Caffeine and stimulants"
    assert len(alex.messages()) == count
    assert world.errors == []


async def test_forged_stale_and_foreign_cause_presses_get_a_clear_answer(world: World) -> None:
    alex = world.person()
    await begin(alex)
    await answer(alex, CAFFEINE_STRESS)
    shown = await result_message_id(alex)
    summary = alex.last_text()
    (done,) = await world.storage.list_assessments(1001)

    # A cause this result does not name: the summary again, with a short notice.
    toast = await alex.press_data(f"c1:{done.id}:kidney", message_id=shown)
    assert "out of date" in toast.lower() or "no longer" in toast.lower()
    assert alex.last_text() == summary
    # Data that is not ours at all, and an assessment that does not exist.
    for data in ("c1:abc:caffeine", f"c1:{done.id}:caffeine:9", "c1:99999:caffeine"):
        toast = await alex.press_data(data, message_id=shown)
        assert toast, data
        assert alex.last_text() == summary
    # Someone else's result.
    sam = world.person(2002)
    await begin(sam)
    toast = await sam.press_data(f"c1:{done.id}:caffeine", message_id=shown)
    assert (
        "not yours" in toast.lower()
        or "someone else" in toast.lower()
        or "your own" in toast.lower()
    )
    assert alex.last_text() == summary
    # The right data on a message that is not this result's.
    welcome = alex.messages()[0]
    toast = await alex.press_data(f"c1:{done.id}:caffeine", message_id=welcome.message_id)
    assert toast == "This button is out of date."
    assert alex.messages()[0].text == welcome.text
    assert world.errors == []


async def test_a_mistaken_safety_tap_can_be_taken_back(world: World) -> None:
    alex = world.person()
    await begin(alex)
    await answer(alex, [["None of these"], ["One calf swollen"]])
    stop = alex.last_message()
    assert stop.text.startswith("Please see a doctor today")
    assert alex.buttons() == ["I pressed this by mistake"]

    toast = await alex.press("I pressed this by mistake")
    assert "taken back" in toast.lower()
    # The advice stays readable, without its button; the question comes back below it.
    kept = world.emulator.message(1001, stop.message_id)
    assert kept is not None and kept.text == stop.text and not kept.keyboard
    assert alex.last_text().startswith("Question 2 of about")
    assert "One calf swollen, red or warm" in alex.buttons()
    # Answering it now goes on to the rest of the questionnaire.
    await answer(alex, CALM[1:])
    assert alex.last_text().startswith("Your result: ")
    first, second = await world.storage.list_assessments(1001)
    assert first.level == "urgent" and first.result is not None
    assert "withdrawn_at" in first.result
    assert second.status == "finished" and second.level == "self_care"
    assert (await world.storage.get_answers(second.id))["em_now"] == ("none",)

    # A second tap on the old stop (a double tap, or a replayed update) changes nothing.
    toast = await alex.press_data(f"q1:{first.id}:em_soon:~undo", message_id=stop.message_id)
    assert "no longer" in toast.lower()
    assert len(await world.storage.list_assessments(1001)) == 2

    # /export keeps the withdrawn stop, marked, and every result's full text.
    await alex.send("/export")
    (document,) = [
        d for d in world.emulator.documents(1001) if d.file_name == "cramp-bot-data.json"
    ]
    data = json.loads(document.data.decode("utf-8"))
    stored = data["assessments"]
    assert stored[0]["result"]["withdrawn_at"]
    assert "blood clot" in stored[0]["result"]["text"]
    assert stored[1]["result"]["text"].startswith("Your result: You can look after this at home")
    assert world.errors == []


async def test_an_undo_for_a_question_that_did_not_stop_is_refused(world: World) -> None:
    alex = world.person()
    await begin(alex)
    await answer(alex, [["Chest pain"]])
    stop = alex.last_message()
    (done,) = await world.storage.list_assessments(1001)
    toast = await alex.press_data(f"q1:{done.id}:em_soon:~undo", message_id=stop.message_id)
    assert "no longer" in toast.lower()
    assert len(await world.storage.list_assessments(1001)) == 1
    assert alex.buttons() == ["I pressed this by mistake"]
    assert world.errors == []


async def test_the_full_result_is_kept_for_export(world: World) -> None:
    alex = world.person()
    await begin(alex)
    await answer(alex, CAFFEINE_STRESS)
    (done,) = await world.storage.list_assessments(1001)
    assert done.result is not None
    text = done.result["text"]
    assert "Cut down slowly" in text  # a tip folded away on the first screen
    assert "Things to try:" in text
    assert "Cut down slowly" not in alex.last_text()
