"""Checks across the content files, run once at load: dangling references, questions that
can never be asked, stops without an urgent rule, and the worst-case render of every screen.

It may import the content model, the reader and the questionnaire's logic and renderer (to
render the longest possible result); the questionnaire never imports this module.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from bot.content import conditions as cond
from bot.content.conditions import Condition
from bot.content.model import (
    CAUSE_FILE,
    LEVEL_RANKS,
    QUESTION_FILE,
    TRIAGE_FILE,
    Content,
    Question,
    Rule,
)
from bot.content.reader import Problems, Reader

if TYPE_CHECKING:
    from bot.questionnaire.logic import Result

# --------------------------------------------------------------------------------------------
# Cross-references and reachability


def check_condition_refs(
    condition: Condition,
    where: str,
    r: Reader,
    questions: list[Question],
    flag_ids: set[str],
    *,
    before: int | None = None,
) -> None:
    """Dangling ids; with `before`, also references to this or later questions (ask_if)."""
    index = {q.id: i for i, q in enumerate(questions)}
    for sub, leaf, _ in cond.leaves(condition):
        at = f"{where}{sub}"
        if isinstance(leaf, cond.HasFlag):
            if leaf.flag not in flag_ids:
                r.error(f"{at}.flag", f"unknown flag '{leaf.flag}'")
            elif before is not None:
                setters = [
                    i for i, q in enumerate(questions) for o in q.options if leaf.flag in o.flags
                ]
                if setters and min(setters) >= before:
                    r.error(
                        f"{at}.flag",
                        f"flag '{leaf.flag}' is only set by this or later questions",
                    )
            continue
        if leaf.question not in index:
            r.error(f"{at}.q", f"unknown question '{leaf.question}'")
            continue
        question = questions[index[leaf.question]]
        if before is not None and index[leaf.question] >= before:
            r.error(
                f"{at}.q",
                f"refers to question '{leaf.question}', which is not asked before this one",
            )
        key = "any" if isinstance(leaf, cond.ChoseAny) else "none"
        for oid in leaf.options:
            if question.option(oid) is None:
                r.error(f"{at}.{key}", f"unknown option '{oid}' of question '{leaf.question}'")


def max_points(questions: Iterable[Question], cause_id: str) -> int:
    best = 0
    for question in questions:
        values = [option.points.get(cause_id, 0) for option in question.options]
        if question.kind == "multi":
            tickable = sum(
                max(0, option.points.get(cause_id, 0))
                for option in question.options
                if not option.exclusive
            )
            values.append(tickable)
        best += max(0, *values)
    return best


def check_flags_used(questions: list[Question], flags: dict[str, str], r: Reader) -> None:
    set_somewhere = {flag for q in questions for o in q.options for flag in o.flags}
    for fid in flags:
        if fid not in set_somewhere:
            r.error(f"flags.{fid}", "no option sets this flag, so rules using it never fire")


def check_stops(questions: list[Question], rules: list[Rule], r: Reader) -> None:
    emergency = [rule for rule in rules if rule.level == "emergency"]
    for i, question in enumerate(questions):
        for j, option in enumerate(question.options):
            if not option.stop:
                # An emergency sign must end the questionnaire at once: ten more questions
                # would only keep someone from calling for help.
                sets_off = [
                    rule.id
                    for rule in emergency
                    if cond.evaluate(rule.when, {}, set(option.flags))
                ]
                if sets_off and question.kind == "single":
                    r.error(
                        f"questions[{i}].options[{j}]",
                        f"sets off the emergency rule '{sets_off[0]}' on its own, so it must end "
                        "the questionnaire: add stop: true",
                    )
                elif sets_off:
                    r.error(
                        f"questions[{i}].options[{j}]",
                        f"sets off the emergency rule '{sets_off[0]}' on its own, but a "
                        "multi-select cannot end the questionnaire: ask it in a single-choice "
                        "safety question with stop: true",
                    )
                continue
            # A stop answer must say what to do: at least "see a doctor" (the age question
            # ends with advice for young people; the safety check with urgent or emergency).
            answers = {question.id: (option.id,)}
            fired = [
                rule
                for rule in rules
                if LEVEL_RANKS.get(rule.level, 0) > LEVEL_RANKS["self_care"]
                and cond.evaluate(rule.when, answers, set(option.flags))
            ]
            if not fired:
                r.error(
                    f"questions[{i}].options[{j}].stop",
                    "ends the questionnaire, but no rule above self_care fires for it",
                )


def check_composed(
    content: Content, names: dict[str, str], problems: Problems, level_where: dict[str, str]
) -> None:
    """Render the worst cases: every question screen and the longest possible result."""
    from bot.questionnaire import render

    for i, question in enumerate(content.questions):
        for problem in render.question_screen_problems(content, question):
            problems.add(names[QUESTION_FILE], f"questions[{i}]", problem)
    for problem in render.worst_result_problems(content):
        # The length is the sum of many texts in several files: blame the longest one, where
        # shortening helps most, and say how the rest adds up.
        worst = render.worst_result(content, stopped="emergency-screen" in problem)
        parts = _result_parts(content, worst, names, level_where)
        length, file, where, what, _ = max(parts, key=lambda part: part[0])
        totals: dict[str, int] = {}
        for size, _, _, _, group in parts:
            totals[group] = totals.get(group, 0) + size
        in_all = ", ".join(f"{group} {size}" for group, size in totals.items())
        headline = problem.split(": shorten", 1)[0]
        problems.add(
            file,
            where,
            f"{headline}; the longest part is {what} ({length} characters); "
            f"{in_all} characters in all",
        )


def _result_parts(
    content: Content, result: Result, names: dict[str, str], level_where: dict[str, str]
) -> list[tuple[int, str, str, str, str]]:
    """(length, file, key path, what, group) of each text that goes into a result."""
    parts: list[tuple[int, str, str, str, str]] = []
    for match in result.causes:
        cause = match.cause
        i = content.causes.index(cause)
        parts.append(
            (
                len(cause.explanation) + sum(len(tip) for tip in cause.tips),
                names[CAUSE_FILE],
                f"causes[{i}] ({cause.id})",
                "this cause's explanation and tips",
                "cause texts",
            )
        )
    rule_index = {rule.id: i for i, rule in enumerate(content.rules)}
    for nudge in result.nudges:
        if nudge.text:
            parts.append(
                (
                    len(nudge.text),
                    names[TRIAGE_FILE],
                    f"rules[{rule_index[nudge.rule_id]}] ({nudge.rule_id}).text",
                    "this rule's text",
                    "rule texts",
                )
            )
    parts.append(
        (
            len(result.level.advice),
            names[TRIAGE_FILE],
            f"{level_where[result.level.id]} ({result.level.id}).advice",
            "this level's advice",
            "level advice",
        )
    )
    return parts
