"""What `cramp-bot check-content` tells an author beyond "valid": a summary and warnings.

The summary says how big the questionnaire is, which answers point to each cause and what sets
each urgency level. Warnings point at content that is valid but probably not what the author
meant; they never change the exit code. The rules (also in content/README.md):

- a cause that can never rank first: no answers found give it at least its min_score and more
  points than every other cause shown (a tie goes to the cause listed first in causes.yaml);
- an option that changes nothing: a tickable option of a multi-select with no points, no flag
  that a rule or skip rule uses, and not named by any rule or skip rule. Exclusive options
  ("None of these", "Not sure") are exempt: they are how a person says no. In a single-choice
  question, or a list without "None of these" (where the cramps are), an option without
  effect is the everyday answer ("18 to 39", "Calves"), which is fine; only such a question
  where no option has any effect is reported;
- a flag that no rule or skip rule uses (setting it changes nothing);
- a question that every path skips (its skip rule can only hold after a stop answer, say).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from bot.authoring.simulate import PathSpace
from bot.content import conditions as cond
from bot.content.model import (
    CAUSE_FILE,
    LEVEL_RANKS,
    QUESTION_FILE,
    SELF_CARE,
    TRIAGE_FILE,
    Cause,
    Content,
    Option,
    Question,
)
from bot.questionnaire import logic

Answer = tuple[str, ...]

# --------------------------------------------------------------------------------------------
# Conditions in words (also used by the diagram)


def quoted(labels: Iterable[str], joiner: str) -> str:
    items = [f'"{label}"' for label in labels]
    if len(items) == 1:
        return items[0]
    return f"{', '.join(items[:-1])} {joiner} {items[-1]}"


def _labels(content: Content, qid: str, oids: Iterable[str]) -> list[str]:
    question = content.question(qid)
    labels = []
    for oid in oids:
        option = question.option(oid) if question is not None else None
        labels.append(option.label if option is not None else oid)
    return labels


def flag_setters(content: Content, flag: str) -> list[tuple[Question, Option]]:
    return [(q, o) for q in content.questions for o in q.options if flag in o.flags]


def describe_condition(
    content: Content, condition: cond.Condition, *, expand_flags: bool = False
) -> str:
    """A condition as a reviewer reads it: `meds: "Yes, a new one"`, `being pregnant`, ...

    With `expand_flags`, a flag is named by its id and the answers that set it."""

    def words(node: cond.Condition, nested: bool) -> str:
        match node:
            case cond.ChoseAny(qid, oids):
                return f"{qid}: {quoted(_labels(content, qid, oids), 'or')}"
            case cond.ChoseNone(qid, oids):
                labels = _labels(content, qid, oids)
                if len(labels) == 1:
                    return f'{qid}: not "{labels[0]}"'
                return f"{qid}: none of {quoted(labels, 'or')}"
            case cond.HasFlag(flag):
                if expand_flags:
                    setters = "; ".join(
                        f'{q.id}: "{o.label}"' for q, o in flag_setters(content, flag)
                    )
                    return f"flag {flag} ({setters})"
                return content.flags.get(flag, flag)
            case cond.AllOf(items) | cond.AnyOf(items):
                joiner = " and " if isinstance(node, cond.AllOf) else " or "
                text = joiner.join(words(item, True) for item in items)
                return f"({text})" if nested and len(items) > 1 else text
            case cond.Not(item):
                return f"not ({words(item, False)})"
        raise TypeError(f"not a condition: {node!r}")  # pragma: no cover

    return words(condition, False)


# --------------------------------------------------------------------------------------------
# Summary


def _points(value: int) -> str:
    return f"+{value}" if value > 0 else str(value)


def cause_sources(content: Content, cause: Cause) -> list[tuple[Question, Option, int]]:
    return [
        (q, o, o.points[cause.id])
        for q in content.questions
        for o in q.options
        if o.points.get(cause.id, 0) != 0
    ]


# When the skip rules are too tangled to count paths exactly, walk up to this many.
EXPLICIT_LIMIT = 100_000


def count_paths(space: PathSpace) -> str:
    """The number of paths, exactly; "more than N" when they cannot be counted cheaply."""
    total = space.count()
    if total is not None:
        return f"{total:,}"
    walked = sum(1 for _ in zip(range(EXPLICIT_LIMIT + 1), space.walk(), strict=False))
    return f"{walked:,}" if walked <= EXPLICIT_LIMIT else f"more than {EXPLICIT_LIMIT:,}"


def summary_lines(content: Content, space: PathSpace) -> list[str]:
    return [
        f"content version {content.version}: {len(content.questions)} questions, "
        f"{len(content.causes)} causes, {len(content.flags)} flags, "
        f"{len(content.rules)} urgency rules, {len(content.texts)} texts",
        f"paths: {count_paths(space)} (one answer per question asked, each option or every "
        "box of a list ticked at once, following the skip rules)",
    ]


def causes_lines(content: Content) -> list[str]:
    # "short: label" is how the result itself names the answers ("What in your answers points
    # to it"); the ids say where to find each one in questions.yaml.
    lines = ["causes, and the answers that give them points:"]
    for cause in content.causes:
        unit = "point" if cause.min_score == 1 else "points"
        lines.append(f'  {cause.id} "{cause.name}" (shown from {cause.min_score} {unit}):')
        for question, option, value in cause_sources(content, cause):
            where = f"[{question.id}.{option.id}]"
            lines.append(f"    {_points(value)} {question.short}: {option.label} {where}")
    return lines


def levels_lines(content: Content) -> list[str]:
    lines = ["urgency levels, and what sets each:"]
    for lid in sorted(LEVEL_RANKS, key=lambda level: -LEVEL_RANKS[level]):
        level = content.level(lid)
        rules = [rule for rule in content.rules if rule.level == lid]
        if lid == SELF_CARE:
            lines.append(f'  {lid} "{level.title}": when no rule above fires; calm notes:')
        else:
            lines.append(f'  {lid} "{level.title}":')
        if not rules:
            lines.append("    (no rule)")
        for rule in rules:
            lines.append(
                f"    {rule.id}: {describe_condition(content, rule.when, expand_flags=True)}"
            )
    return lines


# --------------------------------------------------------------------------------------------
# Warnings


def _condition_refs(content: Content) -> tuple[set[tuple[str, str]], set[str]]:
    """(question id, option id) pairs and flags named by any skip rule or urgency rule."""
    conditions = [q.ask_if for q in content.questions if q.ask_if is not None]
    conditions += [rule.when for rule in content.rules]
    options: set[tuple[str, str]] = set()
    flags: set[str] = set()
    for condition in conditions:
        for _, leaf, _ in cond.leaves(condition):
            if isinstance(leaf, cond.HasFlag):
                flags.add(leaf.flag)
            else:
                options.update((leaf.question, oid) for oid in leaf.options)
    return options, flags


def _has_effect(
    question: Question, option: Option, named: set[tuple[str, str]], used_flags: set[str]
) -> bool:
    return (
        any(value != 0 for value in option.points.values())
        or bool(used_flags & set(option.flags))
        or option.stop
        or (question.id, option.id) in named
    )


def _scores(content: Content, answers: Mapping[str, Answer]) -> dict[str, int]:
    scores: dict[str, int] = {}
    for qid, chosen in logic.effective_answers(content, answers).items():
        question = content.question(qid)
        for oid in chosen:
            option = question.option(oid) if question is not None else None
            for cid, value in option.points.items() if option is not None else ():
                scores[cid] = scores.get(cid, 0) + value
    return scores


def _tries(question: Question, cid: str) -> list[Answer]:
    """Answers worth trying when looking for a result that puts `cid` first."""
    options = [o for o in question.options if not o.stop]
    tries: list[Answer] = [(o.id,) for o in options]
    if question.kind == "multi":
        tickable = [o for o in options if not o.exclusive]
        helpful = tuple(o.id for o in tickable if o.points.get(cid, 0) > 0)
        only = tuple(
            o.id
            for o in tickable
            if o.points.get(cid, 0) > 0 and all(v <= 0 for k, v in o.points.items() if k != cid)
        )
        every = tuple(o.id for o in tickable)
        for extra in (helpful, only, every):
            if extra and extra not in tries:
                tries.append(extra)
    return tries


def can_rank_first(content: Content, cause: Cause) -> bool:
    """Look for answers that rank `cause` first in a finished result.

    A greedy start (per question, the answer with most points for it and fewest for others),
    then changes of one answer at a time while they bring it closer to first place. Exact for
    small questionnaires in practice; a "never" from it means "no way found", which is what a
    warning needs."""
    order = {c.id: i for i, c in enumerate(content.causes)}
    unbeatable = 10**9

    def standing(answers: Mapping[str, Answer]) -> tuple[int, int, int]:
        if logic.is_stopped(content, answers):
            return (-unbeatable, -unbeatable, -unbeatable)
        scores = _scores(content, answers)
        own = scores.get(cause.id, 0)
        margin = unbeatable
        for other in content.causes:
            theirs = scores.get(other.id, 0)
            if other.id == cause.id or theirs < other.min_score:
                continue
            # Doubled so that a tie lost on the order of causes.yaml counts as half a point.
            lost_tie = 1 if order[other.id] < order[cause.id] else 0
            margin = min(margin, 2 * (own - theirs) - lost_tie)
        return (min(0, own - cause.min_score), margin, own)

    def first(key: tuple[int, int, int]) -> bool:
        return key[0] == 0 and key[1] > 0

    def greedy(question: Question) -> Answer:
        def value(answer: Answer) -> tuple[int, int]:
            chosen = [o for oid in answer if (o := question.option(oid)) is not None]
            own = sum(o.points.get(cause.id, 0) for o in chosen)
            others = sum(v for o in chosen for k, v in o.points.items() if k != cause.id and v > 0)
            return own, -others

        return max(_tries(question, cause.id), key=value)

    answers: dict[str, Answer] = {q.id: greedy(q) for q in content.questions}
    best = standing(answers)
    for _ in range(len(content.questions) + 1):
        improved = False
        for question in content.questions:
            for answer in _tries(question, cause.id):
                trial = {**answers, question.id: answer}
                key = standing(trial)
                if key > best:
                    answers, best, improved = trial, key, True
            if first(best):
                return True
        if not improved:
            break
    return first(best)


def warning_lines(content: Content, space: PathSpace, folder: str) -> list[str]:
    qfile, cfile, tfile = (f"{folder}/{name}" for name in (QUESTION_FILE, CAUSE_FILE, TRIAGE_FILE))
    warnings: list[str] = []
    for i, cause in enumerate(content.causes):
        if not can_rank_first(content, cause):
            warnings.append(
                f"{cfile}: causes[{i}] ({cause.id}): can never rank first: no answers found "
                "that give it its min_score and more points than every other cause"
            )
    named, used_flags = _condition_refs(content)
    for i, question in enumerate(content.questions):
        effects = [_has_effect(question, o, named, used_flags) for o in question.options]
        # A list without "None of these" describes (where the cramps are), like a single
        # choice: its everyday boxes need no effect, as long as some box has one.
        describes = not any(o.exclusive for o in question.options)
        if question.kind == "single" or describes:
            if not any(effects):
                warnings.append(
                    f"{qfile}: questions[{i}] ({question.id}): no answer changes anything "
                    "(no points, no used flags, no rule or skip rule names an option)"
                )
            continue
        for j, (option, effect) in enumerate(zip(question.options, effects, strict=True)):
            if not effect and not option.exclusive:
                warnings.append(
                    f"{qfile}: questions[{i}].options[{j}] ({question.id}.{option.id}): "
                    "changes nothing: no points, no used flags, no rule or skip rule names it"
                )
    for flag in content.flags:
        if flag not in used_flags:
            warnings.append(
                f"{tfile}: flags.{flag}: no rule or skip rule uses this flag, so setting it "
                "changes nothing"
            )
    asked = space.asked()
    if asked is not None:
        for i, question in enumerate(content.questions):
            if question.id not in asked:
                warnings.append(
                    f"{qfile}: questions[{i}] ({question.id}): every path skips this question"
                )
    return warnings
