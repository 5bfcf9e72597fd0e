"""The questionnaire's paths: count them, find the questions they reach, and simulate outcomes.

A *path* is one way through the questionnaire: each question the skip rules ask gets one
answer, where an answer is one option, or for a multi-select also "every box ticked at once"
(the same representative answers content validation uses: conditions only ask "was one of
these chosen", so these cover every case a skip rule or an urgency rule can tell apart). A
stop answer ends the path.

Counting is exact: only the answers a skip rule refers to change which questions follow, so
the number of ways to finish from a point depends on few things and is remembered. The same
counts let `cramp-bot check-content --simulate` draw a random sample in which every path is
equally likely, so a sample estimates what walking every path would show.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from bot import assessment as logic
from bot import conditions as cond
from bot.content import LEVEL_RANKS, Content, Question, candidate_answers

Answer = tuple[str, ...]
# The part of the answers so far that a skip rule can see: (question id, answer) pairs and flags.
_Seen = tuple[tuple[str, Answer], ...]
_Flags = frozenset[str]

EXHAUSTIVE_LIMIT = 20_000  # walk every path up to this many, else sample
SAMPLE_SIZE = 20_000
SEED = 20_260_101  # fixed, so two runs on the same content print the same numbers
# Beyond this many remembered points the skip rules are too tangled to count exactly.
MAX_STATES = 200_000

NOTHING = "nothing stands out"
STOPPED = "ended at the safety check"


class TooManyStates(Exception):
    """The skip rules depend on so many earlier answers that exact counting is not feasible."""


def _stops(question: Question, chosen: Answer) -> bool:
    return any((option := question.option(oid)) is not None and option.stop for oid in chosen)


class PathSpace:
    """Every path through one content's questionnaire, counted once and then walked or sampled."""

    def __init__(self, content: Content) -> None:
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
        self._choices = {q.id: candidate_answers(q) for q in self.questions}
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

    def sample(self, size: int, rng: random.Random) -> Iterator[dict[str, Answer]]:
        """`size` paths drawn at random, each path equally likely (each answer equally likely
        at each question when the paths could not be counted)."""
        counted = self.count() is not None
        for _ in range(size):
            answers: dict[str, Answer] = {}
            seen: _Seen = ()
            flags: _Flags = frozenset()
            index = self._next_asked(0, seen, flags)
            while index < len(self.questions):
                question = self.questions[index]
                choices = self._choices[question.id]
                if counted:
                    weights = [
                        1
                        if _stops(question, chosen)
                        else self._count_from(
                            index + 1, *self._after(question, chosen, seen, flags)
                        )
                        for chosen in choices
                    ]
                    pick = rng.randrange(sum(weights))
                    position = 0
                    while pick >= weights[position]:
                        pick -= weights[position]
                        position += 1
                    chosen = choices[position]
                else:
                    chosen = rng.choice(choices)
                answers[question.id] = chosen
                if _stops(question, chosen):
                    break
                seen, flags = self._after(question, chosen, seen, flags)
                index = self._next_asked(index + 1, seen, flags)
            yield answers


# --------------------------------------------------------------------------------------------
# Simulation


@dataclass(frozen=True)
class Simulation:
    total: int | None  # paths in all (None: too many to count)
    walked: int  # paths looked at
    sampled: bool
    seed: int
    top: Counter[str]  # cause id, NOTHING or STOPPED -> paths
    levels: Counter[str]  # level id -> paths


def simulate(
    content: Content,
    *,
    space: PathSpace | None = None,
    limit: int = EXHAUSTIVE_LIMIT,
    sample_size: int = SAMPLE_SIZE,
    seed: int = SEED,
) -> Simulation:
    """Every path when there are at most `limit`, else a seeded random sample."""
    space = space or PathSpace(content)
    total = space.count()
    sampled = total is None or total > limit
    paths = space.sample(sample_size, random.Random(seed)) if sampled else space.walk()
    top: Counter[str] = Counter()
    levels: Counter[str] = Counter()
    walked = 0
    for answers in paths:
        walked += 1
        result = logic.evaluate(content, answers)
        levels[result.level.id] += 1
        if result.stopped:
            top[STOPPED] += 1
        elif result.causes:
            top[result.causes[0].cause.id] += 1
        else:
            top[NOTHING] += 1
    return Simulation(total, walked, sampled, seed, top, levels)


def _percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:5.1f}%" if whole else "  0.0%"


def format_simulation(content: Content, simulation: Simulation) -> list[str]:
    """The report: one table of top causes and one of urgency levels, counts and percentages.

    Causes are listed in the order of causes.yaml, with zero counts too, so two runs (before
    and after an edit) line up row by row."""
    if not simulation.sampled:
        head = f"simulation: every one of the {simulation.walked:,} paths"
    elif simulation.total is None:
        head = (
            f"simulation: a random sample of {simulation.walked:,} paths (seed "
            f"{simulation.seed}; too many to count, so each answer is equally likely at each "
            "question)"
        )
    else:
        head = (
            f"simulation: a random sample of {simulation.walked:,} of the "
            f"{simulation.total:,} paths (seed {simulation.seed}; every path equally likely)"
        )
    cause_rows = [(f"{c.name} ({c.id})", simulation.top[c.id]) for c in content.causes]
    cause_rows.append((NOTHING, simulation.top[NOTHING]))
    cause_rows.append((STOPPED, simulation.top[STOPPED]))
    level_rows = [
        (level, simulation.levels[level])
        for level in sorted(LEVEL_RANKS, key=lambda lid: -LEVEL_RANKS[lid])
    ]
    width = max(len(label) for label, _ in cause_rows + level_rows)
    digits = len(f"{simulation.walked:,}")

    def row(label: str, count: int) -> str:
        return (
            f"  {label:<{width}}  {count:>{digits},}  {_percent(count, simulation.walked)}"
        ).rstrip()

    return [
        head,
        "top cause (the cause ranked first):",
        *(row(label, count) for label, count in cause_rows),
        "urgency level:",
        *(row(label, count) for label, count in level_rows),
        "note: random answers tick far more warning signs than real people do; compare the "
        "numbers before and after an edit, not with real life.",
    ]
