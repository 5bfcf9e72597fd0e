"""Questionnaire screens and the composed result, as Telegram HTML (`Screen`s).

Pure: content and answers in, text and buttons out. Everything that comes from content goes
through `html.escape` (or `Content.text`, which escapes), so a `<` in a YAML text can never break
the message. Button labels are plain text (Telegram does not parse them), so they are not escaped.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from bot.account.callbacks import CHECK_AGAIN
from bot.content import conditions as cond
from bot.content.model import SELF_CARE, Content, Question
from bot.content.reachability import satisfiable
from bot.questionnaire import logic
from bot.questionnaire.callbacks import BACK, DONE, MAX_ASSESSMENT_ID, QuestionPress
from bot.questionnaire.logic import Answers, CauseMatch, Nudge, Result
from bot.ui import MAX_CALLBACK_DATA, MAX_MESSAGE, Button, Screen

CHOSEN = "✓ "
TICKED = "☑ "
UNTICKED = "☐ "

REMINDERS_DATA = "r1:offer"


def _esc(text: str) -> str:
    # Telegram HTML needs only <, > and & escaped; leaving quotes alone keeps texts short.
    return html.escape(text, quote=False)


def render_question(
    content: Content,
    assessment_id: int,
    question: Question,
    answers: Answers,
    *,
    walked: logic.Walk | None = None,
) -> Screen:
    """`walked`, when given, is `logic.walk(content, answers)` already computed."""
    if walked is None:
        walked = logic.walk(content, answers)
    n, m = logic.progress(content, answers, question.id, walked=walked)
    parts = [f"<i>{content.text('q.progress', n=n, m=m)}</i>", _esc(question.text)]
    if question.hint:
        parts.append(f"<i>{_esc(question.hint)}</i>")
    if question.kind == "multi":
        parts.append(f"<i>{content.text('q.multi_hint')}</i>")
    chosen = answers.get(question.id, ())

    def press(option: str, state: bool | None = None) -> str:
        return QuestionPress(assessment_id, question.id, option, state).pack()

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


# Detail steps for the result: a normal result is shown in full; only an unusually long one
# (many causes with many matching answers and many nudges) is shortened, step by step, so it
# always fits one Telegram message. Content validation checks that the last step fits even
# in the worst case.
@dataclass(frozen=True)
class _Detail:
    max_evidence: int | None
    max_tips: int | None
    max_reasons: int | None
    max_causes: int = 3


DETAIL_STEPS = (
    _Detail(None, None, None),
    _Detail(3, 1, None),
    _Detail(2, 1, 2),
    # Only someone who ticked nearly every warning sign gets here: the doctor's visit matters
    # more than a third possible contributor.
    _Detail(2, 1, 2, max_causes=2),
    _Detail(1, 1, 1, max_causes=1),
)


def _reasons_line(
    content: Content, key: str, nudges: tuple[Nudge, ...], limit: int | None = None
) -> str | None:
    reasons: list[str] = []
    for nudge in nudges:
        reasons.extend(reason for reason in nudge.reasons if reason not in reasons)
    if not reasons:
        return None
    return f"<i>{content.text(key, reasons='; '.join(reasons[:limit]))}</i>"


def _cause_block(content: Content, number: int, match: CauseMatch, detail: _Detail) -> str:
    lines = [
        f"<b>{content.text('result.cause_title', n=number, name=match.cause.name)}</b>",
        _esc(match.cause.explanation),
    ]
    if match.evidence:
        items = "; ".join(match.evidence[: detail.max_evidence])
        lines.append(f"<i>{content.text('result.evidence', items=items)}</i>")
    if match.cause.tips:
        lines.append(f"<i>{content.text('result.tips_heading')}</i>")
        lines.extend(f"• {_esc(tip)}" for tip in match.cause.tips[: detail.max_tips])
    return "\n".join(lines)


def _stopped_text(content: Content, result: Result) -> str:
    top = tuple(n for n in result.nudges if n.level.rank == result.level.rank)
    parts = [f"<b>{_esc(result.level.title)}</b>", _esc(result.level.advice)]
    parts.extend(_esc(n.text) for n in top if n.text)
    because = _reasons_line(content, "result.stopped_because", top)
    if because:
        parts.append(because)
    return "\n\n".join(parts)


def _result_text(content: Content, result: Result, detail: _Detail) -> str:
    parts = [f"<b>{content.text('result.title')}</b>"]
    if result.level.rank > 0:
        # A doctor's visit must not hide two phone screens down, below the causes.
        parts.append(f"<b>{content.text('result.in_short', title=result.level.title)}</b>")
    if result.causes:
        parts.append(
            f"<b>{content.text('result.causes_heading')}</b>\n{content.text('result.causes_intro')}"
        )
        parts.extend(
            _cause_block(content, i, match, detail)
            for i, match in enumerate(result.causes[: detail.max_causes], start=1)
        )
    else:
        flagged = result.level.rank > 0
        parts.append(content.text("result.no_cause_flagged" if flagged else "result.no_cause"))
    parts.append(
        f"<b>{content.text('result.level_heading', title=result.level.title)}</b>\n"
        + _esc(result.level.advice)
    )
    shown = {match.cause.id for match in result.causes[: detail.max_causes]}
    for nudge in result.nudges:
        rule = content.rule(nudge.rule_id)
        if rule is not None and shown & set(rule.unless_shown):
            continue  # a cause block above already says it
        paragraph = [_esc(nudge.text)] if nudge.text else []
        because = _reasons_line(content, "result.because", (nudge,), detail.max_reasons)
        if because:
            paragraph.append(because)
        if paragraph:
            parts.append("\n".join(paragraph))
    if not any(n.level.rank > 0 for n in result.nudges):
        parts.append(content.text("result.calm"))
    parts.append(content.text("result.safety_net"))
    parts.append(f"<i>{content.text('result.not_diagnosis')}</i>")
    return "\n\n".join(parts)


def render_result(content: Content, result: Result) -> Screen:
    if result.stopped:
        # The one thing to do now, and why: nothing else, no buttons, nothing to distract.
        return Screen(_stopped_text(content, result))
    for detail in DETAIL_STEPS:
        text = _result_text(content, result, detail)
        if len(text) <= MAX_MESSAGE:
            break
    buttons = (
        (Button(content.raw_text("result.restart_button"), CHECK_AGAIN),),
        (Button(content.raw_text("result.reminders_button"), REMINDERS_DATA),),
    )
    return Screen(text, buttons)


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


def _all_reasons(content: Content, condition: cond.Condition) -> tuple[str, ...]:
    reasons: list[str] = []
    for _, leaf, negated in cond.leaves(condition):
        if negated:
            continue
        if isinstance(leaf, cond.HasFlag):
            reasons.append(content.flags.get(leaf.flag, leaf.flag))
        elif isinstance(leaf, cond.ChoseAny):
            question = content.question(leaf.question)
            if question is None:
                continue
            lines = [
                f"{question.short}: {option.label}"
                for oid in leaf.options
                if (option := question.option(oid)) is not None
            ]
            reasons.extend(lines if question.kind == "multi" else sorted(lines, key=len)[-1:])
    return tuple(dict.fromkeys(reasons))


# Beyond this many rules the search for the longest set that can fire together stops
# pruning and simply takes them all (a safe over-estimate).
_MAX_CLIQUE_RULES = 16


def _co_firing_worst(content: Content, nudges: list[Nudge]) -> list[Nudge]:
    """The longest set of nudges whose rules can all fire in one finished result.

    Two rules that exclude each other (e.g. the calm and the strong kidney note) never show
    together; pairs are checked, so the set found is never shorter than any real one.
    """
    if len(nudges) > _MAX_CLIQUE_RULES:
        return nudges
    rules = {rule.id: rule for rule in content.rules}
    n = len(nudges)
    fits = [[True] * n for _ in range(n)]
    for i in range(n):
        for j in range(i + 1, n):
            both = cond.AllOf((rules[nudges[i].rule_id].when, rules[nudges[j].rule_id].when))
            fits[i][j] = fits[j][i] = satisfiable(both, content.questions, allow_stop=False)
    weight = [len(nudge.text or "") + sum(len(r) + 2 for r in nudge.reasons) for nudge in nudges]
    best: tuple[int, int] = (-1, 0)
    for mask in range(1 << n):
        members = [i for i in range(n) if mask >> i & 1]
        if all(fits[a][b] for a in members for b in members if a < b):
            total = sum(weight[i] for i in members)
            if total > best[0]:
                best = (total, mask)
    return [nudges[i] for i in range(n) if best[1] >> i & 1]


def worst_result(content: Content, *, stopped: bool) -> Result:
    """A result no real answers can exceed: the three longest causes with every answer that
    could point to them, every rule that can fire alongside the others with every reason, and
    the wordiest level."""
    matches = []
    for cause in content.causes:
        evidence: list[str] = []
        for q in content.questions:
            lines = [f"{q.short}: {o.label}" for o in q.options if o.points.get(cause.id, 0) > 0]
            # A single-choice question contributes one answer at most.
            evidence.extend(lines if q.kind == "multi" else sorted(lines, key=len)[-1:])
        matches.append(CauseMatch(cause, 99, tuple(evidence)))
    matches.sort(key=lambda m: -len(_cause_block(content, 1, m, DETAIL_STEPS[0])))
    if stopped:
        levels = [lv for lv in content.levels if lv.rank >= 2] or list(content.levels)
        level = max(levels, key=lambda lv: len(lv.title) + len(lv.advice))
        nudges = [
            Nudge(rule.id, level, rule.text, _all_reasons(content, rule.when))
            for rule in content.rules
            if content.level(rule.level).rank >= 2
        ]
        return Result(level, (), tuple(nudges), True)
    can_fire = [
        Nudge(rule.id, content.level(rule.level), rule.text, _all_reasons(content, rule.when))
        for rule in content.rules
        if satisfiable(rule.when, content.questions, allow_stop=False)
    ]
    nudges = _co_firing_worst(content, can_fire)
    top = max((n.level for n in nudges), key=lambda lv: lv.rank, default=None)
    level = top if top is not None and top.rank > 0 else content.level(SELF_CARE)
    return Result(level, tuple(matches[:3]), tuple(nudges), False)


def worst_result_problems(content: Content) -> list[str]:
    problems = []
    longest = worst_result(content, stopped=False)
    length = len(_result_text(content, longest, DETAIL_STEPS[-1]))
    if length > MAX_MESSAGE:
        problems.append(
            f"the longest possible result is {length} characters, over Telegram's "
            f"{MAX_MESSAGE}: shorten cause explanations, tips, rule texts or level advice"
        )
    length = len(_stopped_text(content, worst_result(content, stopped=True)))
    if length > MAX_MESSAGE:
        problems.append(
            f"the longest emergency-screen result is {length} characters, over Telegram's "
            f"{MAX_MESSAGE}: shorten the urgent and emergency rule texts or level advice"
        )
    return problems
