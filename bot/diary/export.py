"""/export files: the answered nights as CSV (for a doctor's spreadsheet), everything as JSON.

Pure: takes what storage returned, gives bytes for the handler to send as documents.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any, Protocol

from bot.diary.flow import SKIPPED
from bot.diary.rules import FACTORS, cramp_count, factors_of

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
    "calf_swollen",
    "twitch",
    *FACTORS,
    "urine_dark",
    "weak_or_numb",
    "complete",
    "sent_at",
    "answered_at",
)

# The header row, in words a doctor reads without a key (the columns above are the keys).
CSV_HEADERS: Mapping[str, str] = {
    "night": "night",
    "cramps": "cramps",
    "longest": "longest cramp",
    "woke": "woke up",
    "cramp_at_checkin": "cramp still going at check-in",
    "calf_swollen": "swollen red or warm calf",
    "twitch": "twitching",
    "caffeine": "caffeine after noon",
    "alcohol": "alcohol",
    "exercise": "hard exercise or sweating",
    "stress": "stress",
    "lowfluid": "drank little",
    "newmed": "new medicine",
    "urine_dark": "dark urine",
    "weak_or_numb": "new weakness or numbness",
    "complete": "complete",
    "sent_at": "sent at (UTC)",
    "answered_at": "answered at (UTC)",
}

# What became of a night's check-in (the diary row is made when the check-in is sent).
ANSWERED = "answered"
SKIPPED_NIGHT = "skipped"
UNANSWERED = "unanswered"

# The reminder columns of the user row, under the names the export gives them.
REMINDER_FIELDS: Mapping[str, str] = {
    "reminders_on": "on",
    "reminder_time": "time",
    "timezone": "time_zone",
    "paused_until": "paused_until",
    "reminder_slot_at": "next_check_in_at",
    "next_reminder_at": "next_attempt_at",
    "last_checkin_night": "last_check_in_night",
}

# For the person reading the file: what the less obvious fields mean.
ABOUT: Mapping[str, str] = {
    "reminders": (
        "Your morning check-in setting. next_check_in_at is the morning the next check-in "
        "is for; next_attempt_at is when it will be sent, later only while a failed send "
        "waits to be tried again. Times are UTC."
    ),
    "diary": (
        "One entry per night a check-in was sent. status: answered, skipped (you pressed "
        "Skip) or unanswered. sent_at: when the check-in for that night was first sent; "
        "last_changed_at: the last answer or skip. Times are UTC."
    ),
    "nudges": "The warning signs shown to you after a check-in, and when.",
}


class ExportEntry(Protocol):
    @property
    def night(self) -> date: ...

    @property
    def answers(self) -> Mapping[str, Any]: ...

    @property
    def complete(self) -> bool: ...

    @property
    def recorded_at(self) -> datetime: ...

    @property
    def updated_at(self) -> datetime: ...

    @property
    def checkin_message_id(self) -> int | None: ...


def night_status(entry: ExportEntry) -> str:
    """answered (at least one answer), skipped, or unanswered (sent and never touched)."""
    answers = entry.answers
    if any(value is not None for key, value in answers.items() if key != SKIPPED):
        return ANSWERED
    return SKIPPED_NIGHT if answers.get(SKIPPED) else UNANSWERED


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
        "calf_swollen": _yes_no(answers.get("calf")),
        "twitch": TWITCH_CELL.get(str(answers.get("twitch")), ""),
        "urine_dark": _yes_no(answers.get("urine")),
        "weak_or_numb": _yes_no(answers.get("weak")),
        "complete": "yes" if entry.complete else "no",
        # The row is made when the check-in goes out; only answers (and Skip) change its
        # updated_at afterwards, so for an answered night that is the time of its last answer.
        "sent_at": entry.recorded_at.isoformat(timespec="seconds"),
        "answered_at": entry.updated_at.isoformat(timespec="seconds"),
    }
    for factor in FACTORS:
        # blank, not 0, when the factors were never answered: unknown is not "no"
        row[factor] = ("1" if factor in factors else "0") if answered_factors else ""
    return row


def diary_csv(entries: Iterable[ExportEntry]) -> bytes:
    """One row per answered night, oldest first, a header row, a column per item; UTF-8.
    Skipped and unanswered nights have no row (the JSON lists them)."""
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\r\n")
    writer.writerow(CSV_HEADERS)
    for entry in sorted(entries, key=lambda e: e.night):
        if night_status(entry) == ANSWERED:
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
    nudges: list[dict[str, Any]],
) -> bytes:
    """Everything stored about one person, as pretty UTF-8 JSON: the user row (its reminder
    columns under "reminders"), questionnaires, every diary night whatever became of it, and
    the warnings shown."""
    person = dict(user)
    reminders = {name: person.pop(column, None) for column, name in REMINDER_FIELDS.items()}
    diary = [
        {
            "night": entry.night.isoformat(),
            "status": night_status(entry),
            "complete": entry.complete,
            "answers": dict(entry.answers),
            "sent_at": entry.recorded_at,
            "last_changed_at": entry.updated_at,
            "checkin_message_id": entry.checkin_message_id,
        }
        for entry in sorted(diary_entries, key=lambda e: e.night)
    ]
    document = {
        "user": person,
        "reminders": reminders,
        "assessments": assessments,
        "answers": answers,
        "diary": diary,
        "nudges": nudges,
        "about": dict(ABOUT),
    }
    text = json.dumps(document, indent=2, ensure_ascii=False, default=_plain)
    return (text + "\n").encode("utf-8")
