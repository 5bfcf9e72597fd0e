"""/export: the diary CSV a doctor can open, and everything else as JSON."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from bot.diary.export import CSV_COLUMNS, CSV_HEADERS, diary_csv, everything_json


@dataclass
class Entry:
    night: date
    answers: dict[str, Any]
    complete: bool
    recorded_at: datetime
    updated_at: datetime
    checkin_message_id: int | None = 55


SENT = datetime(2025, 3, 10, 6, 30, 5, 123456, tzinfo=UTC)
AT = datetime(2025, 3, 10, 7, 2, 40, 5, tzinfo=UTC)

ENTRIES = [
    Entry(
        date(2025, 3, 9),
        {
            "cramps": 4,
            "longest": "gt10",
            "woke": True,
            "twitch": "many",
            "factors": ["exercise", "newmed"],
            "factors_done": True,
            "urine": False,
            "weak": True,
        },
        True,
        SENT,
        AT,
    ),
    Entry(
        date(2025, 3, 8),
        {"cramps": 0, "twitch": "none", "factors": ["none"], "factors_done": True},
        True,
        SENT,
        AT,
    ),
    Entry(date(2025, 3, 7), {"cramps": 1, "now": True}, False, SENT, AT),
]
# Sent and never touched; skipped; skipped, then answered after all.
UNANSWERED = Entry(date(2025, 3, 10), {}, False, SENT, SENT)
SKIPPED = Entry(date(2025, 3, 6), {"skipped": True}, False, SENT, AT)
ANSWERED_AFTER_SKIP = Entry(date(2025, 3, 5), {"skipped": None, "cramps": 0}, False, SENT, AT)


def read_csv(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))


def test_csv_has_a_header_and_one_row_per_night_oldest_first() -> None:
    rows = read_csv(diary_csv(ENTRIES))
    assert rows[0] == [
        "night",
        "cramps",
        "longest cramp",
        "woke up",
        "cramp still going at check-in",
        "swollen red or warm calf",
        "twitching",
        "caffeine after noon",
        "alcohol",
        "hard exercise or sweating",
        "stress",
        "drank little",
        "new medicine",
        "dark urine",
        "new weakness or numbness",
        "complete",
        "sent at (UTC)",
        "answered at (UTC)",
    ]
    assert rows[0] == [CSV_HEADERS[column] for column in CSV_COLUMNS]
    assert rows[1:] == [
        [
            "2025-03-07",
            "1",
            "",
            "",
            "yes",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "no",
            "2025-03-10T06:30:05+00:00",
            "2025-03-10T07:02:40+00:00",
        ],
        [
            "2025-03-08",
            "0",
            "",
            "",
            "",
            "",
            "none",
            "0",
            "0",
            "0",
            "0",
            "0",
            "0",
            "",
            "",
            "yes",
            "2025-03-10T06:30:05+00:00",
            "2025-03-10T07:02:40+00:00",
        ],
        [
            "2025-03-09",
            "4+",
            ">10 min",
            "yes",
            "",
            "",
            "several places",
            "0",
            "0",
            "1",
            "0",
            "0",
            "1",
            "no",
            "yes",
            "yes",
            "2025-03-10T06:30:05+00:00",
            "2025-03-10T07:02:40+00:00",
        ],
    ]


def test_csv_has_only_answered_nights_with_when_sent_and_when_answered() -> None:
    rows = list(
        csv.DictReader(
            io.StringIO(
                diary_csv([*ENTRIES, UNANSWERED, SKIPPED, ANSWERED_AFTER_SKIP]).decode("utf-8"),
                newline="",
            )
        )
    )
    assert [r["night"] for r in rows] == [
        "2025-03-05",
        "2025-03-07",
        "2025-03-08",
        "2025-03-09",
    ]
    assert (rows[0]["cramps"], rows[0]["complete"]) == ("0", "no")
    assert (rows[0]["sent at (UTC)"], rows[0]["answered at (UTC)"]) == (
        "2025-03-10T06:30:05+00:00",
        "2025-03-10T07:02:40+00:00",
    )
    assert "recorded_at" not in rows[0]


def test_csv_is_utf8_with_spreadsheet_line_ends() -> None:
    data = diary_csv(ENTRIES)
    assert data.startswith(b"night,cramps,")
    assert data.count(b"\r\n") == 4
    assert diary_csv([]) == (",".join(CSV_HEADERS.values()) + "\r\n").encode()


def test_everything_json_is_pretty_and_complete() -> None:
    user = {
        "user_id": 7,
        "created_at": SENT,
        "timezone": "Europe/Berlin",
        "reminder_time": "07:30",
        "reminders_on": True,
        "paused_until": None,
        "next_reminder_at": AT,
        "reminder_slot_at": SENT,
        "last_checkin_night": date(2025, 3, 9),
        "blocked_at": None,
    }
    assessments = [{"id": 1, "level": "self_care", "finished_at": SENT}]
    answers = [{"assessment_id": 1, "question_id": "where", "value": ["calves"]}]
    nudges = [{"reason": "long_cramp", "sent_at": AT}]
    entries = [*ENTRIES, UNANSWERED, SKIPPED, ANSWERED_AFTER_SKIP]
    data = everything_json(user, assessments, answers, entries, nudges)
    assert data.startswith(b'{\n  "user"')
    document = json.loads(data.decode("utf-8"))
    assert list(document) == [
        "user",
        "reminders",
        "assessments",
        "answers",
        "diary",
        "nudges",
        "about",
    ]
    assert document["user"] == {
        "user_id": 7,
        "created_at": "2025-03-10T06:30:05.123456+00:00",
        "blocked_at": None,
    }
    assert document["reminders"] == {
        "on": True,
        "time": "07:30",
        "time_zone": "Europe/Berlin",
        "paused_until": None,
        "next_check_in_at": "2025-03-10T06:30:05.123456+00:00",
        "next_attempt_at": "2025-03-10T07:02:40.000005+00:00",
        "last_check_in_night": "2025-03-09",
    }
    assert document["assessments"][0]["finished_at"] == "2025-03-10T06:30:05.123456+00:00"
    assert document["answers"] == answers
    assert document["nudges"] == [
        {"reason": "long_cramp", "sent_at": "2025-03-10T07:02:40.000005+00:00"}
    ]
    diary = {night["night"]: night for night in document["diary"]}
    assert list(diary) == [
        "2025-03-05",
        "2025-03-06",
        "2025-03-07",
        "2025-03-08",
        "2025-03-09",
        "2025-03-10",
    ]
    assert {night: entry["status"] for night, entry in diary.items()} == {
        "2025-03-05": "answered",
        "2025-03-06": "skipped",
        "2025-03-07": "answered",
        "2025-03-08": "answered",
        "2025-03-09": "answered",
        "2025-03-10": "unanswered",
    }
    assert diary["2025-03-09"]["answers"]["factors"] == ["exercise", "newmed"]
    assert diary["2025-03-07"]["complete"] is False
    assert diary["2025-03-06"] == {
        "night": "2025-03-06",
        "status": "skipped",
        "complete": False,
        "answers": {"skipped": True},
        "sent_at": "2025-03-10T06:30:05.123456+00:00",
        "last_changed_at": "2025-03-10T07:02:40.000005+00:00",
        "checkin_message_id": 55,
    }
    assert "skipped" in document["about"]["diary"]


def test_everything_json_keeps_non_ascii_readable() -> None:
    data = everything_json({"first_name": "Zoë"}, [], [], [], [])
    assert "Zoë".encode() in data
