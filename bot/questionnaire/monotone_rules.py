"""A level only goes up when a sign is added: reading the rules (exact, no sampling).

A rule above self_care must not depend on the absence of a sign (a `not`, a `none:`, a "None
of these" option, or an option below another one in its question's `order`), unless it says
why with `downgrade:`; a skip rule must not hide a question when a sign is added; a more
worrying answer that ends the questionnaire must end it at a level no later answer can top.
When every rule passes, the property holds for every answer set. The search over answer sets
is in bot/questionnaire/monotonicity.py.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.content import conditions as cond
from bot.content.model import LEVEL_RANKS, SELF_CARE, Content, Question, Rule


def tier_of(question: Question, oid: str) -> int | None:
    """The tier of a single-choice option in its question's order; None: not compared."""
    for index, tier in enumerate(question.order):
        if oid in tier:
            return index
    return None


def level_name(rank: int) -> str:
    return next(lid for lid, r in LEVEL_RANKS.items() if r == rank)


# --------------------------------------------------------------------------------------------
# Reading the rules (exact)


def _upward_closed(question: Question, options: Sequence[str]) -> bool:
    """Does "one of these was chosen" stay true when a sign is added to the answer?"""
    if question.kind == "multi":
        return not any((o := question.option(oid)) is not None and o.exclusive for oid in options)
    # A more worrying answer that ends the questionnaire cuts the path there: what it ends
    # at is a level of its own, which the search compares.
    stops = {o.id for o in question.options if o.stop}
    for oid in options:
        tier = tier_of(question, oid)
        if tier is None:
            continue
        if any(
            higher not in options and higher not in stops
            for t in question.order[tier + 1 :]
            for higher in t
        ):
            return False
    return True


def _flag_upward(content: Content, flag: str) -> str | None:
    """None when a flag, once set, stays set as signs are added; else the option that sets
    it and a more worrying option of the same question that does not."""
    for question in content.questions:
        setters = [o.id for o in question.options if flag in o.flags]
        if setters and not _upward_closed(question, setters):
            return f"'{question.id}: {setters[0]}' sets it, a more worrying answer does not"
    return None


def _negative_leaves(content: Content, condition: cond.Condition) -> list[str]:
    """What in a condition argues for the absence of a sign, in words."""
    found: list[str] = []
    for _, leaf, negated in cond.leaves(condition):
        if isinstance(leaf, cond.HasFlag):
            if negated:
                found.append(f"not flag {leaf.flag}")
            elif (why := _flag_upward(content, leaf.flag)) is not None:
                found.append(f"flag {leaf.flag} ({why})")
            continue
        question = content.question(leaf.question)
        if question is None:
            continue
        listed = ", ".join(leaf.options)
        if isinstance(leaf, cond.ChoseNone) and not negated:
            found.append(f"{leaf.question}: none of [{listed}]")
        elif isinstance(leaf, cond.ChoseNone):
            found.append(f"not ({leaf.question}: none of [{listed}])")
        elif negated:
            found.append(f"not ({leaf.question}: any of [{listed}])")
        elif not _upward_closed(question, leaf.options):
            found.append(f"{leaf.question}: [{listed}] leaves out a more worrying answer")
    return found


def rule_problems(content: Content) -> list[str]:
    """One line per rule above self_care (not marked `downgrade:`) or skip rule that depends
    on the absence of a sign, and per stop answer that cuts off a higher level."""
    problems: list[str] = _stop_problems(content)
    for index, rule in enumerate(content.rules):
        if LEVEL_RANKS[rule.level] == LEVEL_RANKS[SELF_CARE] or rule.downgrade:
            continue
        negative = _negative_leaves(content, rule.when)
        if negative:
            problems.append(
                f"rules[{index}] ({rule.id}): its level ({rule.level}) depends on the absence "
                f"of a sign: {'; '.join(negative)}. Move that part into a self_care note, or "
                f'mark the rule with downgrade: "<why>"'
            )
    for index, question in enumerate(content.questions):
        if question.ask_if is None:
            continue
        negative = _negative_leaves(content, question.ask_if)
        if negative:
            problems.append(
                f"questions[{index}] ({question.id}).ask_if: adding a sign can skip this "
                f"question: {'; '.join(negative)}"
            )
    return problems


def _stop_problems(content: Content) -> list[str]:
    """A more worrying answer that ends the questionnaire must end it at a level no later
    answer could top: the answers it cuts off no longer count."""
    problems: list[str] = []
    for index, question in enumerate(content.questions):
        if question.kind != "single" or not question.order:
            continue
        later_ids = {q.id for q in content.questions[index + 1 :]}
        later_flags = {
            f for q in content.questions[index + 1 :] for o in q.options for f in o.flags
        }
        later = [
            LEVEL_RANKS[rule.level]
            for rule in content.rules
            if cond.referenced_questions(rule.when) & later_ids
            or cond.referenced_flags(rule.when) & later_flags
        ]
        top = max(later, default=LEVEL_RANKS[SELF_CARE])
        lowest = min(
            (
                t
                for t, tier in enumerate(question.order)
                if any((o := question.option(oid)) is not None and not o.stop for oid in tier)
            ),
            default=None,
        )
        if lowest is None:
            continue
        for tier in question.order[lowest + 1 :]:
            for oid in tier:
                option = question.option(oid)
                if option is None or not option.stop:
                    continue
                own = max(
                    (
                        LEVEL_RANKS[rule.level]
                        for rule in content.rules
                        if cond.evaluate(rule.when, {question.id: (oid,)}, set(option.flags))
                    ),
                    default=LEVEL_RANKS[SELF_CARE],
                )
                if own < top:
                    problems.append(
                        f"questions[{index}] ({question.id}: {oid}): this answer ends the "
                        f"questionnaire at {level_name(own)}, but later answers can reach "
                        f"{level_name(top)}: a sign added would lower the level"
                    )
    return problems


def downgrades(content: Content) -> list[tuple[Rule, str]]:
    return [(rule, rule.downgrade) for rule in content.rules if rule.downgrade]
