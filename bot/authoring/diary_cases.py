"""Diary cases (content/diary_cases.yaml): recorded nights and the warning signs the morning
check-in must show for them, so the diary keeps agreeing with the questionnaire."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from bot.content.load import default_content_dir
from bot.content.model import LEVEL_RANKS, Content, ContentError
from bot.content.reader import read_case_list, rel_path
from bot.diary.rules import warnings_for

DIARY_CASES_FILE = "diary_cases.yaml"
FIRST_NIGHT = date(2026, 1, 1)


@dataclass(frozen=True)
class Night:
    night: date
    answers: Mapping[str, Any]


@dataclass(frozen=True)
class DiaryCase:
    id: str
    row: str
    nights: tuple[Mapping[str, Any], ...]
    warns: Mapping[str, str]
    quiet: bool
    label: str


def load_diary_cases(directory: Path | None) -> list[DiaryCase]:
    """The cases, or [] when the folder has no diary_cases.yaml (a small test questionnaire)."""
    directory = Path(directory) if directory is not None else default_content_dir()
    if not (directory / DIARY_CASES_FILE).exists():
        return []
    r, items = read_case_list(directory / DIARY_CASES_FILE, rel_path(directory, DIARY_CASES_FILE))
    file, problems = r.file, r.problems
    cases: list[DiaryCase] = []
    for i, raw in enumerate(items):
        where = f"cases[{i}]"
        item = r.mapping(raw, where, ["id", "row", "nights"], ["warns", "quiet"])
        if item is None:
            continue
        nights = item.get("nights")
        if not isinstance(nights, list) or not all(isinstance(n, dict) for n in nights):
            r.error(f"{where}.nights", "must be a list of nights, each a mapping of answers")
            continue
        warns = item.get("warns") or {}
        if not isinstance(warns, dict) or any(v not in LEVEL_RANKS for v in warns.values()):
            r.error(f"{where}.warns", "must map warning reasons to levels")
            continue
        quiet = r.boolean(item, "quiet", where) if "quiet" in item else False
        if quiet == bool(warns):
            r.error(where, "needs either warns: {reason: level} or quiet: true")
        case_id = str(item.get("id", ""))
        cases.append(
            DiaryCase(
                case_id,
                str(item.get("row", "")),
                tuple(nights),
                {str(k): str(v) for k, v in warns.items()},
                quiet,
                f"{file}: {where} ({case_id})",
            )
        )
    if problems.lines:
        raise ContentError(problems.lines)
    return cases


def diary_case_failures(content: Content, case: DiaryCase) -> list[str]:
    entries = [
        Night(FIRST_NIGHT + timedelta(days=i), answers) for i, answers in enumerate(case.nights)
    ]
    last = entries[-1].night
    found = {w.reason: w.level for w in warnings_for(entries, last, texts=content)}
    if case.quiet and found:
        shown = ", ".join(f"{reason} ({level})" for reason, level in found.items())
        return [f"{case.label}: expected no warning, got {shown}"]
    failures = []
    for reason, level in case.warns.items():
        got = found.get(reason)
        if got is None:
            failures.append(f"{case.label}: expected the warning {reason} ({level}), none shown")
        elif got != level:
            failures.append(f"{case.label}: expected {reason} at {level}, got {got}")
    return failures
