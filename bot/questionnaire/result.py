"""The result as a tired person reads it: one short screen first, details on request.

The summary starts with the level and what to do, names each shown cause in one line with the
answer behind it, then the doctor's notes and the safety net. Each cause has a button that
opens its explanation and things to try in the same message, with a button back. The urgency
advice and the safety net are on the summary, never behind a button. The full text (every
explanation and tip) is what is stored with the result and exported, so folding loses nothing.

Pure: content and a result in, Telegram HTML `Screen`s and plain text out.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from bot.account.callbacks import CHECK_AGAIN
from bot.content import conditions as cond
from bot.content.model import SELF_CARE, Content
from bot.content.reachability import satisfiable
from bot.questionnaire import logic
from bot.questionnaire.callbacks import (
    MAX_ASSESSMENT_ID,
    NOTES,
    SUMMARY,
    UNDO,
    QuestionPress,
    ResultPress,
)
from bot.questionnaire.logic import CauseMatch, Nudge, Result
from bot.ui import MAX_CALLBACK_DATA, MAX_MESSAGE, Button, Screen

REMINDERS_DATA = "r1:offer"

# One phone screen: what the first screen of a result should stay within (rendered text).
FIRST_SCREEN = 1200


def _esc(text: str) -> str:
    return html.escape(text, quote=False)


def visible_length(text: str) -> int:
    """Characters a person sees: Telegram HTML without its tags and entities."""
    return len(html.unescape(re.sub(r"<[^>]*>", "", text)))


def plain(text: str) -> str:
    return html.unescape(re.sub(r"<[^>]*>", "", text))


def cause_data(assessment_id: int, cause_id: str) -> str:
    return ResultPress(assessment_id, cause_id).pack()


def back_data(assessment_id: int) -> str:
    return ResultPress(assessment_id, SUMMARY).pack()


# --------------------------------------------------------------------------------------------
# The summary


@dataclass(frozen=True)
class _Fold:
    """How much of the evidence the summary names; shortened step by step to fit a screen."""

    evidence: int
    reasons: int | None
    because: bool = True
    # Doctor's notes shown in full; the rest become one "also tell the doctor" line, and a
    # button opens them all.
    notes: int | None = None


# One answer per cause on the first screen: the strongest, which is a direct one.
_FOLDS = (
    _Fold(1, None),
    _Fold(1, 2),
    _Fold(1, 1),
    _Fold(1, 0, because=False),
    _Fold(1, 0, because=False, notes=2),
    _Fold(1, 0, because=False, notes=1),
)


def _reasons(nudges: tuple[Nudge, ...], limit: int | None) -> list[str]:
    reasons: list[str] = []
    for nudge in nudges:
        reasons.extend(reason for reason in nudge.reasons if reason not in reasons)
    return reasons[:limit]


def _what_to_do(content: Content, result: Result) -> str:
    level = result.level
    key = f"result.do.{level.id}"
    if level.rank >= 2 or key not in content.texts:
        # Urgent and emergency advice is short and every word of it matters.
        return _esc(level.advice)
    return content.text(key)


def _folded(result: Result, fold: _Fold) -> tuple[Nudge, ...]:
    """The doctor's notes that the summary folds into one line (calm notes always stay)."""
    if fold.notes is None:
        return ()
    raising = [n for n in result.nudges if n.level.rank > 0 and n.text]
    return tuple(raising[fold.notes :])


def _nudge_lines(content: Content, result: Result, fold: _Fold, *, full: bool) -> list[str]:
    shown = {match.cause.id for match in result.causes}
    folded = _folded(result, fold)
    lines: list[str] = []
    # Notes without a text of their own say only why the level is what it is: their reasons
    # share one line, so the same "Because you said" never stands twice on a screen.
    bare: list[str] = []
    bare_at: int | None = None
    for nudge in result.nudges:
        rule = content.rule(nudge.rule_id)
        if full and rule is not None and shown & set(rule.unless_shown):
            continue  # the cause's own text, right there in the full text, says it
        if nudge in folded:
            continue
        if not nudge.text:
            if fold.because:
                bare_at = len(lines) if bare_at is None else bare_at
                bare += [r for r in _reasons((nudge,), fold.reasons) if r not in bare]
            continue
        paragraph = [_esc(nudge.text)]
        reasons = _reasons((nudge,), fold.reasons) if fold.because else []
        if reasons:
            paragraph.append(
                f"<i>{content.text('result.because', reasons='; '.join(reasons))}</i>"
            )
        lines.append("\n".join(paragraph))
    if bare and bare_at is not None:
        because = content.text("result.because", reasons="; ".join(bare))
        lines.insert(bare_at, f"<i>{because}</i>")
    if folded:
        also = _reasons(folded, None)
        lines.append(content.text("result.also_tell", reasons="; ".join(also)))
    return lines


