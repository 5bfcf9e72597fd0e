"""The questionnaire's paths: count them, find the questions they reach, and simulate outcomes.

A *path* is one way through the questionnaire: each question the skip rules ask gets one
answer, where an answer is one option, or for a multi-select also "every box ticked at once"
(the same representative answers content validation uses: conditions only ask "was one of
these chosen", so these cover every case a skip rule or an urgency rule can tell apart). A
stop answer ends the path.

Counting is exact: only the answers a skip rule refers to change which questions follow, so
the number of ways to finish from a point depends on few things and is remembered.

`cramp-bot check-content --simulate` reports in two parts. The safety check (the questions at
the start with answers that end the questionnaire) is not simulated: each of its stop answers
is listed with the level it ends at, exactly. The rest is simulated for the people who pass it,
with every box combination of a list as its own answer and chances like a person's: each
option of a one-answer question equally likely, each box of a list ticked on its own with a
modest chance. Few enough combinations are walked, each weighted by its chance, so the shares
are exact; otherwise a seeded sample is drawn with the same chances.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from itertools import combinations

from bot.content import conditions as cond
from bot.content.model import LEVEL_RANKS, Content, Option, Question
from bot.content.reachability import candidate_answers
from bot.questionnaire import logic

Answer = tuple[str, ...]
# The part of the answers so far that a skip rule can see: (question id, answer) pairs and flags.
_Seen = tuple[tuple[str, Answer], ...]
_Flags = frozenset[str]

EXHAUSTIVE_LIMIT = 20_000  # walk every way past the safety check up to this many, else sample
SAMPLE_SIZE = 20_000
SEED = 20_260_101  # fixed, so two runs on the same content print the same numbers
# The chance that a simulated person ticks one box of a list. Uniform over every combination
# would tick half the boxes of every list, far more warning signs than people report; with
# 1 in 5 nearly every result of the real content still had a sign that calls for a doctor.
TICK = Fraction(1, 10)
# Beyond this many remembered points the skip rules are too tangled to count exactly.
MAX_STATES = 200_000

NOTHING = "nothing stands out"
STOPPED = "ended at a later stop answer"


class TooManyStates(Exception):
    """The skip rules depend on so many earlier answers that exact counting is not feasible."""


def _stops(question: Question, chosen: Answer) -> bool:
    return any((option := question.option(oid)) is not None and option.stop for oid in chosen)


class PathSpace:
    """Every path through one content's questionnaire, counted once and then walked."""

    def __init__(
        self, content: Content, choices: Mapping[str, Sequence[Answer]] | None = None
    ) -> None:
        """`choices`: the answers to try per question id (default: the representative ones)."""
        self.content = content
        self.questions = content.questions
        watched_q: set[str] = set()
        watched_f: set[str] = set()
        for question in self.questions:
            if question.ask_if is not None:
                watched_q |= cond.referenced_questions(question.ask_if)
                watched_f |= cond.referenced_flags(question.ask_if)
        self._watched_q = watched_q
        self._watched_f = watched_f
        self._choices = {
            q.id: list(choices[q.id]) if choices is not None else candidate_answers(q)
            for q in self.questions
        }
        self._memo: dict[tuple[int, _Seen, _Flags], int] = {}
        self._asked: set[str] = set()
        self._total: int | None = None
        self._counted = False

    # -- the small state a skip rule can see ---------------------------------------------------

    def _next_asked(self, start: int, seen: _Seen, flags: _Flags) -> int:
        """Index of the first question from `start` that the skip rules ask (len: finished)."""
        answers = dict(seen)
        index = start
        while index < len(self.questions):
            ask_if = self.questions[index].ask_if
            if ask_if is None or cond.evaluate(ask_if, answers, flags):
                return index
            index += 1
        return index

    def _after(
        self, question: Question, chosen: Answer, seen: _Seen, flags: _Flags
    ) -> tuple[_Seen, _Flags]:
        if question.id in self._watched_q:
            seen = (*seen, (question.id, chosen))
        new_flags = {
            flag
            for oid in chosen
            if (option := question.option(oid)) is not None
            for flag in option.flags
            if flag in self._watched_f
        }
        return seen, flags | new_flags if new_flags else flags

    def _count_from(self, start: int, seen: _Seen, flags: _Flags) -> int:
        key = (start, seen, flags)
        known = self._memo.get(key)
        if known is not None:
            return known
        if len(self._memo) >= MAX_STATES:
            raise TooManyStates
        index = self._next_asked(start, seen, flags)
        if index == len(self.questions):
            total = 1
        else:
            question = self.questions[index]
            self._asked.add(question.id)
            total = 0
            for chosen in self._choices[question.id]:
                if _stops(question, chosen):
                    total += 1
                else:
                    total += self._count_from(
                        index + 1, *self._after(question, chosen, seen, flags)
                    )
        self._memo[key] = total
        return total

    # -- public ------------------------------------------------------------------------------

    def count(self) -> int | None:
        """The exact number of paths; None when the skip rules make that too costly."""
        if not self._counted:
            self._counted = True
            try:
                self._total = self._count_from(0, (), frozenset())
            except TooManyStates:
                self._total = None
        return self._total

    def asked(self) -> set[str] | None:
        """Ids of the questions some path asks; None when the paths could not be counted."""
        return set(self._asked) if self.count() is not None else None

    def walk(self) -> Iterator[dict[str, Answer]]:
        """Every path, in the order of the questions and options (stable between runs)."""

        def go(
            start: int, answers: dict[str, Answer], seen: _Seen, flags: _Flags
        ) -> Iterator[dict[str, Answer]]:
            index = self._next_asked(start, seen, flags)
            if index == len(self.questions):
                yield answers
                return
            question = self.questions[index]
            for chosen in self._choices[question.id]:
                following = {**answers, question.id: chosen}
                if _stops(question, chosen):
                    yield following
                else:
                    yield from go(
                        index + 1, following, *self._after(question, chosen, seen, flags)
                    )

        yield from go(0, {}, (), frozenset())


