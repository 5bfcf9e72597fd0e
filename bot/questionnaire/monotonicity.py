"""A level only goes up when a sign is added: the property, its proof and its search.

The property: for every answer set a person can reach, adding a sign (ticking one more box of
a list, or choosing a more worrying option of a single-choice question, as its `order` in
questions.yaml ranks them) never gives a lower urgency level. Questions that the new answer
opens are answered in their least worrying way (any more worrying answer is itself a step
up from there); questions it closes are dropped, as the questionnaire drops them.

Two checks, both run by `cramp-bot check-content` and by the tests:

- `rule_problems` reads the rules and skip rules (exact, no sampling): a rule above
  self_care must not depend on the absence of a sign (a `not`, a `none:`, a "None of these"
  option, or an option below another one in its question's order), unless it says why with
  `downgrade:`; a skip rule must not hide a question when a sign is added. When every rule
  passes, the property holds for every answer set, however many there are.
- `search` tries the property on concrete answer sets: all of them when the answers that the
  rules and skip rules can tell apart are few enough (`EXHAUSTIVE_LIMIT`), otherwise every
  answer set of each rule's own questions (the others at their least worrying) plus a seeded
  random sample; each answer set is tried with every one-sign step. A drop it finds is named
  with both answer sets. The tests add a hypothesis search over the real content.

A drop is allowed only when every rule that stopped firing is marked `downgrade:` (its reason
is printed by check-content).
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from bot.content import conditions as cond
from bot.content.model import LEVEL_RANKS, SELF_CARE, Content, Question, Rule
from bot.questionnaire.monotone_rules import downgrades, level_name, rule_problems, tier_of

__all__ = ["downgrades", "rule_problems", "tier_of"]

Answer = tuple[str, ...]
Answers = Mapping[str, Answer]

EXHAUSTIVE_LIMIT = 2_000  # answer sets walked one by one up to this many
PER_RULE_LIMIT = 300  # answer sets of one rule's own questions, beyond this sampled
SAMPLE_SIZE = 300
SEED = 20_261_202
TICK = 0.2  # the chance of each box in a sampled list


# --------------------------------------------------------------------------------------------
# Orders: what "more worrying" means


def steps_up(question: Question, chosen: Answer) -> list[Answer]:
    """Every answer that adds one sign to `chosen`: a box more, or a more worrying option."""
    if question.kind == "multi":
        exclusive = {o.id for o in question.options if o.exclusive}
        ticked = [oid for oid in chosen if oid not in exclusive]
        return [
            tuple(o.id for o in question.options if o.id in ticked or o.id == option.id)
            for option in question.options
            if not option.exclusive and option.id not in ticked
        ]
    if len(chosen) != 1:
        return []
    tier = tier_of(question, chosen[0])
    if tier is None:
        return []
    return [(oid,) for higher in question.order[tier + 1 :] for oid in higher]


def least_worrying(question: Question) -> list[Answer]:
    """The answers a newly opened question gets: each one with no sign above it."""
    if question.kind == "multi":
        exclusive: list[Answer] = [(o.id,) for o in question.options if o.exclusive]
        return exclusive or [(o.id,) for o in question.options]
    if question.order:
        ranked = {oid for tier in question.order for oid in tier}
        lowest: list[Answer] = [(oid,) for oid in question.order[0]]
        return lowest + [(o.id,) for o in question.options if o.id not in ranked]
    return [(o.id,) for o in question.options]


# --------------------------------------------------------------------------------------------
# The engine's level, fast (no scoring, no reasons)


def _walk(content: Content, answers: Answers) -> tuple[dict[str, Answer], set[str], bool]:
    effective: dict[str, Answer] = {}
    flags: set[str] = set()
    for question in content.questions:
        if question.ask_if is not None and not cond.evaluate(question.ask_if, effective, flags):
            continue
        chosen = answers.get(question.id)
        if not chosen:
            continue
        effective[question.id] = chosen
        stop = False
        for oid in chosen:
            option = question.option(oid)
            if option is not None:
                flags.update(option.flags)
                stop = stop or option.stop
        if stop:
            return effective, flags, True
    return effective, flags, False


class _Engine:
    """The rules that fire, remembered by what the rules can see of the answers: most steps
    of the search land on answer sets that differ only where no rule looks."""

    def __init__(self, content: Content) -> None:
        self.content = content
        self.relevant = _relevant_options(content)
        self.memo: dict[tuple[tuple[str, Answer], ...], tuple[Rule, ...]] = {}

    def key(self, effective: Mapping[str, Answer]) -> tuple[tuple[str, Answer], ...]:
        out = []
        for question in self.content.questions:
            chosen = effective.get(question.id)
            if chosen is None:
                continue
            if question.kind == "multi":
                seen = self.relevant[question.id]
                kept = tuple(
                    o for o in chosen if o in seen or ((q := question.option(o)) and q.exclusive)
                )
                chosen = kept or ("",)  # answered, with boxes no rule looks at
            out.append((question.id, chosen))
        return tuple(out)

    def fired(self, answers: Answers) -> tuple[Rule, ...]:
        effective, flags, _ = _walk(self.content, answers)
        key = self.key(effective)
        known = self.memo.get(key)
        if known is None:
            known = tuple(
                rule for rule in self.content.rules if cond.evaluate(rule.when, effective, flags)
            )
            if len(self.memo) < 500_000:
                self.memo[key] = known
        return known


_ENGINES: dict[int, _Engine] = {}


def _engine(content: Content) -> _Engine:
    engine = _ENGINES.get(id(content))
    if engine is None or engine.content is not content:
        engine = _ENGINES[id(content)] = _Engine(content)
    return engine


def fired(content: Content, answers: Answers) -> tuple[Rule, ...]:
    return _engine(content).fired(answers)


def level_of(content: Content, answers: Answers) -> str:
    rules = fired(content, answers)
    return max((r.level for r in rules), key=LEVEL_RANKS.__getitem__, default=SELF_CARE)


def on_path(content: Content, answers: Answers) -> dict[str, Answer]:
    """The answers the questionnaire keeps: those on the path, up to a stop answer."""
    return _walk(content, answers)[0]


def completions(content: Content, answers: Answers) -> Iterator[dict[str, Answer]]:
    """`answers` with every question on the path that has no answer given its least worrying
    answer (each of them, when there are several), following the skip rules."""

    def go(current: dict[str, Answer], start: int) -> Iterator[dict[str, Answer]]:
        effective, flags, stopped = _walk(content, current)
        if stopped:
            yield effective
            return
        for index in range(start, len(content.questions)):
            question = content.questions[index]
            if question.id in effective:
                continue
            if question.ask_if is not None and not cond.evaluate(
                question.ask_if, effective, flags
            ):
                continue
            for chosen in least_worrying(question):
                yield from go({**effective, question.id: chosen}, index + 1)
            return
        yield effective

    yield from go(dict(answers), 0)


# --------------------------------------------------------------------------------------------
# Violations


@dataclass(frozen=True)
class Drop:
    """Adding a sign at `question` lowered the level from `before` to `after`."""

    question: str
    before: dict[str, Answer]
    after: dict[str, Answer]
    level_before: str
    level_after: str
    rules: tuple[str, ...]  # the rules that stopped firing

    def describe(self) -> str:
        return (
            f"adding a sign at '{self.question}' lowers the level from {self.level_before} to "
            f"{self.level_after} (rule {', '.join(self.rules)} stops firing): "
            f"{format_answers(self.before)}  ->  {format_answers(self.after)}"
        )


def format_answers(answers: Answers) -> str:
    return "{" + ", ".join(f"{q}: [{', '.join(a)}]" for q, a in answers.items()) + "}"


def drops_from(content: Content, answers: Answers) -> Iterator[Drop]:
    """Every one-sign step from these (complete, on-path) answers that lowers the level,
    except drops that only marked downgrade rules explain."""
    before_rules = fired(content, answers)
    before = max((LEVEL_RANKS[r.level] for r in before_rules), default=LEVEL_RANKS[SELF_CARE])
    if before == LEVEL_RANKS[SELF_CARE]:
        return
    relevant = _engine(content).relevant
    for question in content.questions:
        chosen = answers.get(question.id)
        if not chosen:
            continue
        for new in steps_up(question, chosen):
            if question.kind == "multi" and not set(new) - set(chosen) <= relevant[question.id]:
                continue  # a box no rule or skip rule looks at changes nothing
            stepped = {**answers, question.id: new}
            for after in completions(content, stepped):
                after_rules = fired(content, after)
                level = max(
                    (LEVEL_RANKS[r.level] for r in after_rules), default=LEVEL_RANKS[SELF_CARE]
                )
                if level >= before:
                    continue
                still = {r.id for r in after_rules}
                lost = [
                    r for r in before_rules if r.id not in still and LEVEL_RANKS[r.level] > level
                ]
                if lost and all(r.downgrade for r in lost):
                    continue
                yield Drop(
                    question.id,
                    dict(answers),
                    after,
                    level_name(before),
                    level_name(level),
                    tuple(r.id for r in lost),
                )


# --------------------------------------------------------------------------------------------
# Searching answer sets


def _relevant_options(content: Content) -> dict[str, set[str]]:
    """Per question, the options a rule or skip rule can see (by id or through a flag)."""
    conditions = [rule.when for rule in content.rules] + [
        q.ask_if for q in content.questions if q.ask_if is not None
    ]
    named: dict[str, set[str]] = {}
    flags: set[str] = set()
    for condition in conditions:
        for _, leaf, _ in cond.leaves(condition):
            if isinstance(leaf, cond.HasFlag):
                flags.add(leaf.flag)
            else:
                named.setdefault(leaf.question, set()).update(leaf.options)
    relevant: dict[str, set[str]] = {}
    for question in content.questions:
        seen = set(named.get(question.id, set()))
        seen |= {o.id for o in question.options if flags & set(o.flags) or o.stop}
        relevant[question.id] = seen
    return relevant


def distinct_answers(question: Question, relevant: set[str]) -> list[Answer]:
    """The answers the rules can tell apart: each option of a single choice; for a list,
    every combination of the boxes the rules see (with one other box standing for all the
    rest) and each exclusive option."""
    if question.kind != "multi":
        return [(o.id,) for o in question.options]
    boxes = [o.id for o in question.options if not o.exclusive and o.id in relevant]
    others = [o.id for o in question.options if not o.exclusive and o.id not in relevant]
    if others:
        boxes.append(others[0])
    found: list[Answer] = [(o.id,) for o in question.options if o.exclusive]
    for size in range(1, len(boxes) + 1):
        for combo in itertools.combinations(boxes, size):
            found.append(tuple(o.id for o in question.options if o.id in combo))
    return found


def _paths(
    content: Content, choices: Mapping[str, Sequence[Answer]], limit: int
) -> list[dict[str, Answer]] | None:
    """Every path with these choices per question, or None when there are more than `limit`
    (found out early, without counting them all)."""
    found: list[dict[str, Answer]] = []

    def go(answers: dict[str, Answer], flags: frozenset[str], start: int) -> bool:
        for index in range(start, len(content.questions)):
            question = content.questions[index]
            if question.ask_if is not None and not cond.evaluate(question.ask_if, answers, flags):
                continue
            for chosen in choices[question.id]:
                options = [o for oid in chosen if (o := question.option(oid)) is not None]
                following = {**answers, question.id: chosen}
                if any(o.stop for o in options):
                    found.append(following)
                    if len(found) > limit:
                        return False
                    continue
                more = flags | {f for o in options for f in o.flags}
                if not go(following, more, index + 1):
                    return False
            return True
        found.append(answers)
        return len(found) <= limit

    return found if go({}, frozenset(), 0) else None


@dataclass(frozen=True)
class SearchResult:
    drops: tuple[Drop, ...]
    checked: int  # answer sets tried, each with every one-sign step
    exhaustive: bool


def search(
    content: Content,
    *,
    limit: int = EXHAUSTIVE_LIMIT,
    per_rule: int = PER_RULE_LIMIT,
    sample: int = SAMPLE_SIZE,
    seed: int = SEED,
    rules: Sequence[str] | None = None,
    first_only: bool = True,
) -> SearchResult:
    """Try the property on answer sets: all of them when there are at most `limit`; else,
    for each rule in `rules` (default: every rule above self_care), every answer set of its
    own questions (at most `per_rule`, else that many drawn) with the other questions at
    their least worrying, and then `sample` random answer sets."""
    relevant = _engine(content).relevant
    full = {q.id: distinct_answers(q, relevant[q.id]) for q in content.questions}
    drops: list[Drop] = []
    checked = 0

    def visit(answers: Mapping[str, Answer]) -> bool:
        nonlocal checked
        checked += 1
        for drop in drops_from(content, answers):
            drops.append(drop)
            return first_only
        return False

    everything = _paths(content, full, limit)
    if everything is not None:
        for answers in everything:
            if visit(answers):
                break
        return SearchResult(tuple(drops), checked, True)

    wanted = set(rules) if rules is not None else None
    for rule in content.rules:
        if LEVEL_RANKS[rule.level] == LEVEL_RANKS[SELF_CARE]:
            continue
        if wanted is not None and rule.id not in wanted:
            continue
        wanted_q = cond.referenced_questions(rule.when)
        wanted_f = cond.referenced_flags(rule.when)
        own = {
            q.id
            for q in content.questions
            if q.id in wanted_q or any(wanted_f & set(o.flags) for o in q.options)
        }
        choices = {
            q.id: (full[q.id] if q.id in own else least_worrying(q)) for q in content.questions
        }
        walked = _paths(content, choices, per_rule)
        if walked is None:
            rng = random.Random(f"{seed}:{rule.id}")
            walked = [_draw(content, choices, rng) for _ in range(per_rule)]
        for answers in walked:
            if visit(answers) and first_only:
                return SearchResult(tuple(drops), checked, False)

    rng = random.Random(seed)
    for _ in range(sample):
        if visit(_draw(content, None, rng)) and first_only:
            break
    return SearchResult(tuple(drops), checked, False)


def _draw(
    content: Content, choices: Mapping[str, Sequence[Answer]] | None, rng: random.Random
) -> dict[str, Answer]:
    """One random path: from `choices`, or with each box of a list ticked with chance TICK."""
    answers: dict[str, Answer] = {}
    flags: set[str] = set()
    for question in content.questions:
        if question.ask_if is not None and not cond.evaluate(question.ask_if, answers, flags):
            continue
        if choices is not None:
            chosen = rng.choice(choices[question.id])
        else:
            chosen = random_answer(question, rng)
        answers[question.id] = chosen
        options = [o for oid in chosen if (o := question.option(oid)) is not None]
        flags.update(flag for option in options for flag in option.flags)
        if any(option.stop for option in options):
            break
    return answers


def random_answer(question: Question, rng: random.Random) -> Answer:
    if question.kind != "multi":
        return (rng.choice(question.options).id,)
    ticked = tuple(o.id for o in question.options if not o.exclusive and rng.random() < TICK)
    if ticked:
        return ticked
    exclusive = [o.id for o in question.options if o.exclusive]
    return (rng.choice(exclusive),) if exclusive else (question.options[0].id,)


# --------------------------------------------------------------------------------------------
# For check-content


@dataclass(frozen=True)
class Report:
    problems: tuple[str, ...]  # errors: rules that depend on an absence, and drops found
    summary: str
    downgrade_lines: tuple[str, ...]


def check(
    content: Content,
    triage_file: str = "triage.yaml",
    questions_file: str = "questions.yaml",
) -> Report:
    """Read every rule (exact), then try answer sets: all of them when they are few; else the
    answer sets of every rule that reads as breaking the property (to name two answer sets),
    and a seeded sample."""
    read = rule_problems(content)
    problems = [
        f"{questions_file if line.startswith('questions[') else triage_file}: {line}"
        for line in read
    ]
    suspects = [r.id for r in content.rules if any(f"({r.id})" in line for line in read)]
    if read and not suspects:
        suspects = [r.id for r in content.rules]  # a skip rule or a stop: any rule may show it
    result = search(content, rules=suspects)
    problems += [f"{triage_file}: level goes down: {d.describe()}" for d in result.drops]
    if result.exhaustive:
        how = f"every one of {result.checked:,} answer sets"
    elif suspects:
        how = f"{result.checked:,} answer sets (the suspect rules' own questions, and a sample)"
    else:
        how = f"{result.checked:,} sampled answer sets (seed {SEED})"
    verdict = "holds" if not problems else "BROKEN"
    summary = (
        f"a level only goes up when a sign is added: {verdict} (every rule and skip rule "
        f"read; tried on {how}, each with every one-sign step)"
    )
    marked = tuple(f"  {rule.id} ({rule.level}): {reason}" for rule, reason in downgrades(content))
    return Report(tuple(problems), summary, marked)
