"""Which answers can make a condition true: the reachability questions that content
validation, the result renderer's worst case and the authoring tools all ask.

It imports only the content model and the condition language.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable

from bot.content import conditions as cond
from bot.content.conditions import Condition
from bot.content.model import Option, Question

# Beyond this many combinations the reachability check gives up (and assumes reachable).
_MAX_COMBINATIONS = 50_000


def candidate_answers(question: Question, *, allow_stop: bool = True) -> list[tuple[str, ...]]:
    """Answers that stand for all the others where conditions are concerned.

    Conditions only ask "was one of these chosen" or "none of these", so each single option,
    and for a multi-select every tickable option together, cover every case that matters.
    """
    options = [o for o in question.options if allow_stop or not o.stop]
    candidates: list[tuple[str, ...]] = [(option.id,) for option in options]
    tickable = tuple(option.id for option in options if not option.exclusive)
    if question.kind == "multi" and len(tickable) > 1:
        candidates.append(tickable)
    return candidates


def satisfiable(
    condition: Condition, questions: Iterable[Question], *, allow_stop: bool = True
) -> bool:
    """Can some answers to `questions` make `condition` true? (Paths are not considered.)

    Only the questions the condition refers to, directly or through a flag, are varied.
    Without `allow_stop`, answers that end the questionnaire are left out: that is the
    question "can this fire in a finished, non-emergency result?".
    """
    wanted_flags = cond.referenced_flags(condition)
    wanted_questions = cond.referenced_questions(condition)
    relevant = [
        q
        for q in questions
        if q.id in wanted_questions or any(wanted_flags & set(o.flags) for o in q.options)
    ]
    choices: list[list[tuple[str, ...] | None]] = [
        [None, *candidate_answers(q, allow_stop=allow_stop)] for q in relevant
    ]
    total = 1
    for options in choices:
        total *= len(options)
    if total > _MAX_COMBINATIONS:
        return True
    for combo in itertools.product(*choices):
        answers = {q.id: chosen for q, chosen in zip(relevant, combo, strict=True) if chosen}
        flags = {
            flag
            for q, chosen in zip(relevant, combo, strict=True)
            for oid in chosen or ()
            for flag in (q.option(oid) or Option(oid, "")).flags
        }
        if cond.evaluate(condition, answers, flags):
            return True
    return False