# --------------------------------------------------------------------------------------------
# Simulation


def safety_questions(content: Content) -> list[Question]:
    """The safety check: the questions at the start, asked of everyone, with stop answers."""
    found: list[Question] = []
    for question in content.questions:
        if question.ask_if is not None or not any(o.stop for o in question.options):
            break
        found.append(question)
    return found


@dataclass(frozen=True)
class Exit:
    """A stop answer of the safety check and the level it ends at."""

    question: Question
    option: Option
    level: str


def safety_exits(content: Content) -> list[Exit]:
    # Evaluated alone: the earlier safety questions were passed, and the later ones are never
    # asked, so nothing else on such a path can feed a rule.
    return [
        Exit(question, option, logic.evaluate(content, {question.id: (option.id,)}).level.id)
        for question in safety_questions(content)
        for option in question.options
        if option.stop
    ]


def _passing(question: Question) -> list[Option]:
    """The answers that pass a safety question: without a stop, and with an order, only its
    least worrying ones (a sore calf is a sign of its own, with a follow-up question)."""
    calm = set(question.order[0]) if question.order else None
    return [o for o in question.options if not o.stop and (calm is None or o.id in calm)]


class PassedModel:
    """The answers of a person past the safety check, and how likely each one is.

    A safety question offers only its answers that do not stop. A one-answer question: each
    option equally likely. A list: each box ticked on its own with chance TICK; when none is
    ticked, the answers that exclude the others ("None of these", "Not sure") share that
    chance, and a list without one is drawn again (the bot asks for at least one box)."""

    def __init__(self, content: Content, tick: Fraction = TICK) -> None:
        self.content = content
        self.tick = tick
        self._tick = float(tick)  # compared with rng.random() per box: a Fraction is slow
        safety = {q.id for q in safety_questions(content)}
        self._offered: dict[str, list[Option]] = {
            q.id: _passing(q) if q.id in safety else list(q.options) for q in content.questions
        }
        self.chances: dict[str, dict[Answer, Fraction]] = {
            q.id: self._chances(q) for q in content.questions
        }

    def _split(self, question: Question) -> tuple[list[Option], list[Option]]:
        offered = self._offered[question.id]
        return [o for o in offered if not o.exclusive], [o for o in offered if o.exclusive]

    def _chances(self, question: Question) -> dict[Answer, Fraction]:
        offered = self._offered[question.id]
        if not offered:
            return {}
        if question.kind != "multi":
            return {(o.id,): Fraction(1, len(offered)) for o in offered}
        boxes, exclusive = self._split(question)
        nothing = (1 - self.tick) ** len(boxes)
        # No "None of these": the redraw spreads the chance of an empty list over the rest.
        scale = 1 if exclusive else 1 / (1 - nothing)
        chances: dict[Answer, Fraction] = {}
        for size in range(1, len(boxes) + 1):
            each = self.tick**size * (1 - self.tick) ** (len(boxes) - size) * scale
            for ticked in combinations(boxes, size):
                chances[tuple(o.id for o in ticked)] = each
        for option in exclusive:
            chances[(option.id,)] = nothing / len(exclusive)
        return chances

    def passing(self) -> list[tuple[Question, list[Option]]]:
        """Each safety question with the answers that pass it."""
        return [(q, self._offered[q.id]) for q in safety_questions(self.content)]

    def space(self) -> PathSpace:
        return PathSpace(self.content, {qid: list(c) for qid, c in self.chances.items()})

    def chance(self, answers: Mapping[str, Answer]) -> Fraction:
        chance = Fraction(1)
        for qid, answer in answers.items():
            chance *= self.chances[qid][answer]
        return chance

    def draw(self, question: Question, rng: random.Random) -> Answer:
        if question.kind != "multi":
            return (rng.choice(self._offered[question.id]).id,)
        boxes, exclusive = self._split(question)
        while True:
            ticked = tuple(o.id for o in boxes if rng.random() < self._tick)
            if ticked:
                return ticked
            if exclusive:
                return (rng.choice(exclusive).id,)

    def sample(self, size: int, rng: random.Random) -> Iterator[dict[str, Answer]]:
        """`size` people past the safety check, drawn with the chances above."""
        for _ in range(size):
            answers: dict[str, Answer] = {}
            flags: set[str] = set()
            for question in self.content.questions:
                if question.ask_if is not None and not cond.evaluate(
                    question.ask_if, answers, flags
                ):
                    continue
                chosen = self.draw(question, rng)
                answers[question.id] = chosen
                options = [o for oid in chosen if (o := question.option(oid)) is not None]
                flags.update(flag for option in options for flag in option.flags)
                if any(option.stop for option in options):
                    break
            yield answers


