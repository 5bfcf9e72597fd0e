"""Pure questionnaire logic: which question comes next, and what the answers add up to.

No I/O and no Telegram: given the content and the answers so far (question id -> chosen option
ids) it walks the skip rules, ranks the causes and sets the urgency level. Only answers on the
final path count, so an answer to a question that a changed earlier answer now skips is ignored.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.content import conditions as cond
from bot.content.model import SELF_CARE, Cause, Content, Level, Question

Answers = Mapping[str, tuple[str, ...]]

MAX_CAUSES = 3


def _flags_of(question: Question, chosen: tuple[str, ...]) -> set[str]:
    flags: set[str] = set()
    for oid in chosen:
        option = question.option(oid)
        if option is not None:
            flags.update(option.flags)
    return flags


def _stops(question: Question, chosen: tuple[str, ...]) -> bool:
    return any((option := question.option(oid)) is not None and option.stop for oid in chosen)


def _walk(
    content: Content, answers: Answers
) -> tuple[list[Question], dict[str, tuple[str, ...]], set[str], bool]:
    """The path, the answers on it, the flags they set, and whether a stop answer ended it."""
    path: list[Question] = []
    effective: dict[str, tuple[str, ...]] = {}
    flags: set[str] = set()
    for question in content.questions:
        if question.ask_if is not None and not cond.evaluate(question.ask_if, effective, flags):
            continue
        path.append(question)
        chosen = answers.get(question.id)
        if not chosen:
            continue
        effective[question.id] = tuple(chosen)
        flags |= _flags_of(question, tuple(chosen))
        if _stops(question, tuple(chosen)):
            return path, effective, flags, True
    return path, effective, flags, False


@dataclass(frozen=True)
class Walk:
    """One pass of the skip rules over a set of answers: the path (unanswered questions still
    ahead included), the answers on it, the flags they set, and whether a stop answer ended it.

    A press computes it once and hands it to everything that needs it (the next question, the
    progress line, whether there is a Back button), instead of each walking again."""

    path: tuple[Question, ...]
    effective: Mapping[str, tuple[str, ...]]
    flags: frozenset[str]
    stopped: bool


def walk(content: Content, answers: Answers) -> Walk:
    steps, effective, flags, stopped = _walk(content, answers)
    return Walk(tuple(steps), effective, frozenset(flags), stopped)


def path(content: Content, answers: Answers) -> list[Question]:
    """Questions asked given these answers, in order; unanswered ones whose skip rule holds now
    are included (they are still ahead)."""
    return _walk(content, answers)[0]


def effective_answers(content: Content, answers: Answers) -> dict[str, tuple[str, ...]]:
    return _walk(content, answers)[1]


def is_stopped(content: Content, answers: Answers) -> bool:
    return _walk(content, answers)[3]


def first_question(content: Content) -> Question:
    first = path(content, {})
    if not first:  # pragma: no cover - validation guarantees a first question
        raise ValueError("the questionnaire has no question without a skip rule")
    return first[0]


def next_question(
    content: Content, answers: Answers, after_qid: str, *, walked: Walk | None = None
) -> Question | None:
    """The question after `after_qid` on the path; None when finished. `walked`, when given,
    is `walk(content, answers)` already computed.

    Answered or not: after Back, the person walks forward one question at a time and sees
    each earlier answer marked, like a paper form. Jumping to the first unanswered question
    instead would count a half-ticked list that was never confirmed with Done.
    """
    steps = walked if walked is not None else walk(content, answers)
    if steps.stopped:
        return None
    after = content.question_index(after_qid)
    for question in steps.path:
        if content.question_index(question.id) > after:
            return question
    return None


def previous_question(
    content: Content, answers: Answers, qid: str, *, walked: Walk | None = None
) -> Question | None:
    """The question asked before `qid` on the path (skipped questions are stepped over)."""
    steps = walked if walked is not None else walk(content, answers)
    at = content.question_index(qid)
    before = [q for q in steps.path if content.question_index(q.id) < at]
    return before[-1] if before else None


def progress(
    content: Content, answers: Answers, qid: str, *, walked: Walk | None = None
) -> tuple[int, int]:
    """(position of `qid` on the path, about how many questions the path has now)."""
    steps = (walked if walked is not None else walk(content, answers)).path
    at = content.question_index(qid)
    position = sum(1 for q in steps if content.question_index(q.id) < at) + 1
    return position, max(len(steps), position)


@dataclass(frozen=True)
class CauseMatch:
    cause: Cause
    score: int
    evidence: tuple[str, ...]  # "Caffeine: 4 or more a day" (question short + option label)


@dataclass(frozen=True)
class Nudge:
    rule_id: str
    level: Level
    text: str | None
    reasons: tuple[str, ...]  # what in the answers made the rule fire, in plain words


@dataclass(frozen=True)
class Result:
    level: Level
    causes: tuple[CauseMatch, ...]
    nudges: tuple[Nudge, ...]
    stopped: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "level": self.level.id,
            "stopped": self.stopped,
            "causes": [
                {"cause": m.cause.id, "score": m.score, "evidence": list(m.evidence)}
                for m in self.causes
            ],
            "nudges": [
                {"rule": n.rule_id, "level": n.level.id, "reasons": list(n.reasons)}
                for n in self.nudges
            ],
        }

    @classmethod
    def from_json(cls, content: Content, data: Mapping[str, Any]) -> Result:
        """Rebuild a stored result with today's texts; parts the content no longer has are
        left out rather than failing (an old result must stay viewable)."""
        causes = []
        for item in data.get("causes", []):
            cause = content.cause(str(item.get("cause")))
            if cause is not None:
                causes.append(
                    CauseMatch(cause, int(item.get("score", 0)), tuple(item.get("evidence", ())))
                )
        nudges = []
        for item in data.get("nudges", []):
            rule = content.rule(str(item.get("rule")))
            if rule is not None:
                nudges.append(
                    Nudge(
                        rule.id,
                        content.level(rule.level),
                        rule.text,
                        tuple(item.get("reasons", ())),
                    )
                )
        try:
            level = content.level(str(data.get("level")))
        except KeyError:
            level = content.level(SELF_CARE)
        return cls(level, tuple(causes), tuple(nudges), bool(data.get("stopped", False)))


def _evidence_line(question: Question, oid: str) -> str | None:
    option = question.option(oid)
    return None if option is None else f"{question.short}: {option.label}"


def _score(content: Content, effective: Mapping[str, tuple[str, ...]]) -> list[CauseMatch]:
    scores: dict[str, int] = {}
    evidence: dict[str, list[str]] = {}
    for question in content.questions:
        for oid in effective.get(question.id, ()):
            option = question.option(oid)
            if option is None:
                continue
            for cid, points in option.points.items():
                scores[cid] = scores.get(cid, 0) + points
                line = _evidence_line(question, oid)
                if points > 0 and line is not None and line not in evidence.setdefault(cid, []):
                    evidence[cid].append(line)
    order = {cause.id: i for i, cause in enumerate(content.causes)}
    matches = [
        CauseMatch(cause, scores[cause.id], tuple(evidence.get(cause.id, ())))
        for cause in content.causes
        if scores.get(cause.id, 0) >= cause.min_score
    ]
    # Highest score first; on a tie, the order of causes.yaml (authors put commoner first).
    matches.sort(key=lambda m: (-m.score, order[m.cause.id]))
    return matches[:MAX_CAUSES]


def _reasons(
    content: Content,
    condition: cond.Condition,
    effective: Mapping[str, tuple[str, ...]],
    flags: set[str],
) -> tuple[str, ...]:
    """What in the answers made a rule fire: flag phrases, and "Where: Calves, Rib cage"
    with every chosen option of one question on one line, in the order the rule names them."""
    reasons: dict[str, list[str]] = {}  # a flag phrase -> [], or a question's short -> labels
    for _, leaf, negated in cond.leaves(condition):
        if negated:
            continue
        if isinstance(leaf, cond.HasFlag) and leaf.flag in flags:
            reasons.setdefault(content.flags.get(leaf.flag, leaf.flag), [])
        elif isinstance(leaf, cond.ChoseAny):
            question = content.question(leaf.question)
            if question is None:
                continue
            for oid in effective.get(leaf.question, ()):
                option = question.option(oid) if oid in leaf.options else None
                if option is not None:
                    labels = reasons.setdefault(f"{question.short}: ", [])
                    if option.label not in labels:
                        labels.append(option.label)
    return tuple(key + ", ".join(labels) if labels else key for key, labels in reasons.items())


def evaluate(content: Content, answers: Answers) -> Result:
    _, effective, flags, stopped = _walk(content, answers)
    nudges: list[Nudge] = []
    for rule in content.rules:
        if cond.evaluate(rule.when, effective, flags):
            nudges.append(
                Nudge(
                    rule.id,
                    content.level(rule.level),
                    rule.text,
                    _reasons(content, rule.when, effective, flags),
                )
            )
    nudges.sort(key=lambda n: -n.level.rank)  # stable: rules keep their file order per level
    level = nudges[0].level if nudges else content.level(SELF_CARE)
    # A stopped result only says what to do now: causes would be noise at that moment.
    causes = () if stopped else tuple(_score(content, effective))
    return Result(level=level, causes=causes, nudges=tuple(nudges), stopped=stopped)