def _no_cause(content: Content, result: Result) -> str:
    if result.level.rank > 0:
        return content.text("result.no_cause_flagged")
    return content.text("result.no_cause_twitch" if result.twitches_only else "result.no_cause")


def _summary_text(content: Content, result: Result, fold: _Fold) -> str:
    headline = content.text("result.headline", title=result.level.title)
    parts = [f"<b>{headline}</b>\n{_what_to_do(content, result)}"]
    if result.causes:
        lines = [f"<b>{content.text('result.causes_heading')}</b>"]
        for n, match in enumerate(result.causes, start=1):
            items = "; ".join(match.evidence[: fold.evidence])
            lines.append(
                content.text("result.cause_line", n=n, name=match.cause.name, items=items)
            )
        lines.append(f"<i>{content.text('result.more')}</i>")
        parts.append("\n".join(lines))
    else:
        parts.append(_no_cause(content, result))
    parts.extend(_nudge_lines(content, result, fold, full=False))
    parts.append(content.text("result.safety_net"))
    if not result.causes:
        # With causes, their heading says it already.
        parts.append(f"<i>{content.text('result.not_diagnosis')}</i>")
    return "\n\n".join(parts)


def _summary_buttons(
    content: Content, result: Result, assessment_id: int, fold: _Fold
) -> tuple[tuple[Button, ...], ...]:
    rows: list[tuple[Button, ...]] = []
    if _folded(result, fold):
        rows.append(
            (Button(content.raw_text("result.notes_button"), cause_data(assessment_id, NOTES)),)
        )
    rows += [
        (
            Button(
                content.raw_text("result.cause_button").format(n=n, name=match.cause.name),
                cause_data(assessment_id, match.cause.id),
            ),
        )
        for n, match in enumerate(result.causes, start=1)
    ]
    rows.append((Button(content.raw_text("result.restart_button"), CHECK_AGAIN),))
    rows.append((Button(content.raw_text("result.reminders_button"), REMINDERS_DATA),))
    return tuple(rows)


def render_summary(content: Content, result: Result, assessment_id: int) -> Screen:
    """The first screen of a finished result (a stopped one has its own, `render_stopped`)."""
    return Screen(*_fit(content, result, assessment_id))


def _fit(
    content: Content, result: Result, assessment_id: int
) -> tuple[str, tuple[tuple[Button, ...], ...]]:
    text, fold = "", _FOLDS[0]
    for fold in _FOLDS:
        text = _summary_text(content, result, fold)
        if visible_length(text) <= FIRST_SCREEN:
            break
    return text, _summary_buttons(content, result, assessment_id, fold)


def render_notes(content: Content, result: Result, assessment_id: int) -> Screen:
    """Every doctor's note with its reasons, for a summary that had to fold some."""
    parts = [f"<b>{content.text('result.headline', title=result.level.title)}</b>"]
    parts.extend(_nudge_lines(content, result, _FOLDS[0], full=False))
    back = Button(content.raw_text("result.back_button"), back_data(assessment_id))
    return Screen("\n\n".join(parts), ((back,),))


# --------------------------------------------------------------------------------------------
# One cause, opened from the summary


def _cause_block(content: Content, number: int, match: CauseMatch) -> str:
    lines = [
        f"<b>{content.text('result.cause_title', n=number, name=match.cause.name)}</b>",
        _esc(match.cause.explanation),
    ]
    if match.evidence:
        items = "; ".join(match.evidence)
        lines.append(f"<i>{content.text('result.evidence', items=items)}</i>")
    if match.cause.tips:
        lines.append(f"<i>{content.text('result.tips_heading')}</i>")
        lines.extend(f"• {_esc(tip)}" for tip in match.cause.tips)
    return "\n".join(lines)


