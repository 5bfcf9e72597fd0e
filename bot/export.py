"""/export files: the diary as CSV (for a doctor's spreadsheet) and everything else as JSON.

Pure: takes what storage returned, gives bytes for the handler to send as documents.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any, Protocol

from bot.diary import FACTORS, cramp_count, factors_of

# Readable in a spreadsheet without a key: plain words, ASCII only.
CRAMPS_CELL = {0: "0", 1: "1", 2: "2-3", 4: "4+"}
LONGEST_CELL = {"lt1": "<1 min", "1_5": "1-5 min", "5_10": "5-10 min", "gt10": ">10 min"}
TWITCH_CELL = {"none": "none", "one": "one place", "many": "several places"}

CSV_COLUMNS: tuple[str, ...] = (
    "night",
    "cramps",
    "longest",
    "woke",
    "cramp_at_checkin",
    "twitch",
    *FACTORS,
    "urine_dark",
    "weak_or_numb",
    "complete",
    "recorded_at",
)


class ExportEntry(Protocol):
    @property
    def night(self) -> date: ...

    @property
    def answers(self) -> Mapping[str, Any]: ...

    @property
    def complete(self) -> bool: ...

    @property
    def recorded_at(self) -> datetime: ...


def _yes_no(value: Any) -> str:
    if value is True:
        return "yes"
    if value is False:
        return "no"
    return ""  # not asked that night


def _row(entry: ExportEntry) -> dict[str, str]:
    answers = entry.answers
    count = cramp_count(answers)
    factors = factors_of(answers)
    answered_factors = answers.get("factors_done") is True
    row = {
        "night": entry.night.isoformat(),
        "cramps": "" if count is None else CRAMPS_CELL[count],
        "longest": LONGEST_CELL.get(str(answers.get("longest")), ""),
        "woke": _yes_no(answers.get("woke")),
        "cramp_at_checkin": "yes" if answers.get("now") is True else "",
        "twitch": TWITCH_CELL.get(str(answers.get("twitch")), ""),
        "urine_dark": _yes_no(answers.get("urine")),
        "weak_or_numb": _yes_no(answers.get("weak")),
        "complete": "yes" if entry.complete else "no",
        "recorded_at": entry.recorded_at.isoformat(timespec="seconds"),
    }
    for factor in FACTORS:
        # blank, not 0, when the factors were never answered: unknown is not "no"
        row[factor] = ("1" if factor in factors else "0") if answered_factors else ""
    return row


def diary_csv(entries: Iterable[ExportEntry]) -> bytes:
    """One row per night, oldest first, a header row, a column per item; UTF-8."""
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for entry in sorted(entries, key=lambda e: e.night):
        writer.writerow(_row(entry))
    return out.getvalue().encode("utf-8")


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"cannot export {type(value).__name__}")


def everything_json(
    user: Mapping[str, Any],
    assessments: list[dict[str, Any]],
    answers: list[dict[str, Any]],
    diary_entries: Iterable[ExportEntry],
) -> bytes:
    """Everything stored about one person, as pretty UTF-8 JSON."""
    diary = [
        {
            "night": entry.night.isoformat(),
            "answers": dict(entry.answers),
            "complete": entry.complete,
            "recorded_at": entry.recorded_at,
            "updated_at": getattr(entry, "updated_at", None),
        }
        for entry in sorted(diary_entries, key=lambda e: e.night)
    ]
    document = {
        "user": dict(user),
        "assessments": assessments,
        "answers": answers,
        "diary": diary,
    }
    text = json.dumps(document, indent=2, ensure_ascii=False, default=_plain)
    return (text + "\n").encode("utf-8")
