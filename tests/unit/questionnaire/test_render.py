"""What the person sees: question screens and the composed result (HTML, buttons, limits)."""

from __future__ import annotations

import dataclasses
from types import MappingProxyType

from bot.authoring.check import candidate_answers, iter_paths
from bot.content.model import Question
from bot.questionnaire import logic
from bot.questionnaire.render import (
    DETAIL_STEPS,
    _result_text,
    render_question,
    render_result,
    worst_result,
)
from bot.ui import Screen
from tests.harness import CALM, real_content

CONTENT = real_content()
BIG_ID = 9_999_999_999


def question(qid: str) -> Question:
    found = CONTENT.question(qid)
    assert found is not None
    return found


def labels(screen: Screen) -> list[str]:
    return [button.text for button in screen.all_buttons()]


def datas(screen: Screen) -> list[str]:
    return [button.data for button in screen.all_buttons()]


# --- question screens ---


def test_first_question_screen() -> None:
    screen = render_question(CONTENT, 7, question("em_now"), {})
    assert screen.text.startswith("<i>Question 1 of about 14</i>\n\n")
    assert "in the last 24 hours" in screen.text
    assert labels(screen)[0] == "Chest pain or pressure"
    assert labels(screen)[-1] == "None of these"
    assert datas(screen)[0] == "q1:7:em_now:chest"
    # No Back on the first question, and no Done on a single choice.
    assert not any(d.endswith(("~back", "~done")) for d in datas(screen))


def test_single_choice_shows_the_earlier_answer_after_back() -> None:
    answers = {**CALM}
    screen = render_question(CONTENT, 7, question("often"), answers)
    assert "✓ Now and then" in labels(screen)
    assert "Every week" in labels(screen)
    assert [(b.text, b.data) for b in screen.buttons[-1]] == [("« Back", "q1:7:often:~back")]


def test_multi_select_toggles_exclusive_and_done() -> None:
    screen = render_question(CONTENT, 42, question("nerve"), {"nerve": ("numb",)})
    assert screen.buttons[0][0].text == "☑ Numbness or pins and needles"
    assert screen.buttons[0][0].data == "q1:42:nerve:numb:0"
    assert screen.buttons[1][0].text == "☐ Muscles feel weaker"
    assert screen.buttons[1][0].data == "q1:42:nerve:weak:1"
    none = next(b for b in screen.all_buttons() if b.text == "None of these")
    assert none.data == "q1:42:nerve:none"
    assert [b.data for b in screen.buttons[-1]] == ["q1:42:nerve:~back", "q1:42:nerve:~done"]
    assert "Tick all that fit, then press Done." in screen.text


def test_progress_counts_the_skip_rule() -> None:
    answers = {"em_now": ("none",), "em_soon": ("none",), "meds": ("new",)}
    screen = render_question(CONTENT, 1, question("which"), answers)
    n = [q.id for q in logic.path(CONTENT, answers)].index("which") + 1
    assert screen.text.startswith(f"<i>Question {n} of about 15</i>")


def test_callback_data_fits_on_every_screen() -> None:
    for q in CONTENT.questions:
        for chosen in [(), *candidate_answers(q)]:
            screen = render_question(CONTENT, BIG_ID, q, {q.id: chosen} if chosen else {})
            assert len(screen.text) <= 4096
            for button in screen.all_buttons():
                assert len(button.data.encode()) <= 64, button.data
                assert len(button.text) <= 64


def test_question_text_is_escaped() -> None:
    odd = dataclasses.replace(question("drink"), text="Water < 1 l & tea?", hint="<b>hint</b>")
    screen = render_question(CONTENT, 1, odd, {})
    assert "Water &lt; 1 l &amp; tea?" in screen.text
    assert "&lt;b&gt;hint&lt;/b&gt;" in screen.text
    assert "<b>hint" not in screen.text


# --- the result ---


def test_calm_result() -> None:
    screen = render_result(CONTENT, logic.evaluate(CONTENT, CALM))
    assert "Nothing in your answers stands out" in screen.text
    assert "tired muscles are the most usual explanation" in screen.text
    assert "What to do: You can look after this at home" in screen.text
    assert "In short" not in screen.text
    assert "usually harmless" in screen.text
    assert "please see a doctor" in screen.text  # the safety net
    assert "not a diagnosis" in screen.text
    assert datas(screen) == ["s1:check", "r1:offer"]
    assert labels(screen) == ["Start again", "Morning check-in"]