@dataclass(frozen=True)
class Simulation:
    exits: tuple[Exit, ...]  # exact: every stop answer of the safety check
    total: int | None  # ways past the safety check (None: too many to count)
    walked: int  # ways walked, or people sampled
    sampled: bool
    seed: int
    tick: Fraction
    # Cause id, NOTHING or STOPPED -> weight; level id -> weight. Walked: the chances of the
    # ways (summing to 1). Sampled: the number of people.
    top: dict[str, Fraction]
    levels: dict[str, Fraction]
    weight: Fraction  # the sum of either table
    # (level, rule id) -> weight of the results at that level that the rule helped set
    rules: dict[tuple[str, str], Fraction] = field(default_factory=dict)


def simulate(
    content: Content,
    *,
    space: PathSpace | None = None,
    limit: int = EXHAUSTIVE_LIMIT,
    sample_size: int = SAMPLE_SIZE,
    seed: int = SEED,
    tick: Fraction = TICK,
) -> Simulation:
    """The safety exits, then every way past the safety check when there are at most `limit`,
    else a seeded random sample of people past it.

    `space` (the whole questionnaire's paths) is accepted for existing callers but not used:
    the simulation counts the ways past the safety check itself."""
    del space
    model = PassedModel(content, tick)
    passed = model.space()
    total = passed.count()
    sampled = total is None or total > limit
    top: dict[str, Fraction] = {}
    levels: dict[str, Fraction] = {}
    rules: dict[tuple[str, str], Fraction] = {}
    walked = 0
    paths = model.sample(sample_size, random.Random(seed)) if sampled else passed.walk()
    for answers in paths:
        walked += 1
        weight = Fraction(1) if sampled else model.chance(answers)
        result = logic.evaluate(content, answers)
        levels[result.level.id] = levels.get(result.level.id, Fraction(0)) + weight
        for nudge in result.nudges:
            if nudge.level.id == result.level.id and nudge.level.rank > 0:
                key_ = (nudge.level.id, nudge.rule_id)
                rules[key_] = rules.get(key_, Fraction(0)) + weight
        if result.stopped:
            key = STOPPED
        elif result.causes:
            key = result.causes[0].cause.id
        else:
            key = NOTHING
        top[key] = top.get(key, Fraction(0)) + weight
    return Simulation(
        exits=tuple(safety_exits(content)),
        total=total,
        walked=walked,
        sampled=sampled,
        seed=seed,
        tick=tick,
        top=top,
        levels=levels,
        weight=sum(levels.values(), Fraction(0)),
        rules=rules,
    )


