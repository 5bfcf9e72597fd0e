"""The content model: frozen dataclasses for questions, causes, urgency levels and rules.

What lives here: the shapes every feature reads, the one urgency ladder (LEVEL_RANKS) and
ContentError. It imports only the condition language (bot.content.conditions); nothing of the
features, of YAML or of Telegram.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

from bot.content.conditions import Condition

LEVEL_RANKS = {"emergency": 3, "urgent": 2, "see_doctor": 1, "self_care": 0}
SELF_CARE = "self_care"

QUESTION_FILE = "questions.yaml"
CAUSE_FILE = "causes.yaml"
TRIAGE_FILE = "triage.yaml"
TEXT_FILE = "texts.yaml"
DIARY_FILE = "diary.yaml"


class ContentError(Exception):
    """Content is unusable. `problems` holds one readable line per problem; `warnings` the
    lines about content that works but is probably not what was meant."""

    def __init__(self, problems: list[str], warnings: Iterable[str] = ()) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems
        self.warnings = list(warnings)


# One answer, or any number of ticks (with exclusive options such as "None of these").
QuestionKind = Literal["single", "multi"]


@dataclass(frozen=True)
class Option:
    id: str
    label: str
    points: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    flags: tuple[str, ...] = ()
    stop: bool = False
    exclusive: bool = False


@dataclass(frozen=True)
class Question:
    id: str
    kind: QuestionKind
    text: str
    short: str
    options: tuple[Option, ...]
    ask_if: Condition | None = None
    hint: str | None = None
    # Single choice: tiers of option ids from the least to the most worrying (options in one
    # tier are equally worrying; options in no tier are not compared). See
    # bot/questionnaire/monotonicity.py.
    order: tuple[tuple[str, ...], ...] = ()

    def option(self, oid: str) -> Option | None:
        for option in self.options:
            if option.id == oid:
                return option
        return None


@dataclass(frozen=True)
class Cause:
    id: str
    name: str
    explanation: str
    tips: tuple[str, ...]
    min_score: int
    sources: tuple[str, ...]


@dataclass(frozen=True)
class Level:
    id: str
    rank: int
    title: str
    advice: str


@dataclass(frozen=True)
class Rule:
    id: str
    level: str
    when: Condition
    text: str | None = None
    # Causes whose block already says the same thing: while one of them is shown in the
    # result, this rule's text is left out there (the rule still counts for the level).
    unless_shown: tuple[str, ...] = ()
    # Why this rule may depend on the absence of a sign (a marked downgrade), or "".
    downgrade: str = ""


@dataclass(frozen=True)
class Content:
    version: str
    questions: tuple[Question, ...]
    causes: tuple[Cause, ...]
    levels: tuple[Level, ...]
    flags: Mapping[str, str]
    rules: tuple[Rule, ...]
    texts: Mapping[str, str]
    # Found while loading: valid, but probably not what the author meant (check-content shows
    # them).
    warnings: tuple[str, ...] = ()

    def question(self, qid: str) -> Question | None:
        for question in self.questions:
            if question.id == qid:
                return question
        return None

    def question_index(self, qid: str) -> int:
        for index, question in enumerate(self.questions):
            if question.id == qid:
                return index
        return -1

    def cause(self, cid: str) -> Cause | None:
        for cause in self.causes:
            if cause.id == cid:
                return cause
        return None

    def level(self, lid: str) -> Level:
        for level in self.levels:
            if level.id == lid:
                return level
        raise KeyError(lid)

    def rule(self, rid: str) -> Rule | None:
        for rule in self.rules:
            if rule.id == rid:
                return rule
        return None

    def raw_text(self, key: str, /) -> str:
        """The template as written: for button labels and callback answers (not HTML)."""
        return self.texts[key]

    def text(self, key: str, /, **values: object) -> str:
        """The template as Telegram HTML: the template and every value are escaped."""
        # Telegram HTML needs only <, > and & escaped; quotes stay readable (and short).
        escaped = {name: html.escape(str(value), quote=False) for name, value in values.items()}
        return html.escape(self.texts[key], quote=False).format(**escaped)
