"""The small condition language shared by skip rules (`ask_if`) and triage rules (`when`).

Forms, as written in YAML:

    {q: <question id>, any: [<option id>, ...]}    true when one of these options was chosen
    {q: <question id>, none: [<option id>, ...]}   true when the question was answered and
                                                   none of these options was chosen
    {flag: <flag id>}                              true when a chosen option set this flag
    {all: [<condition>, ...]}   {any: [<condition>, ...]}   {not: <condition>}

`none` is false for an unanswered or skipped question on purpose: "did not say calves" must
not be read into a question the person never saw.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Set
from dataclasses import dataclass
from typing import Any

Answers = Mapping[str, tuple[str, ...]]


@dataclass(frozen=True)
class ChoseAny:
    question: str
    options: tuple[str, ...]


@dataclass(frozen=True)
class ChoseNone:
    question: str
    options: tuple[str, ...]


@dataclass(frozen=True)
class HasFlag:
    flag: str


@dataclass(frozen=True)
class AllOf:
    items: tuple[Condition, ...]


@dataclass(frozen=True)
class AnyOf:
    items: tuple[Condition, ...]


@dataclass(frozen=True)
class Not:
    item: Condition


Condition = ChoseAny | ChoseNone | HasFlag | AllOf | AnyOf | Not


class ConditionSyntaxError(Exception):
    """One problem in a condition; `where` is the key path below the condition itself."""

    def __init__(self, where: str, message: str) -> None:
        super().__init__(message)
        self.where = where
        self.message = message


def _id_list(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise ConditionSyntaxError(where, "must be a non-empty list of option ids")
    if not all(isinstance(item, str) for item in value):
        raise ConditionSyntaxError(where, "must be a list of option ids (text)")
    return tuple(value)


def parse_condition(data: Any, where: str = "") -> Condition:
    """Parse one YAML condition; raises ConditionSyntaxError naming the offending sub-path."""
    if not isinstance(data, dict):
        raise ConditionSyntaxError(where, "a condition must be a mapping such as {flag: x}")
    keys = set(data)
    if "q" in keys:
        unknown = keys - {"q", "any", "none"}
        if unknown:
            raise ConditionSyntaxError(where, f"unknown key '{sorted(unknown)[0]}'")
        if not isinstance(data["q"], str):
            raise ConditionSyntaxError(f"{where}.q", "must be a question id")
        if ("any" in keys) == ("none" in keys):
            raise ConditionSyntaxError(where, "a {q: ...} condition needs exactly one of any/none")
        if "any" in keys:
            return ChoseAny(data["q"], _id_list(data["any"], f"{where}.any"))
        return ChoseNone(data["q"], _id_list(data["none"], f"{where}.none"))
    if len(keys) != 1:
        raise ConditionSyntaxError(
            where, "a condition needs exactly one of q, flag, all, any, not"
        )
    (key,) = keys
    value = data[key]
    if key == "flag":
        if not isinstance(value, str):
            raise ConditionSyntaxError(f"{where}.flag", "must be a flag id")
        return HasFlag(value)
    if key in ("all", "any"):
        if not isinstance(value, list) or not value:
            raise ConditionSyntaxError(f"{where}.{key}", "must be a non-empty list of conditions")
        items = tuple(parse_condition(item, f"{where}.{key}[{i}]") for i, item in enumerate(value))
        return AllOf(items) if key == "all" else AnyOf(items)
    if key == "not":
        return Not(parse_condition(value, f"{where}.not"))
    raise ConditionSyntaxError(where, f"unknown key '{key}'")


def evaluate(condition: Condition, answers: Answers, flags: Set[str]) -> bool:
    match condition:
        case ChoseAny(question, options):
            return any(option in options for option in answers.get(question, ()))
        case ChoseNone(question, options):
            chosen = answers.get(question)
            return bool(chosen) and not any(option in options for option in chosen or ())
        case HasFlag(flag):
            return flag in flags
        case AllOf(items):
            return all(evaluate(item, answers, flags) for item in items)
        case AnyOf(items):
            return any(evaluate(item, answers, flags) for item in items)
        case Not(item):
            return not evaluate(item, answers, flags)
    raise TypeError(f"not a condition: {condition!r}")  # pragma: no cover


def leaves(condition: Condition) -> Iterator[tuple[str, ChoseAny | ChoseNone | HasFlag, bool]]:
    """Every leaf with its sub-path and whether it sits under a `not` (it then argues against).

    Used by validation (dangling ids) and by the result, which names the positive leaves as
    the reasons a rule fired.
    """

    def walk(
        node: Condition, where: str, negated: bool
    ) -> Iterator[tuple[str, ChoseAny | ChoseNone | HasFlag, bool]]:
        match node:
            case ChoseAny() | ChoseNone() | HasFlag():
                yield where, node, negated
            case AllOf(items):
                for i, item in enumerate(items):
                    yield from walk(item, f"{where}.all[{i}]", negated)
            case AnyOf(items):
                for i, item in enumerate(items):
                    yield from walk(item, f"{where}.any[{i}]", negated)
            case Not(item):
                yield from walk(item, f"{where}.not", not negated)

    yield from walk(condition, "", False)


def referenced_flags(condition: Condition) -> set[str]:
    return {leaf.flag for _, leaf, _ in leaves(condition) if isinstance(leaf, HasFlag)}


def referenced_questions(condition: Condition) -> set[str]:
    return {
        leaf.question for _, leaf, _ in leaves(condition) if isinstance(leaf, ChoseAny | ChoseNone)
    }