def test_result_with_causes_and_nudges() -> None:
    answers = {**CALM, "caffeine": ("high",), "kidney": ("ankles", "urine")}
    screen = render_result(CONTENT, logic.evaluate(CONTENT, answers))
    assert "<b>1. Declining kidney function</b>" in screen.text
    assert "<b>2. Caffeine and stimulants</b>" in screen.text
    assert "What in your answers points to it: Caffeine: 4 or more a day" in screen.text
    assert "What to do: Book a doctor's appointment" in screen.text
    # ... and said right under the title too, not only below the causes
    assert screen.text.startswith(
        "<b>Your result</b>\n\n<b>In short: Book a doctor's appointment. Why"
    )
    assert "Kidney check: ask for blood tests of kidney function and salts" in screen.text
    assert "Because you said: foamy urine; swollen ankles or feet." in screen.text
    assert "Because you said: swollen ankles or feet." in screen.text
    assert "Nothing you told me is a warning sign" not in screen.text
    assert "kidneys may be failing" not in screen.text


def test_calm_kidney_note() -> None:
    screen = render_result(CONTENT, logic.evaluate(CONTENT, {**CALM, "health": ("bp",)}))
    assert "Mention the cramps at your next check-up." in screen.text
    assert "Because you said: high blood pressure." in screen.text
    assert "What to do: You can look after this at home" in screen.text


def test_stopped_result_has_only_what_to_do_now() -> None:
    result = logic.evaluate(CONTENT, {"em_now": ("chest",)})
    screen = render_result(CONTENT, result)
    assert screen.buttons == ()
    assert screen.text.startswith("<b>Please get help now</b>")
    assert "112" in screen.text and "999" in screen.text and "911" in screen.text
    assert "Because you said: chest pain or pressure." in screen.text
    assert "Your result" not in screen.text
    assert "Start again" not in screen.text


def test_escaping_of_content_in_the_result() -> None:
    cause = CONTENT.cause("caffeine")
    assert cause is not None
    odd = dataclasses.replace(cause, explanation="Coffee <3 & cola", tips=("Try <b>less</b>",))
    content = dataclasses.replace(
        CONTENT,
        causes=tuple(odd if c.id == "caffeine" else c for c in CONTENT.causes),
        texts=MappingProxyType({**CONTENT.texts, "result.title": "Your <result>"}),
    )
    screen = render_result(content, logic.evaluate(content, {**CALM, "caffeine": ("high",)}))
    assert "Coffee &lt;3 &amp; cola" in screen.text
    assert "Try &lt;b&gt;less&lt;/b&gt;" in screen.text
    assert "<b>Your &lt;result&gt;</b>" in screen.text


def test_worst_case_result_fits() -> None:
    for stopped in (False, True):
        screen = render_result(CONTENT, worst_result(CONTENT, stopped=stopped))
        assert len(screen.text) <= 4096


def test_every_box_ticked_fits_and_is_shortened_only_when_needed() -> None:
    def ticked(q: Question) -> list[tuple[str, ...]]:
        return [candidate_answers(q, allow_stop=False)[-1]]

    for answers in iter_paths(CONTENT, ticked):
        result = logic.evaluate(CONTENT, answers)
        screen = render_result(CONTENT, result)
        assert len(screen.text) <= 4096
    # A normal result is shown in full detail.
    normal = logic.evaluate(CONTENT, {**CALM, "caffeine": ("high",)})
    assert render_result(CONTENT, normal).text == _result_text(CONTENT, normal, DETAIL_STEPS[0])


def test_a_long_result_is_shortened_step_by_step() -> None:
    result = worst_result(CONTENT, stopped=False)
    lengths = [len(_result_text(CONTENT, result, detail)) for detail in DETAIL_STEPS]
    assert lengths == sorted(lengths, reverse=True)
    assert lengths[-1] <= 4096
    assert render_result(CONTENT, result).text in {
        _result_text(CONTENT, result, detail) for detail in DETAIL_STEPS
    }


def test_no_cause_with_a_warning_sign_does_not_sound_all_clear() -> None:
    answers = {**CALM, "where": ("arms",), "upper": ("new_pain",), "length": ("mins",)}
    screen = render_result(CONTENT, logic.evaluate(CONTENT, answers))
    assert "Please see a doctor today" in screen.text
    assert "No single common contributor stands out" in screen.text
    assert "Nothing in your answers stands out" not in screen.text
