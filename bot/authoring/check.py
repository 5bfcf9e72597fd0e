"""`cramp-bot check-content`: validate the content, run the triage cases, report on it.

This module holds the triage cases and tap counts and puts the report together; the summary
and warnings live in bot/content_report.py, the Mermaid diagram in bot/diagram.py and the
path counting and simulation in bot/simulate.py.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from bot.content import conditions as cond
from bot.content.load import default_content_dir, load_content
from bot.content.model import LEVEL_RANKS, Content, ContentError, Question
from bot.content.reachability import candidate_answers
from bot.content.reader import (
    Reader,
    read_case_list,
    rel_path,
    shown_dir,
    yes_no_problem,
)
from bot.questionnaire import logic, monotonicity

CASES_FILE = "triage_cases.yaml"

Answer = tuple[str, ...]


@dataclass(frozen=True)
class TriageCase:
    id: str
    row: str
    answers: Mapping[str, Answer]
    min_level: str
    max_level: str | None = None
    # true: these answers must end the questionnaire (at the safety check); false: must not.
    stops: bool | None = None
    # Where the case was read from ("content/triage_cases.yaml", "cases[3]"), for messages.
    file: str = ""
    where: str = ""

    @property
    def label(self) -> str:
        if self.where:
            return f"{self.file}: {self.where} ({self.id})"
        return f"triage case '{self.id}' ({self.row})"


def load_triage_cases(directory: Path | None, content: Content | None = None) -> list[TriageCase]:
    """Read triage_cases.yaml; raises ContentError with one line per problem. With `content`,
    every question and option id in the answers must exist there."""
    directory = Path(directory) if directory is not None else default_content_dir()
    r, items = read_case_list(directory / CASES_FILE, rel_path(directory, CASES_FILE))
    file, problems = r.file, r.problems
    cases: list[TriageCase] = []
    seen: set[str] = set()
    for i, raw in enumerate(items):
        where = f"cases[{i}]"
        item = r.mapping(raw, where, ["id", "row", "answers", "min_level"], ["max_level", "stops"])
        if item is None:
            continue
        case_id = str(item.get("id", ""))
        if case_id in seen:
            r.error(f"{where}.id", f"duplicate case id '{case_id}'")
        seen.add(case_id)
        for key in ("min_level", "max_level"):
            if key in item and item[key] not in LEVEL_RANKS:
                r.error(f"{where}.{key}", f"unknown level {item[key]!r}")
        answers: dict[str, Answer] = {}
        raw_answers = item.get("answers")
        if not isinstance(raw_answers, dict):
            r.error(f"{where}.answers", "must be a mapping of question id: [option ids]")
        else:
            for qid, chosen in raw_answers.items():
                at = f"{where}.answers.{qid}"
                if isinstance(qid, bool):
                    r.error(f"{where}.answers", yes_no_problem(qid))
                    continue
                yes_no = (
                    [o for o in chosen if isinstance(o, bool)] if isinstance(chosen, list) else []
                )
                if yes_no:
                    r.error(at, yes_no_problem(yes_no[0]))
                    continue
                if not isinstance(chosen, list) or not all(isinstance(o, str) for o in chosen):
                    r.error(at, "must be a list of option ids")
                    continue
                answers[str(qid)] = tuple(chosen)
                if content is not None:
                    _check_case_answer(content, str(qid), tuple(chosen), at, r)
        cases.append(
            TriageCase(
                id=case_id,
                row=str(item.get("row", "")),
                answers=answers,
                min_level=str(item.get("min_level", "")),
                max_level=str(item["max_level"]) if item.get("max_level") else None,
                stops=r.boolean(item, "stops", where) if "stops" in item else None,
                file=file,
                where=where,
            )
        )
    if problems.lines:
        raise ContentError(problems.lines)
    return cases


def _check_case_answer(content: Content, qid: str, chosen: Answer, where: str, r: Reader) -> None:
    question = content.question(qid)
    if question is None:
        (close,) = difflib.get_close_matches(qid, [q.id for q in content.questions], 1, 0) or ("",)
        r.error(where, f"unknown question '{qid}'; the closest question id is '{close}'")
        return
    for oid in chosen:
        if question.option(oid) is None:
            known = ", ".join(o.id for o in question.options)
            r.error(where, f"unknown option '{oid}'; options are {known}")
    if question.kind == "single" and len(chosen) > 1:
        r.error(
            where,
            f"'{qid}' is a single-choice question, so one option, not {len(chosen)} "
            f"({', '.join(chosen)})",
        )


def case_failures(content: Content, case: TriageCase) -> list[str]:
    """One line per way the case fails: unknown ids, a level below min_level or above
    max_level, or a questionnaire that ends (or goes on) against `stops`."""
    unknown = [
        f"{qid}:{oid}"
        for qid, chosen in case.answers.items()
        for oid in chosen
        if (q := content.question(qid)) is None or q.option(oid) is None
    ]
    if unknown:
        return [f"{case.label}: unknown answers {', '.join(unknown)}"]
    failures: list[str] = []
    got = logic.evaluate(content, case.answers).level
    if got.rank < LEVEL_RANKS[case.min_level]:
        failures.append(f"{case.label}: expected at least {case.min_level}, got {got.id}")
    if case.max_level is not None and got.rank > LEVEL_RANKS[case.max_level]:
        failures.append(f"{case.label}: expected at most {case.max_level}, got {got.id}")
    if case.stops is not None:
        steps = logic.path(content, case.answers)
        stopped = logic.is_stopped(content, case.answers)
        if case.stops and not stopped:
            ahead = next((q.id for q in steps if not case.answers.get(q.id)), None)
            goes_on = f"goes on to question '{ahead}'" if ahead else "goes on to the full result"
            failures.append(
                f"{case.label}: expected the questionnaire to end at the safety check "
                f"(stops: true), but it {goes_on}"
            )
        elif not case.stops and stopped:
            failures.append(
                f"{case.label}: expected the questionnaire to go on (stops: false), but it ends "
                f"at question '{steps[-1].id}'"
            )
    return failures


def run_triage_cases(content: Content, cases: list[TriageCase]) -> list[str]:
    """Every failure of every case, in file order (see `case_failures`)."""
    return [line for case in cases for line in case_failures(content, case)]


# --------------------------------------------------------------------------------------------
# Paths and taps


def taps(question: Question, chosen: Answer) -> int:
    """Button presses to give this answer: a single choice or an exclusive "None of these" is
    one tap; ticks in a multi-select are one each, plus Done."""
    if question.kind == "single":
        return 1
    if len(chosen) == 1 and (option := question.option(chosen[0])) and option.exclusive:
        return 1
    return len(chosen) + 1


def typical_answer(question: Question) -> Answer:
    """What "typical" means in the tap counts: a single-choice question takes the first option
    of its least worrying tier (see `order`), or without an order its first option that does
    not end the questionnaire; a multi-select takes its first exclusive option ("None
    of these": most people have none of the listed warning signs) or, without one, its first
    option and Done."""
    if question.kind == "single":
        if question.order:
            # The least worrying answer ("None of these", "Now and then") is the typical one.
            return (question.order[0][0],)
        return (next(o.id for o in question.options if not o.stop),)
    exclusive = [o.id for o in question.options if o.exclusive]
    return (exclusive[0],) if exclusive else (question.options[0].id,)


def branching_questions(content: Content) -> set[str]:
    """Questions whose answer changes which questions follow: referred to by a skip rule
    (directly or through a flag), or able to end the questionnaire."""
    wanted_q: set[str] = set()
    wanted_f: set[str] = set()
    for question in content.questions:
        if question.ask_if is not None:
            wanted_q |= cond.referenced_questions(question.ask_if)
            wanted_f |= cond.referenced_flags(question.ask_if)
    return {
        q.id
        for q in content.questions
        if q.id in wanted_q or any(o.stop or wanted_f & set(o.flags) for o in q.options)
    }


def iter_paths(
    content: Content,
    choose: Callable[[Question], list[Answer]] | None = None,
) -> Iterator[dict[str, Answer]]:
    """Every distinct way through the skip rules: the branching questions take each of their
    candidate answers (each option, and all tickable options together), the others take
    `choose(question)` (default: the typical answer). Yields the final answers of each path."""
    branching = branching_questions(content)

    def options_for(question: Question) -> list[Answer]:
        if question.id in branching:
            return candidate_answers(question)
        return choose(question) if choose is not None else [typical_answer(question)]

    def walk(answers: dict[str, Answer], question: Question | None) -> Iterator[dict[str, Answer]]:
        if question is None:
            yield answers
            return
        for chosen in options_for(question):
            following = {**answers, question.id: chosen}
            yield from walk(following, logic.next_question(content, following, question.id))

    yield from walk({}, logic.first_question(content))


def path_taps(content: Content, answers: Mapping[str, Answer]) -> int:
    return sum(taps(q, answers[q.id]) for q in logic.path(content, answers) if answers.get(q.id))


@dataclass(frozen=True)
class TapCounts:
    shortest: int  # may end at the safety check
    shortest_full: int  # the shortest path that reaches a full result
    typical: int
    longest: int


def tap_counts(content: Content) -> TapCounts:
    def cheapest(question: Question) -> list[Answer]:
        return [min(candidate_answers(question), key=lambda a: taps(question, a))]

    def dearest(question: Question) -> list[Answer]:
        allowed = candidate_answers(question, allow_stop=False)
        return [max(allowed, key=lambda a: taps(question, a))]

    short = [
        (path_taps(content, a), logic.is_stopped(content, a))
        for a in iter_paths(content, cheapest)
    ]
    full = [taps_ for taps_, stopped in short if not stopped]
    longest = max(
        path_taps(content, a)
        for a in iter_paths(content, dearest)
        if not logic.is_stopped(content, a)
    )
    typical: dict[str, Answer] = {}
    question: Question | None = logic.first_question(content)
    while question is not None:
        typical[question.id] = typical_answer(question)
        question = logic.next_question(content, typical, question.id)
    return TapCounts(
        shortest=min(t for t, _ in short),
        shortest_full=min(full) if full else 0,
        typical=path_taps(content, typical),
        longest=longest,
    )


# --------------------------------------------------------------------------------------------


def _taps(n: int) -> str:
    return f"{n} tap" if n == 1 else f"{n} taps"


def _print(out: TextIO, *lines: Any) -> None:
    for line in lines:
        print(line, file=out)


def run_check(
    directory: Path | None,
    *,
    out: TextIO,
    diagram: Path | None = None,
    simulate: bool = False,
) -> int:
    """Validate, run the triage cases, print the summary and warnings; optionally write the
    Mermaid diagram and simulate every path. 0 = fine (warnings allowed), 1 = errors or a
    failing triage case."""
    from bot.authoring import report
    from bot.authoring.diagram import write_diagram
    from bot.authoring.diary_cases import diary_case_failures, load_diary_cases
    from bot.authoring.simulate import PathSpace, format_simulation
    from bot.authoring.simulate import simulate as run_simulation

    folder = shown_dir(Path(directory) if directory is not None else default_content_dir())
    try:
        content = load_content(directory)
        cases = load_triage_cases(directory, content)
        diary_cases = load_diary_cases(directory)
    except ContentError as error:
        _print(out, *error.problems)
        if error.warnings:
            _print(out, f"warnings ({len(error.warnings)}):", *(f"  {w}" for w in error.warnings))
        return 1
    per_case = [case_failures(content, case) for case in cases]
    failures = [line for lines in per_case for line in lines]
    per_diary = [diary_case_failures(content, case) for case in diary_cases]
    failures += [line for lines in per_diary for line in lines]
    diary_passed = sum(1 for lines in per_diary if not lines)
    folder_path = Path(directory) if directory is not None else default_content_dir()
    mono = monotonicity.check(
        content, rel_path(folder_path, "triage.yaml"), rel_path(folder_path, "questions.yaml")
    )
    failures += mono.problems
    passed = sum(1 for lines in per_case if not lines)
    space = PathSpace(content)
    counts = tap_counts(content)
    _print(
        out,
        *report.summary_lines(content, space),
        f"triage cases: all {len(cases)} pass"
        if passed == len(cases)
        else f"triage cases: {passed} of {len(cases)} pass",
        *(
            [
                f"diary cases: all {len(diary_cases)} pass"
                if diary_passed == len(diary_cases)
                else f"diary cases: {diary_passed} of {len(diary_cases)} pass"
            ]
            if diary_cases
            else []
        ),
        f"shortest path: {_taps(counts.shortest)} (ends at the safety check); "
        f"shortest to a full result: {_taps(counts.shortest_full)}",
        f"typical path: {_taps(counts.typical)} (first ordinary answer, 'None of these' in lists)",
        f"longest path: {_taps(counts.longest)} (every box ticked)",
        mono.summary,
        "downgrades marked in triage.yaml (a sign added may lower the level):"
        if mono.downgrade_lines
        else "downgrades marked in triage.yaml: none",
        *mono.downgrade_lines,
        "",
        *report.causes_lines(content),
        "",
        *report.levels_lines(content),
        "",
    )
    # The report joins folder and file name with "/"; for the current directory that would
    # read "./questions.yaml", unlike the errors, which say "questions.yaml".
    warnings = [
        line.removeprefix("./") for line in report.warning_lines(content, space, folder or ".")
    ]
    warnings += content.warnings
    if warnings:
        _print(out, f"warnings ({len(warnings)}):", *(f"  {line}" for line in warnings))
    else:
        _print(out, "warnings: none")
    if simulate:
        _print(out, "", *format_simulation(content, run_simulation(content, space=space)))
    if diagram is not None:
        try:
            write_diagram(content, diagram)
        except OSError as error:
            _print(out, f"cannot write the diagram to {diagram}: {error.strerror or error}")
            return 1
        _print(out, f"diagram written to {diagram}")
    if failures:
        _print(out, "", "FAILED:", *failures)
        return 1
    return 0
