"""cramp-report.pdf without Telegram: the page's text read back with a PDF library, one page
whatever the content, and the last questionnaire in words."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pypdf import PdfReader

from bot.content.model import Content
from bot.diary.report_pdf import Questionnaire, last_questionnaire, make_report, report_blocks
from bot.diary.rules import WARNING_LEVELS, warnings_for
from bot.questionnaire import logic
from bot.storage import Assessment

TODAY = date(2026, 11, 26)
BERLIN = ZoneInfo("Europe/Berlin")


@dataclass(frozen=True)
class Night:
    night: date
    answers: dict[str, Any]


def night(back: int, cramps: int | None, **more: Any) -> Night:
    answers: dict[str, Any] = {} if cramps is None else {"cramps": cramps, "twitch": "none"}
    answers.update(more)
    return Night(TODAY - timedelta(days=1 + back), answers)


DIARY = [
    night(0, 2, woke=True, longest="1_5"),
    night(1, 0),
    night(2, 4, woke=True, longest="gt10", twitch="one"),
    night(3, None, skipped=True),
    night(5, 1, woke=False, longest="lt1"),
    night(9, 0, twitch="many"),
    night(120, 4, woke=True, longest="gt10"),  # before the 90 nights: not counted
]
NUDGES = [
    {"reason": "long_cramp", "sent_at": datetime(2026, 11, 23, 7, 0, tzinfo=UTC)},
    {"reason": "dark_urine", "sent_at": datetime(2026, 11, 24, 23, 30, tzinfo=UTC)},
    {"reason": "long_cramp", "sent_at": datetime(2026, 6, 1, 7, 0, tzinfo=UTC)},  # too old
]


def text_of(pdf: bytes) -> tuple[int, str]:
    reader = PdfReader(io.BytesIO(pdf))
    text = "\n".join(page.extract_text() or "" for page in reader.pages)
    return len(reader.pages), " ".join(text.split())


def report(content: Content, **kwargs: Any) -> tuple[int, str]:
    args: dict[str, Any] = {
        "entries": DIARY,
        "nudges": NUDGES,
        "questionnaire": None,
        "today": TODAY,
        "zone": BERLIN,
    }
    args.update(kwargs)
    return text_of(make_report(content, **args))


def test_the_page_holds_the_counts_the_diary_holds(content: Content) -> None:
    pages, text = report(content)
    assert pages == 1
    assert "Period: 28 Aug 2026 – 25 Nov 2026 (90 nights)" in text
    assert "Nights with a check-in answer: 5 of 90" in text
    assert "Nights with cramps: 3" in text
    assert "Nights woken by a cramp: 2" in text
    assert "Nights with a cramp over 10 minutes: 1" in text
    assert "Longest cramp: Over 10 min" in text
    assert "Days with muscle twitching: 2" in text
    assert "Name:" in text and "not a diagnosis" not in text.split("Name:")[0]


def test_warnings_have_their_local_date_and_level(content: Content) -> None:
    _, text = report(content)
    assert "23 Nov 2026 · see a doctor: a cramp that lasted over 10 minutes" in text
    # 23:30 UTC is already the next day in Berlin.
    assert "25 Nov 2026 · emergency: dark or cola-coloured urine" in text
    assert "1 Jun 2026" not in text


def test_without_diary_or_warnings_it_says_so(content: Content) -> None:
    pages, text = report(content, entries=[], nudges=[])
    assert pages == 1
    assert "No night recorded" in text and "None in this period." in text
    assert "Period: the night of 25 Nov 2026 (1 night)" in text
    assert "No finished questionnaire." in text


def test_the_last_questionnaire_with_its_causes_and_answers(content: Content) -> None:
    answers = {
        **{q: (o,) for q, o in CALM.items()},
        "meds": ("regular",),
        "which": ("diuretic",),
    }
    result = logic.evaluate(content, answers)
    older = assessment(1, datetime(2026, 10, 1, 9, tzinfo=UTC), result.to_json(), "self_care")
    newest = assessment(2, datetime(2026, 11, 20, 9, tzinfo=UTC), result.to_json(), "x")
    rows = [
        {"assessment_id": 2, "question_id": q, "value": list(v)} for q, v in answers.items()
    ] + [{"assessment_id": 1, "question_id": "age", "value": ["a80"]}]
    q = last_questionnaire(content, [newest, older], rows, BERLIN)
    assert q is not None and q.finished == date(2026, 11, 20)
    assert q.level == result.level.title
    assert any("Medicines" in line for line in q.answers)
    medicine = content.question("which")
    assert medicine is not None
    label = medicine.option("diuretic")
    assert label is not None
    assert f"{medicine.short}: {label.label}" in q.answers
    assert not any("80" in line for line in q.answers)  # the older questionnaire's answer
    _, text = report(content, questionnaire=q)
    assert "Answered on 20 Nov 2026." in text
    assert label.label.split(" ")[0] in text
    for match in result.causes:
        assert match.cause.name in text


def test_a_very_long_report_still_fits_one_page(content: Content) -> None:
    many = [
        {"reason": "long_cramp", "sent_at": datetime(2026, 11, 1, 7, tzinfo=UTC) + timedelta(d)}
        for d in range(20)
    ]
    long_q = Questionnaire(
        date(2026, 11, 1),
        "Book a doctor's appointment",
        tuple((f"Cause {i}", ("Where: " + "calves, " * 20,)) for i in range(3)),
        tuple(f"Question {i}: " + "an answer label, " * 8 for i in range(30)),
    )
    diary = [night(back, 4, woke=True, longest="gt10") for back in range(90)]
    pages, text = report(content, entries=diary, nudges=many, questionnaire=long_q)
    assert pages == 1
    assert "and 12 earlier" in text
    assert "Nights with cramps: 90" in text
    assert "does not examine anyone" in text  # the disclaimer is never the part left out


def test_every_warning_the_diary_gives_has_a_level_and_words_in_the_report(
    content: Content,
) -> None:
    diary = [night(b, 4, longest="gt10", now=True, urine=True, weak=True) for b in range(20)]
    diary[0].answers["factors"] = ["newmed"]
    diary[0].answers["factors_done"] = True
    found = warnings_for(diary, diary[0].night, texts=content)
    assert {w.reason for w in found} <= set(WARNING_LEVELS)
    assert all(WARNING_LEVELS[w.reason] == w.level for w in found)
    for reason in WARNING_LEVELS:
        assert content.raw_text(f"report.reason.{reason}")


CALM = {
    "em_now": "none",
    "em_soon": "none",
    "where": "calves",
    "often": "rare",
    "length": "mins",
    "impact": "sometimes",
    "age": "a40",
    "health": "none",
    "meds": "none",
    "kidney": "none",
    "nerve": "none",
    "drink": "normal",
    "caffeine": "low",
    "lately": "none",
}


def assessment(id_: int, finished: datetime, result: dict[str, Any], level: str) -> Assessment:
    return Assessment(
        id=id_,
        user_id=1,
        started_at=finished - timedelta(minutes=5),
        finished_at=finished,
        status="finished",
        current_question=None,
        message_id=None,
        content_version="1",
        level=level,
        result=result,
    )


def test_the_page_texts_pickle_and_make_the_same_page(content: Content) -> None:
    import pickle

    from bot.diary.report_pdf import PageTexts

    texts = pickle.loads(pickle.dumps(PageTexts.of(content)))
    pages, text = text_of(
        make_report(
            texts, entries=DIARY, nudges=NUDGES, questionnaire=None, today=TODAY, zone=BERLIN
        )
    )
    assert (pages, text) == report(content)


def test_the_period_line_and_the_chart_heading_name_the_same_nights(content: Content) -> None:
    # Ten nights in the diary: the page covers those ten, and so does its chart.
    ten = [night(back, back % 3, woke=False, longest="lt1") for back in range(10)]
    _, text = report(content, entries=ten, nudges=[])
    assert "Period: 16 Nov 2026 – 25 Nov 2026 (10 nights)" in text
    assert "Cramps per night, 16 Nov 2026 – 25 Nov 2026" in text
    assert "last 30 nights" not in text
    _, chart_days, _ = report_blocks(
        content, entries=ten, nudges=[], questionnaire=None, today=TODAY, zone=BERLIN
    )
    assert chart_days == 10
    # The default diary reaches back beyond 90 nights: both say the same 90.
    _, text = report(content)
    assert "Cramps per night, 28 Aug 2026 – 25 Nov 2026" in text


def test_one_night_is_one_night_on_the_page(content: Content) -> None:
    _, text = report(content, entries=[night(0, 1, woke=True, longest="gt10")], nudges=[])
    assert "Period: the night of 25 Nov 2026 (1 night)" in text
    assert "Cramps on the night of 25 Nov 2026" in text
    assert "Nights with a check-in answer: 1 of 1" in text
    assert "Nights with cramps: 1" in text
    assert re.search(r"\b1 (nights|days)\b", text) is None, text
