"""Questionnaire screens, as Telegram HTML (`Screen`s); the result is in `result.py`.

Pure: content and answers in, text and buttons out. Everything that comes from content goes
through `html.escape` (or `Content.text`, which escapes), so a `<` in a YAML text can never break
the message. Button labels are plain text (Telegram does not parse them), so they are not escaped.
"""

from __future__ import annotations

import html

from bot.content.model import Content, Option, Question
from bot.questionnaire import logic
from bot.questionnaire.callbacks import BACK, DONE, KEEP, MAX_ASSESSMENT_ID, QuestionPress
from bot.questionnaire.logic import Answers
from bot.ui import MAX_CALLBACK_DATA, MAX_MESSAGE, Button, Screen

CHOSEN = "✓ "
TICKED = "☑ "
UNTICKED = "☐ "


def _esc(text: str) -> str:
    # Telegram HTML needs only <, > and & escaped; leaving quotes alone keeps texts short.
    return html.escape(text, quote=False)


def render_question(
    content: Content,
    assessment_id: int,
    question: Question,
    answers: Answers,
    *,
    clear_for: Option | None = None,
    walked: logic.Walk | None = None,
) -> Screen:
    """The question; with `clear_for`, the two-button "clear your ticks?" for an answer such
    as "None of these" tapped while boxes are ticked. `walked`, when given, is
    `logic.walk(content, answers)` already computed."""
    if walked is None:
        walked = logic.walk(content, answers)
    n, m = logic.progress(content, answers, question.id, walked=walked)
    parts = [f"<i>{content.text('q.progress', n=n, m=m)}</i>", _esc(question.text)]
    if question.hint:
        parts.append(f"<i>{_esc(question.hint)}</i>")
    if question.kind == "multi":
        none = any(option.exclusive for option in question.options)
        parts.append(f"<i>{content.text('q.multi_hint_none' if none else 'q.multi_hint')}</i>")
    chosen = answers.get(question.id, ())

    def press(option: str, state: bool | None = None) -> str:
        return QuestionPress(assessment_id, question.id, option, state).pack()

    if clear_for is not None:
        labels = [o.label for o in question.options if o.id in chosen and not o.exclusive]
        ask = content.text("q.clear_ticks", ticked=", ".join(labels), label=clear_for.label)
        parts.append(f"<b>{ask}</b>")
        return Screen(
            "\n\n".join(parts),
            (
                (Button(content.raw_text("q.clear_yes"), press(clear_for.id, True)),),
                (Button(content.raw_text("q.clear_no"), press(KEEP)),),
            ),
        )

    rows: list[tuple[Button, ...]] = []
    for option in question.options:
        if question.kind == "multi" and not option.exclusive:
            ticked = option.id in chosen
            rows.append(
                (
                    Button(
                        (TICKED if ticked else UNTICKED) + option.label,
                        press(option.id, not ticked),
                    ),
                )
            )
        else:
            mark = CHOSEN if option.id in chosen else ""
            rows.append((Button(mark + option.label, press(option.id)),))

    last: list[Button] = []
    if logic.previous_question(content, answers, question.id, walked=walked) is not None:
        last.append(Button(content.raw_text("q.back"), press(BACK)))
    if question.kind == "multi":
        last.append(Button(content.raw_text("q.done"), press(DONE)))
    if last:
        rows.append(tuple(last))
    return Screen("\n\n".join(parts), tuple(rows))


# --------------------------------------------------------------------------------------------
# Worst cases, checked when the content is loaded


def question_screen_problems(content: Content, question: Question) -> list[str]:
    """The question with every option chosen and the widest id: too long, or data too big?"""
    problems: list[str] = []
    everything = {question.id: tuple(option.id for option in question.options)}
    screen = render_question(content, MAX_ASSESSMENT_ID, question, everything)
    if len(screen.text) > MAX_MESSAGE:
        problems.append(
            f"the question screen is {len(screen.text)} characters, over {MAX_MESSAGE}"
        )
    for button in screen.all_buttons():
        if len(button.data.encode()) > MAX_CALLBACK_DATA:
            problems.append(
                f"callback data '{button.data}' is {len(button.data.encode())} bytes, "
                f"over Telegram's {MAX_CALLBACK_DATA}"
            )
    return problems
