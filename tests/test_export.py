"""/export: the diary CSV a doctor can open, and everything else as JSON."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from bot.export import CSV_COLUMNS, diary_csv, everything_json


@dataclass
class Entry:
    night: date
    answers: dict[str, Any]
    complete: bool
    recorded_at: datetime
    updated_at: datetime


AT = datetime(2025, 3, 10, 6, 30, 5, 123456, tzinfo=UTC)

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
        AT,
        AT,
    ),
    Entry(
        date(2025, 3, 8),
        {"cramps": 0, "twitch": "none", "factors": ["none"], "factors_done": True},
        True,
        AT,
        AT,
    ),
    Entry(date(2025, 3, 7), {"cramps": 1, "now": True}, False, AT, AT),
]


def read_csv(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))


def test_csv_has_a_header_and_one_row_per_night_oldest_first() -> None:
    rows = read_csv(diary_csv(ENTRIES))
    assert rows[0] == [
        "night",
        "cramps",
        "longest",
        "woke",
        "cramp_at_checkin",
        "twitch",
        "caffeine",
        "alcohol",
        "exercise",
        "stress",
        "lowfluid",
        "newmed",
        "urine_dark",
        "weak_or_numb",
        "complete",
        "recorded_at",
    ]
    assert rows[0] == list(CSV_COLUMNS)
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
            "no",
            "2025-03-10T06:30:05+00:00",
        ],
        [
            "2025-03-08",
            "0",
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
        ],
        [
            "2025-03-09",
            "4+",
            ">10 min",
            "yes",
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
        ],
    ]


def test_csv_is_utf8_with_spreadsheet_line_ends() -> None:
    data = diary_csv(ENTRIES)
    assert data.startswith(b"night,cramps,")
    assert data.count(b"\r\n") == 4
    assert diary_csv([]) == (",".join(CSV_COLUMNS) + "\r\n").encode()


def test_everything_json_is_pretty_and_complete() -> None:
    user = {"user_id": 7, "timezone": "Europe/Berlin", "created_at": AT}
    assessments = [{"id": 1, "level": "self_care", "finished_at": AT}]
    answers = [{"assessment_id": 1, "question_id": "where", "value": ["calves"]}]
    data = everything_json(user, assessments, answers, ENTRIES)
    assert data.startswith(b'{\n  "user"')
    document = json.loads(data.decode("utf-8"))
    assert document["user"] == {
        "user_id": 7,
        "timezone": "Europe/Berlin",
        "created_at": "2025-03-10T06:30:05.123456+00:00",
    }
    assert document["assessments"][0]["finished_at"] == "2025-03-10T06:30:05.123456+00:00"
    assert document["answers"] == answers
    assert [d["night"] for d in document["diary"]] == ["2025-03-07", "2025-03-08", "2025-03-09"]
    assert document["diary"][2]["answers"]["factors"] == ["exercise", "newmed"]
    assert document["diary"][0]["complete"] is False


def test_everything_json_keeps_non_ascii_readable() -> None:
    data = everything_json({"first_name": "Zoë"}, [], [], [])
    assert "Zoë".encode() in data
