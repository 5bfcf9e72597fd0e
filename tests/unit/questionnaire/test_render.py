"""What the person sees: question screens (HTML, buttons, limits); the result is in
test_result.py."""

from __future__ import annotations

import dataclasses

from bot.authoring.check import candidate_answers
from bot.content.model import Question
from bot.questionnaire import logic
from bot.questionnaire.render import render_question
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
