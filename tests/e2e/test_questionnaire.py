"""The questionnaire end to end: the real Application, real HTTP on 127.0.0.1, real SQLite.

Every button pressed here is taken from the keyboard the bot actually sent.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.harness import TelegramUser, World, calm_presses, real_content

CALM = calm_presses(real_content())


async def begin(person: TelegramUser) -> None:
    await person.send("/start")
    await person.press("I understand")


async def answer(person: TelegramUser, steps: list[list[str]]) -> None:
    for step in steps:
        for label in step:
            await person.press(label)


def questionnaire_messages(person: TelegramUser) -> list[Any]:
    return [m for m in person.messages() if "Question" in m.text or "Your result" in m.text]


async def test_full_calm_questionnaire(world: World) -> None:
    alex = world.person()
    await alex.send("/start")
    welcome = alex.last_text()
    for must in ("not a diagnosis", "112", "999", "911", "/delete"):
        assert must in welcome
    assert alex.buttons() == ["I understand, let's start"]
    assert await world.storage.get_user(1001) is None  # nothing is stored before consent
    commands = {c["command"] for c in world.emulator.commands()}
    assert {"start", "check", "help", "privacy", "delete"} <= commands

    await alex.press("I understand")
    assert "Question 1 of about" in alex.last_text()
    await answer(alex, CALM)

    result = alex.last_text()
    assert "Your result" in result
    assert "Nothing you told me is a warning sign" in result
    assert "see a doctor" in result  # the safety net is always there
    assert "not a diagnosis" in result
    assert alex.buttons() == ["Start again", "Morning check-in"]
    # One questionnaire message, edited in place from the first question to the result.
    assert len(alex.messages()) == 2
    started = await world.storage.list_assessments(1001)
    assert [(a.status, a.level) for a in started] == [("finished", "self_care")]
    answers = await world.storage.get_answers(started[0].id)
    assert answers["where"] == ("calves",)
    assert answers["em_now"] == ("none",)
    assert len(answers) == len(CALM)
    # Every press was answered, so no button ever kept spinning.
    presses = [e for e in world.emulator.history(1001) if e.kind == "user_press"]
    assert len(world.emulator.callback_answers) == len(presses)
    assert world.errors == []


async def test_progress_says_about_and_counts_up(world: World) -> None:
    alex = world.person()
    await begin(alex)
    assert alex.last_text().startswith("Question 1 of about")
    await answer(alex, CALM[:2])
    assert alex.last_text().startswith("Question 3 of about")


@pytest.mark.parametrize(
    ("steps", "level_words", "level"),
    [
        ([["Chest pain"]], "112", "emergency"),
        ([["Sudden breathlessness"]], "112", "emergency"),
        ([["Weakness/tingling spreading"]], "112", "emergency"),
        ([["Trouble swallowing"]], "112", "emergency"),
        ([["Sudden weak/numb face or side"]], "112", "emergency"),
        ([["Cola-coloured"]], "112", "emergency"),
        ([["None of these"], ["One calf swollen"]], "today", "urgent"),
        ([["None of these"], ["Cramp over 10 min"]], "today", "urgent"),
        ([["None of these"], ["Tingling lips"]], "today", "urgent"),
    ],
)
async def test_emergency_screen_ends_at_once(
    world: World, steps: list[list[str]], level_words: str, level: str
) -> None:
    alex = world.person()
    await begin(alex)
    await answer(alex, steps)
    text = alex.last_text()
    assert level_words in text
    assert "Question" not in text
    # Nothing under the advice but a way to take back a mistaken tap: no reminder offer, no
    # start-again button.
    assert alex.buttons() == ["I pressed this by mistake"]
    assert "Morning check-in" not in text
    (done,) = await world.storage.list_assessments(1001)
    assert done.status == "finished"
    assert done.level == level
    assert world.errors == []


URGENT_FROM_CAUSES = {
    "fluid loss with dizziness": (
        13,
        [["Vomiting or diarrhoea"], ["Dizzy or confused"], ["Done"]],
    ),
    "lead or mercury": (13, [["Contact with lead"], ["Done"]]),
    "a dirty wound": (13, [["A dirty cut or wound"], ["Done"]]),
    "new, painful belly and chest cramps": (
        3,
        [["Belly wall"], ["Rib cage or chest"], ["Done"], ["In recent weeks, and painful"]],
    ),
    "new, painful arm cramps of minutes": (
        3,
        [["Arms or hands"], ["Done"], ["In recent weeks, and painful"]],
    ),
}


@pytest.mark.parametrize("sign", list(URGENT_FROM_CAUSES))
async def test_urgent_signs_from_cause_questions(world: World, sign: str) -> None:
    at, steps = URGENT_FROM_CAUSES[sign]
    alex = world.person()
    await begin(alex)
    path = [*CALM[:at], *steps, *CALM[at + 1 :]]
    if "cramps" in sign:
        path[path.index(["Seconds"])] = ["A few minutes"]
    await answer(alex, path)
    text = alex.last_text()
    assert "Your result" in text
    assert "today" in text.lower()
    # Not a safety-check stop: the person can start again or set up check-ins (under a
    # button per cause shown, if any).
    assert alex.buttons()[-2:] == ["Start again", "Morning check-in"]
    (done,) = await world.storage.list_assessments(1001)
    assert done.level == "urgent"


async def test_brief_hand_cramps_alone_are_not_urgent(world: World) -> None:
    alex = world.person()
    await begin(alex)
    await answer(alex, [*CALM[:3], ["Arms or hands"], ["Done"], ["Months ago"], *CALM[4:]])
    (done,) = await world.storage.list_assessments(1001)
    assert done.level == "self_care"


async def test_strong_kidney_signs_nudge_to_a_doctor_with_reasons(world: World) -> None:
    alex = world.person()
    await begin(alex)
    steps = [*CALM[:9], ["Swollen ankles"], ["Foamy urine"], ["Done"], *CALM[10:]]
    await answer(alex, steps)
    text = alex.last_text()
    assert "kidney" in text.lower()
    assert "blood test" in text.lower()
    assert "swollen ankles" in text.lower()
    assert "failing" not in text.lower()
    (done,) = await world.storage.list_assessments(1001)
    assert done.level == "see_doctor"


async def test_known_kidney_disease_alone_gets_the_calm_note(world: World) -> None:
    alex = world.person()
    await begin(alex)
    steps = [*CALM[:7], ["Known kidney disease"], ["Done"], *CALM[8:]]
    await answer(alex, steps)
    text = alex.last_text().lower()
    assert "check-up" in text
    assert "failing" not in text
    (done,) = await world.storage.list_assessments(1001)
    assert done.level == "self_care"


async def test_nerve_signs_nudge_to_a_doctor(world: World) -> None:
    alex = world.person()
    await begin(alex)
    steps = [*CALM[:10], ["Numbness"], ["Twitches in many places"], ["Done"], *CALM[11:]]
    await answer(alex, steps)
    text = alex.last_text()
    assert "doctor" in text.lower()
    assert "numbness or pins and needles" in text.lower()
    for disease in ("MND", "ALS", "motor neurone"):
        assert disease not in text
    (done,) = await world.storage.list_assessments(1001)
    assert done.level == "see_doctor"


MEDICATION = "A medicine you take"


async def test_back_with_skip_rule_drops_the_skipped_answer(world: World) -> None:
    alex = world.person()
    await begin(alex)
    await answer(alex, CALM[:8])
    await alex.press("Yes, for a while")
    assert "Water pills" in " ".join(alex.buttons())
    await alex.press("Water pills")
    assert "☑ Water pills (diuretics)" in alex.buttons()
    await alex.press("Done")
    await alex.press("Back")  # back to "which medicine", its answer still ticked
    assert "☑ Water pills (diuretics)" in alex.buttons()
    await alex.press("Back")  # back to "do you take medicines", the answer marked
    assert "✓ Yes, for a while" in alex.buttons()
    await alex.press("No")
    await answer(alex, CALM[9:])
    text = alex.last_text()
    assert "Your result" in text
    assert MEDICATION not in text
    assert "Water pills" not in text
    (done,) = await world.storage.list_assessments(1001)
    assert "medication" not in {c["cause"] for c in done.result["causes"]}  # type: ignore[index]


async def test_water_pills_kept_does_count(world: World) -> None:
    """The control for the test above: without Back, the medicine shows up."""
    alex = world.person()
    await begin(alex)
    await answer(alex, CALM[:8])
    await answer(alex, [["Yes, a new one"], ["Water pills"], ["Done"]])
    await answer(alex, CALM[9:])
    assert MEDICATION in alex.last_text()
    # The first screen keeps the one line that matters about it; the rest is a tap away.
    assert "do not stop or change the new medicine yourself" in alex.last_text().lower()


async def test_multi_select_toggles_and_done(world: World) -> None:
    alex = world.person()
    await begin(alex)
    await answer(alex, CALM[:3])
    assert "☐ Calves" in alex.buttons()
    await alex.press("Calves")
    await alex.press("Thighs")
    assert "☑ Calves" in alex.buttons()
    assert "☑ Thighs" in alex.buttons()
    await alex.press("☑ Calves")  # untick
    assert "☐ Calves" in alex.buttons()
    await alex.press("Done")
    (current,) = await world.storage.list_assessments(1001)
    assert (await world.storage.get_answers(current.id))["where"] == ("thighs",)
    assert "How often" in alex.last_text() or "often" in alex.last_text().lower()


async def test_done_with_nothing_ticked_asks_for_a_choice(world: World) -> None:
    alex = world.person()
    await begin(alex)
    await answer(alex, CALM[:3])
    before = alex.last_text()
    notice = await alex.press("Done")
    # "Where" has no "None of these", so the hint does not offer one.
    assert notice == "Please tick at least one answer, then press Done."
    assert alex.last_text() == before
    await answer(alex, [["Calves", "Done"], *CALM[4:7]])
    notice = await alex.press("Done")  # "Your health" has "None of these"
    assert "None of these" in notice


async def test_stale_repeated_and_forged_buttons(world: World) -> None:
    alex = world.person()
    await begin(alex)
    message_id = alex.keyboard_message().message_id
    first_none = alex.callback_data("None of these")
    await alex.press("None of these")
    now_showing = alex.last_text()
    # The same button again (a double tap that arrives late): out of date, nothing counted.
    notice = await alex.press_data(first_none, message_id=message_id)
    assert "out of date" in notice
    assert alex.last_text() == now_showing
    for forged in ("q1:999999:em_now:none", "q1:abc", "zzz", "q1:1:em_soon:none:1", "s1:nope"):
        notice = await alex.press_data(forged, message_id=message_id)
        assert "out of date" in notice, forged
    (current,) = await world.storage.list_assessments(1001)
    assert await world.storage.get_answers(current.id) == {"em_now": ("none",)}
    assert current.current_question == "em_soon"
    assert world.errors == []


async def test_redelivered_toggle_is_not_counted_twice(world: World) -> None:
    alex = world.person()
    await begin(alex)
    await answer(alex, CALM[:3])
    await alex.press("Calves")
    press = [e for e in world.emulator.history(1001) if e.kind == "user_press"][-1]
    assert press.text.endswith(":calves:1")
    # Telegram may deliver the same update again after a crash: the toggle carries the wanted
    # state, so a replay leaves the selection as it is.
    data = alex.callback_data("☑ Calves")
    assert data.endswith(":calves:0")
    await alex.press_data(press.text, message_id=alex.keyboard_message().message_id)
    assert "☑ Calves" in alex.buttons()
    (current,) = await world.storage.list_assessments(1001)
    assert (await world.storage.get_answers(current.id))["where"] == ("calves",)


async def test_button_pressed_by_someone_else(world: World) -> None:
    alex = world.person()
    await begin(alex)
    message_id = alex.keyboard_message().message_id
    data = alex.callback_data("None of these")
    world.emulator.user(2002, "Sam")
    update_id, query_id = world.emulator.user_presses(2002, 1001, message_id, data)
    await alex.settle(update_id, query_id=query_id)
    assert "someone else" in world.emulator.callback_answers[query_id].get("text", "")
    (current,) = await world.storage.list_assessments(1001)
    assert await world.storage.get_answers(current.id) == {}
    assert await world.storage.get_user(2002) is None


async def test_free_text_sticker_and_unknown_command(world: World) -> None:
    alex = world.person()
    await alex.send("hello?")
    assert "/start" in alex.last_text()
    assert "112" in alex.last_text()  # typed words might be a cry for help
    await begin(alex)
    await alex.send("my calves hurt")
    assert "buttons" in alex.last_text()
    await alex.send_sticker()
    assert "buttons" in alex.last_text()
    await alex.send("/frobnicate")
    assert "/help" in alex.last_text()
    (current,) = await world.storage.list_assessments(1001)
    assert await world.storage.get_answers(current.id) == {}
    assert world.errors == []


async def test_group_chat_says_private_only_and_stores_nothing(world: World) -> None:
    world.emulator.group(-500, "Family")
    member = world.person(3003, chat_id=-500)
    await member.send("/start")
    assert "private chat" in member.last_text()
    assert await world.storage.get_user(3003) is None
    assert await world.storage.count_user_rows(3003) == dict.fromkeys(
        (await world.storage.count_user_rows(3003)).keys(), 0
    )


async def test_group_reply_failing_still_stores_nothing(world: World) -> None:
    """A failed reply in a group must not let the private-chat handlers take the group."""
    alex = world.person()
    await begin(alex)
    world.emulator.group(-500, "Family")
    in_group = world.person(1001, chat_id=-500)
    world.emulator.inject("sendMessage", status=500, description="Internal Server Error")
    await in_group.send("/start")
    known = await world.storage.get_user(1001)
    assert known is not None and known.chat_id == 1001
    assert not [m for m in in_group.messages() if "Question" in m.text]


async def test_group_ignores_other_bots_commands_and_is_greeted_once(world: World) -> None:
    world.emulator.group(-500, "Family")
    member = world.person(3003, chat_id=-500)
    await member.send("/help@SomeOtherBot")
    assert member.messages() == []
    await member.settle(world.emulator.add_bot_to_group(-500, 3003))
    (greeting,) = member.messages()
    assert "private chat" in greeting.text
    assert await world.storage.get_user(3003) is None


async def test_unfinished_questionnaire_continue_or_start_over(world: World) -> None:
    alex = world.person()
    await begin(alex)
    await answer(alex, CALM[:3])
    await alex.send("/start")
    assert "continue" in alex.last_text().lower()
    await alex.press("Continue")
    assert "Question 4 of about" in alex.last_text()
    await answer(alex, [["Calves", "Done"]])
    assert "Question 5 of about" in alex.last_text()
    await alex.send("/start")
    await alex.press("Start over")
    assert "Question 1 of about" in alex.last_text()
    statuses = sorted(a.status for a in await world.storage.list_assessments(1001))
    assert statuses == ["abandoned", "open"]


async def test_old_questionnaire_buttons_after_a_retake(world: World) -> None:
    alex = world.person()
    await begin(alex)
    old_message = alex.keyboard_message().message_id
    old_data = alex.callback_data("None of these")
    await alex.send("/check")
    assert "Question 1 of about" in alex.last_text()
    notice = await alex.press_data(old_data, message_id=old_message)
    assert "out of date" in notice
    assessments = await world.storage.list_assessments(1001)
    opened = [a for a in assessments if a.status == "open"]
    assert len(opened) == 1
    assert await world.storage.get_answers(opened[0].id) == {}


async def test_content_changed_between_presses(world: World) -> None:
    alex = world.person()
    await begin(alex)
    await alex.press("None of these")
    (current,) = await world.storage.list_assessments(1001)
    # A deploy removed a question this person already answered.
    await world.storage.save_answer(
        current.id, "old_q", ("gone",), world.clock.now(), current_question="em_soon"
    )
    notice = await alex.press("None of these")
    assert "out of date" in notice
    assert "updated" in alex.last_text()
    await alex.press("Start again")
    assert "Question 1 of about" in alex.last_text()
    assert world.errors == []


async def test_delete_removes_every_row(world: World) -> None:
    alex = world.person()
    await begin(alex)
    await answer(alex, CALM)
    await alex.send("/delete")
    await alex.press("No, keep it")
    assert "Nothing was deleted" in alex.last_text()
    rows = await world.storage.count_user_rows(1001)
    assert rows["assessments"] == 1
    assert rows["answers"] == len(CALM)
    await alex.send("/delete")
    await alex.press("Yes, delete everything")
    assert "deleted" in alex.last_text()
    rows = await world.storage.count_user_rows(1001)
    assert set(rows) >= {"users", "assessments", "answers", "diary", "nudges"}
    assert all(count == 0 for count in rows.values()), rows
    await alex.send("/start")
    assert alex.buttons() == ["I understand, let's start"]


async def test_help_and_privacy(world: World) -> None:
    alex = world.person()
    await alex.send("/help")
    for command in ("/check", "/privacy", "/delete", "/reminders", "/history", "/export"):
        assert command in alex.last_text()
    await alex.send("/privacy")
    text = alex.last_text().lower()
    assert "/delete" in text
    assert "log" in text
    assert "never" in text  # health answers never go to the logs


async def test_deleted_question_message_gets_a_fresh_one(world: World) -> None:
    alex = world.person()
    await begin(alex)
    world.emulator.inject(
        "editMessageText", status=400, description="Bad Request: message to edit not found"
    )
    await alex.press("None of these")
    assert "Question 2 of about" in alex.last_text()
    assert world.errors == []


async def test_failed_answer_still_moves_the_questionnaire_on(world: World) -> None:
    alex = world.person()
    await begin(alex)
    world.emulator.inject("answerCallbackQuery", status=502, description="Bad Gateway")
    update_id, _query = world.emulator.user_presses(
        1001, 1001, alex.keyboard_message().message_id, alex.callback_data("None of these")
    )
    await world.emulator.wait_until(lambda: world.emulator.is_fetched(update_id), what="fetch")
    await world.emulator.wait_until(
        lambda: alex.last_text().startswith("Question 2 of about"), what="the next question"
    )
    await alex.send("/help")
    assert "/check" in alex.last_text()
    assert world.errors == []


async def test_too_many_requests_on_a_reply_is_waited_out(world: World) -> None:
    """A 429 on a reply: the bot waits as told and sends it again; nothing is lost."""
    alex = world.person()
    world.emulator.inject(
        "sendMessage", status=429, description="Too Many Requests: retry after 1", retry_after=1
    )
    await alex.send("/help")
    assert "/check" in alex.last_text()
    refused = world.emulator.stats.errors[("sendMessage", 429)]
    assert refused == 1
    assert world.errors == []


async def test_one_persons_flood_wait_does_not_hold_up_others(world: World) -> None:
    alex, sam = world.person(1001), world.person(2002, first_name="Sam")
    world.emulator.inject(
        "sendMessage", status=429, description="Too Many Requests: retry after 1", retry_after=1
    )
    first = world.emulator.user_sends_text(1001, 1001, "/help")
    await world.emulator.wait_until(lambda: world.emulator.is_fetched(first), what="fetched")
    await sam.send("/privacy")
    await alex.settle(first)
    assert "/delete" in sam.last_text()
    assert "/check" in alex.last_text()
    # Sam's answer went out while Alex's reply was still waiting out its 429.
    sent = [e for e in world.emulator.history() if e.kind == "sent"]
    assert [e.chat_id for e in sent] == [2002, 1001]


async def test_dropped_connection_on_an_edit_is_tried_again(world: World) -> None:
    alex = world.person()
    await begin(alex)
    world.emulator.inject_network_error("editMessageText", times=1)
    await alex.press("None of these")
    assert alex.last_text().startswith("Question 2 of about")
    assert len(alex.messages()) == 2
    assert world.errors == []


async def test_ticks_without_done_are_not_an_answer_after_back(world: World) -> None:
    """Half-ticked last list, Back, re-answer: the list comes back, no result without Done."""
    alex = world.person()
    await begin(alex)
    await answer(alex, CALM[:-1])
    await alex.press("Stressed or anxious")
    await alex.press("Back")
    assert "Caffeine" in alex.last_text() or "caffeine" in alex.last_text().lower()
    await alex.press("✓ None or 1 a day")
    assert "Your result" not in alex.last_text()
    assert "☑ Stressed or anxious" in alex.buttons()
    await alex.press("Vomiting or diarrhoea")
    await alex.press("Dizzy or confused")
    await alex.press("Done")
    assert "Your result" in alex.last_text()
    (done,) = await world.storage.list_assessments(1001)
    assert done.level == "urgent"


async def test_back_then_forward_one_question_at_a_time(world: World) -> None:
    alex = world.person()
    await begin(alex)
    await answer(alex, CALM[:8])  # now at "medicines", question 9
    await alex.press("Back")
    await alex.press("Back")
    assert alex.last_text().startswith("Question 7 of about")
    await alex.press("✓ They wake me now and then")
    assert alex.last_text().startswith("Question 8 of about")
    assert "☑ None of these" in alex.buttons() or "✓ None of these" in alex.buttons()


# --- no answers lost, one live questionnaire message ------------------------------------------


def live_question_messages(person: TelegramUser) -> list[Any]:
    return [m for m in person.messages() if m.keyboard and "Question" in m.text]


async def test_old_start_again_button_offers_to_continue_not_discard(world: World) -> None:
    alex = world.person()
    await begin(alex)
    await answer(alex, CALM)
    result_message = alex.keyboard_message().message_id
    await alex.press("Start again")
    await answer(alex, CALM[:5])
    await alex.press("Start again", message_id=result_message)
    assert "did not finish" in alex.last_text()
    assert alex.buttons() == ["Continue", "Start over"]
    opened = [a for a in await world.storage.list_assessments(1001) if a.status == "open"]
    assert len(opened) == 1
    assert len(await world.storage.get_answers(opened[0].id)) == 5
    await alex.press("Continue")
    assert "Question 6 of about" in alex.last_text()
    # The questionnaire moved down: the message it left is no longer pressable.
    assert len(live_question_messages(alex)) == 1
    assert any("continues in a newer message" in m.text for m in alex.messages())


async def test_start_again_twice_leaves_one_live_questionnaire(world: World) -> None:
    alex = world.person()
    await begin(alex)
    await answer(alex, CALM)
    result_message = alex.keyboard_message().message_id
    await alex.press("Start again", message_id=result_message)
    await alex.press("Start again", message_id=result_message)
    assert len(live_question_messages(alex)) == 1
    assert any("left unfinished" in m.text for m in alex.messages())
    statuses = sorted(a.status for a in await world.storage.list_assessments(1001))
    assert statuses == ["abandoned", "finished", "open"]


async def test_check_with_answers_open_offers_a_choice(world: World) -> None:
    alex = world.person()
    await begin(alex)
    await answer(alex, CALM[:3])
    await alex.send("/check")
    assert alex.buttons() == ["Continue", "Start over"]
    await alex.press("Start over")
    assert "Question 1 of about" in alex.last_text()
    assert len(live_question_messages(alex)) == 1


async def test_skipped_answer_is_not_kept_after_the_result(world: World) -> None:
    alex = world.person()
    await begin(alex)
    await answer(alex, CALM[:8])
    await answer(alex, [["Yes, for a while"], ["Water pills"], ["Done"], ["Back"], ["Back"]])
    await alex.press("No")
    await answer(alex, CALM[9:])
    (done,) = await world.storage.list_assessments(1001)
    answers = await world.storage.get_answers(done.id)
    assert answers["meds"] == ("none",)
    assert "which" not in answers
    assert all(row["question_id"] != "which" for row in await world.storage.list_answers(1001))


async def test_none_of_these_with_nothing_ticked_moves_on_at_once(world: World) -> None:
    alex = world.person()
    await begin(alex)
    await answer(alex, CALM[:7])
    question = alex.last_text()
    assert "Do any of these apply to you?" in question
    assert 'If none fit, "None of these" goes straight on.' in question
    await alex.press("None of these")
    assert "Do you take any medicine regularly?" in alex.last_text()


async def test_none_of_these_after_ticks_asks_to_clear_them(world: World) -> None:
    alex = world.person()
    await begin(alex)
    await answer(alex, CALM[:7])
    await alex.press("Pregnant")
    await alex.press("Diabetes")
    notice = await alex.press("Not sure")
    assert notice == ""
    text = alex.last_text()
    assert 'You ticked: Pregnant, Diabetes. Clear these ticks and answer "Not sure"?' in text
    assert alex.buttons() == ["Yes, clear my ticks", "No, keep my ticks"]
    opened = [a for a in await world.storage.list_assessments(1001) if a.status == "open"]
    # Nothing changed yet.
    assert (await world.storage.get_answers(opened[0].id))["health"] == ("pregnant", "diabetes")
    await alex.press("No, keep my ticks")
    assert "☑ Pregnant" in alex.buttons() and "☑ Diabetes" in alex.buttons()
    await alex.press("Not sure")
    await alex.press("Yes, clear my ticks")
    assert "Do you take any medicine regularly?" in alex.last_text()
    assert (await world.storage.get_answers(opened[0].id))["health"] == ("unsure",)
    assert world.errors == []


async def test_question_button_after_delete_points_to_check(world: World) -> None:
    alex = world.person()
    await begin(alex)
    message_id = alex.keyboard_message().message_id
    data = alex.callback_data("None of these")
    await alex.send("/delete")
    await alex.press("Yes")
    notice = await alex.press_data(data, message_id=message_id)
    assert "/check starts a new questionnaire" in notice


async def test_a_result_that_never_reached_the_screen_comes_back_on_the_next_press(
    world: World,
) -> None:
    alex = world.person()
    await begin(alex)
    world.emulator.inject("editMessageText", status=502, description="Bad Gateway", times=3)
    await alex.press("Chest pain")  # stored and finished, but the edit fails every time
    (done,) = await world.storage.list_assessments(1001)
    assert done.status == "finished"
    assert "112" in alex.last_text()  # even the apology says whom to call
    question = alex.keyboard_message().message_id
    assert "Please get help now" not in alex.keyboard_message().text
    notice = await alex.press("Chest pain")  # the question is still on screen: press again
    assert "out of date" not in notice
    shown = world.emulator.message(1001, question)
    assert shown is not None and shown.text.startswith("Please get help now")
    assert "112" in shown.text
    world.errors.clear()  # the first press's failure was reported, as it should be


async def test_a_stale_press_brings_the_questionnaire_down_to_the_person(world: World) -> None:
    alex = world.person()
    await begin(alex)
    old = alex.keyboard_message().message_id
    await alex.send("/check")  # nothing answered yet: a fresh questionnaire, the old one retired
    await answer(alex, CALM[:3])
    data = alex.callback_data("Calves")
    await alex.send("/help")
    await alex.send("/privacy")  # the question is now far up the chat
    notice = await alex.press_data(data.replace(data.split(":")[1], "1"), message_id=old)
    assert "out of date" in notice
    newest = alex.messages()[-1]
    assert "Question 4 of about" in newest.text and newest.keyboard
    assert len(live_question_messages(alex)) == 1