def render_cause(
    content: Content, result: Result, assessment_id: int, cause_id: str
) -> Screen | None:
    """A shown cause's explanation and tips; None when the result does not show that cause."""
    for number, match in enumerate(result.causes, start=1):
        if match.cause.id == cause_id:
            text = "\n\n".join(
                (
                    f"<i>{content.text('result.headline', title=result.level.title)}</i>",
                    _cause_block(content, number, match),
                )
            )
            back = Button(content.raw_text("result.back_button"), back_data(assessment_id))
            return Screen(text, ((back,),))
    return None


# --------------------------------------------------------------------------------------------
# A stop in the safety check


def _stopped_text(content: Content, result: Result) -> str:
    top = tuple(n for n in result.nudges if n.level.rank == result.level.rank)
    parts = [f"<b>{_esc(result.level.title)}</b>", _esc(result.level.advice)]
    parts.extend(_esc(n.text) for n in top if n.text)
    reasons = _reasons(top, None)
    if reasons:
        parts.append(
            f"<i>{content.text('result.stopped_because', reasons='; '.join(reasons))}</i>"
        )
    return "\n\n".join(parts)


def undo_data(assessment_id: int, question_id: str) -> str:
    return QuestionPress(assessment_id, question_id, UNDO).pack()


def render_stopped(
    content: Content, result: Result, assessment_id: int, stop_question: str | None
) -> Screen:
    """What to do now, and why, in full; the one button takes a mistaken tap back."""
    buttons: tuple[tuple[Button, ...], ...] = ()
    if stop_question is not None:
        buttons = (
            (
                Button(
                    content.raw_text("result.undo_button"),
                    undo_data(assessment_id, stop_question),
                ),
            ),
        )
    return Screen(_stopped_text(content, result), buttons)


# --------------------------------------------------------------------------------------------
# The full text: stored with the result and exported


def full_text(content: Content, result: Result) -> str:
    """Everything the result says, as plain text: nothing is lost by folding the screen."""
    if result.stopped:
        return plain(_stopped_text(content, result))
    parts = [
        f"{content.text('result.headline', title=result.level.title)}\n{_esc(result.level.advice)}"
    ]
    parts.extend(_nudge_lines(content, result, _Fold(99, None), full=True))
    if result.causes:
        parts.append(content.text("result.causes_heading"))
        parts.extend(
            _cause_block(content, n, match) for n, match in enumerate(result.causes, start=1)
        )
    else:
        parts.append(_no_cause(content, result))
    parts.append(content.text("result.safety_net"))
    parts.append(content.text("result.not_diagnosis"))
    return plain("\n\n".join(parts))


# --------------------------------------------------------------------------------------------
# Worst cases, checked when the content is loaded


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
        matches.append(CauseMatch(cause, 99, tuple(evidence), 99, len(evidence)))
    matches.sort(key=lambda m: -len(_cause_block(content, 1, m)))
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
    return Result(level, tuple(matches[: logic.MAX_CAUSES]), tuple(nudges), False)


def worst_result_problems(content: Content) -> list[str]:
    problems = []
    longest = worst_result(content, stopped=False)
    length = len(render_summary(content, longest, MAX_ASSESSMENT_ID).text)
    if length > MAX_MESSAGE:
        problems.append(
            f"the longest possible result is {length} characters, over Telegram's "
            f"{MAX_MESSAGE}: shorten cause names, rule texts or level advice"
        )
    for match in longest.causes:
        screen = render_cause(content, longest, MAX_ASSESSMENT_ID, match.cause.id)
        if screen is not None and len(screen.text) > MAX_MESSAGE:
            problems.append(
                f"the longest possible result is {len(screen.text)} characters, over "
                f"Telegram's {MAX_MESSAGE}: shorten the explanation or tips of the longest cause"
            )
    screen = render_summary(content, longest, MAX_ASSESSMENT_ID)
    for button in screen.all_buttons():
        if len(button.data.encode()) > MAX_CALLBACK_DATA:
            problems.append(
                f"callback data '{button.data}' is {len(button.data.encode())} bytes, "
                f"over Telegram's {MAX_CALLBACK_DATA}"
            )
    length = len(_stopped_text(content, worst_result(content, stopped=True)))
    if length > MAX_MESSAGE:
        problems.append(
            f"the longest emergency-screen result is {length} characters, over Telegram's "
            f"{MAX_MESSAGE}: shorten the urgent and emergency rule texts or level advice"
        )
    return problems