def _percent(part: Fraction, whole: Fraction) -> str:
    # Rounded half up from the exact share: an exact 9.25% must not print as 9.2%.
    tenths = math.floor(1000 * part / whole + Fraction(1, 2)) if whole else 0
    return f"{tenths // 10:3}.{tenths % 10}%"


def _levels_by_rank() -> list[str]:
    return sorted(LEVEL_RANKS, key=lambda lid: -LEVEL_RANKS[lid])


def _exit_lines(simulation: Simulation) -> list[str]:
    head = (
        "simulation, part 1, the safety check (exact, not sampled): each answer that ends the "
        "questionnaire at once, and the level it ends at:"
    )
    if not simulation.exits:
        return [head, "  (none: no question at the start has such an answer)"]
    labels = [f'{e.question.id}: "{e.option.label}"' for e in simulation.exits]
    width = max(len(label) for label in labels)
    per_level = {lid: sum(e.level == lid for e in simulation.exits) for lid in _levels_by_rank()}
    return [
        head,
        *(
            f"  {label:<{width}}  {e.level}"
            for label, e in zip(labels, simulation.exits, strict=True)
        ),
        "  answers per level: " + ", ".join(f"{lid} {n}" for lid, n in per_level.items()),
    ]


def format_simulation(content: Content, simulation: Simulation) -> list[str]:
    """The report: the safety exits, then one table of top causes and one of urgency levels
    among the full results.

    Causes are listed in the order of causes.yaml, with zero counts too, so two runs (before
    and after an edit) line up row by row."""
    passing = "; ".join(
        f"{q.id}: " + " or ".join(f'"{o.label}"' for o in options)
        for q, options in PassedModel(content, simulation.tick).passing()
    )
    past = f"everyone past the safety check ({passing})" if passing else "everyone"
    ways = (
        "more ways than can be counted"
        if simulation.total is None
        else (f"the {simulation.total:,} ways")
    )
    if simulation.sampled:
        how = (
            f"sampled: {simulation.walked:,} people drawn at random (seed {simulation.seed}) "
            f"from {ways}, with the chances below"
        )
    else:
        how = f"exact: every one of {ways}, each weighted by its chance below"
    tick = simulation.tick
    chances = [
        "chances: each option of a one-answer question equally likely; each box of a list "
        f"ticked on its own with chance {tick.numerator} in {tick.denominator}; with none "
        'ticked, "None of these" (shared evenly with "Not sure" and the like)',
    ]
    rows = [(f"{c.name} ({c.id})", simulation.top.get(c.id, Fraction(0))) for c in content.causes]
    rows.append((NOTHING, simulation.top.get(NOTHING, Fraction(0))))
    later_stop = any(
        o.stop for q in content.questions[len(safety_questions(content)) :] for o in q.options
    )
    if later_stop:
        rows.append((STOPPED, simulation.top.get(STOPPED, Fraction(0))))
    level_rows = [(lid, simulation.levels.get(lid, Fraction(0))) for lid in _levels_by_rank()]
    width = max(len(label) for label, _ in rows + level_rows)
    digits = len(f"{simulation.walked:,}")

    def row(label: str, weight: Fraction) -> str:
        share = _percent(weight, simulation.weight)
        if simulation.sampled:
            return f"  {label:<{width}}  {int(weight):>{digits},}  {share}".rstrip()
        return f"  {label:<{width}}  {share}".rstrip()

    return [
        *_exit_lines(simulation),
        f"simulation, part 2, the full results of {past}, {how}:",
        *chances,
        "top cause (the cause ranked first):",
        *(row(label, weight) for label, weight in rows),
        "urgency level:",
        *(row(label, weight) for label, weight in level_rows),
        *_rule_lines(simulation, row),
        "note: compare the numbers before and after an edit, not with real life: the chances "
        "are a rough guess, not how often people answer so.",
    ]


def _rule_lines(simulation: Simulation, row: Callable[[str, Fraction], str]) -> list[str]:
    """Why each level comes out: the rules that set it, with the share of everyone (one
    person can have several, so a level's rules add up to more than the level)."""
    lines: list[str] = []
    for level in _levels_by_rank():
        found = sorted(
            ((rule, weight) for (lid, rule), weight in simulation.rules.items() if lid == level),
            key=lambda item: (-item[1], item[0]),
        )
        if found:
            lines.append(f"{level}, set by (a person may have several):")
            lines.extend(row(f"  {rule}", weight) for rule, weight in found)
    return lines
