"""Diary logic: each warning rule on both sides of its threshold, weekly de-duplication,
the /history strip and trend, and the /insights wording."""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.diary.rules import (
    DiaryWarning,
    filter_repeats,
    history_view,
    insights_view,
    short_date,
    should_ask_weakness,
    trend,
    warnings_for,
)
from tests.harness import ROOT

DIARY_YAML = ROOT / "content" / "diary.yaml"
PREFIXES = (
    "diary.",
    "checkin.",
    "reminders.",
    "history.",
    "insights.",
    "export.",
    "chart.",
    "report.",
)


class YamlTexts:
    """Behaves like Content.text for content/diary.yaml alone."""

    def __init__(self, path: Path = DIARY_YAML) -> None:
        self.templates: dict[str, str] = yaml.safe_load(path.read_text("utf-8"))["texts"]

    def text(self, key: str, /, **values: Any) -> str:
        escaped = {name: html.escape(str(value)) for name, value in values.items()}
        return html.escape(self.templates[key]).format(**escaped)

    def raw_text(self, key: str, /) -> str:
        return self.templates[key]


TEXTS = YamlTexts()
START = date(2025, 3, 1)


@dataclass
class Entry:
    night: date
    answers: dict[str, Any]
    complete: bool = True
    recorded_at: datetime = field(default_factory=lambda: datetime(2025, 1, 1, tzinfo=UTC))


def night(i: int) -> date:
    return START + timedelta(days=i)


def full(cramps: int = 0, **more: Any) -> dict[str, Any]:
    answers: dict[str, Any] = {
        "cramps": cramps,
        "twitch": "none",
        "factors": [],
        "factors_done": True,
    }
    if cramps:
        answers |= {"longest": "1_5", "woke": False}
    return answers | more


def reasons(warnings: list[DiaryWarning]) -> list[str]:
    return [w.reason for w in warnings]


def test_every_text_key_has_a_known_prefix_and_formats() -> None:
    for key, template in TEXTS.templates.items():
        assert key.startswith(PREFIXES), key
        assert isinstance(template, str) and template.strip(), key


def test_a_quiet_diary_raises_nothing() -> None:
    entries = [Entry(night(i), full(cramps=1 if i % 3 == 0 else 0)) for i in range(20)]
    assert warnings_for(entries, night(19), texts=TEXTS) == []


def test_cramp_over_ten_minutes_is_see_doctor_and_five_to_ten_is_not() -> None:
    long = [Entry(night(0), full(1, longest="gt10"))]
    warnings = warnings_for(long, night(0), texts=TEXTS)
    assert [(w.reason, w.level) for w in warnings] == [("long_cramp", "see_doctor")]
    assert "more than 10 minutes" in warnings[0].text
    assert "doctor" in warnings[0].text
    shorter = [Entry(night(0), full(1, longest="5_10"))]
    assert warnings_for(shorter, night(0), texts=TEXTS) == []


def test_a_cramp_going_on_now_is_urgent() -> None:
    warnings = warnings_for([Entry(night(0), {"cramps": 1, "now": True})], night(0), texts=TEXTS)
    assert [(w.reason, w.level) for w in warnings] == [("cramp_now", "urgent")]
    assert "see a doctor today" in warnings[0].text


def test_only_the_evaluated_nights_own_signs_count() -> None:
    entries = [Entry(night(0), full(1, longest="gt10", weak=True)), Entry(night(1), full(0))]
    assert warnings_for(entries, night(1), texts=TEXTS) == []


@pytest.mark.parametrize(("cramp_nights", "warned"), [(7, False), (8, True)])
def test_cramps_on_8_of_the_last_14_recorded_nights(cramp_nights: int, warned: bool) -> None:
    # Recorded every other night: the nights without an entry count neither way.
    entries = [Entry(night(2 * i), full(1 if i < cramp_nights else 0)) for i in range(14)]
    warnings = warnings_for(entries, night(26), texts=TEXTS)
    assert ("frequent_cramps" in reasons(warnings)) is warned
    if warned:
        (warning,) = warnings
        assert warning.level == "see_doctor"
        assert "cramps on 8 of your last 14 recorded nights" in warning.text


def test_only_the_last_14_recorded_nights_count() -> None:
    old = [Entry(night(i), full(1)) for i in range(10)]
    recent = [Entry(night(10 + i), full(1 if i < 7 else 0)) for i in range(14)]
    warnings = warnings_for(old + recent, night(23), texts=TEXTS)
    assert "frequent_cramps" not in reasons(warnings)


@pytest.mark.parametrize(("recorded", "warned"), [(9, False), (10, True)])
def test_frequent_cramps_waits_for_10_recorded_nights(recorded: int, warned: bool) -> None:
    entries = [Entry(night(i), full(1 if i < 8 else 0)) for i in range(recorded)]
    warnings = warnings_for(entries, night(recorded - 1), texts=TEXTS)
    assert ("frequent_cramps" in reasons(warnings)) is warned


def test_a_skipped_or_unanswered_night_is_not_a_recorded_night() -> None:
    entries = [Entry(night(i), full(1)) for i in range(8)]
    entries += [Entry(night(8), {"skipped": True}), Entry(night(9), {"twitch": "none"})]
    assert "frequent_cramps" not in reasons(warnings_for(entries, night(9), texts=TEXTS))


def twitch_entries(days: list[int]) -> list[Entry]:
    return [Entry(night(d), full(0, twitch="one")) for d in days]


@pytest.mark.parametrize(
    ("days", "warned"),
    [
        ([0, 1, 2, 3, 4, 5, 6, 7, 15], False),  # 9 days over 15
        ([0, 1, 2, 3, 4, 5, 6, 7, 8, 15], True),  # 10 days, first to last 15 days apart
        ([0, 1, 2, 3, 4, 5, 6, 7, 8, 14], True),  # 10 days over 15 calendar days
        ([0, 1, 2, 3, 4, 5, 6, 7, 8, 13], False),  # 10 days over exactly two weeks
    ],
)
def test_twitching_on_10_days_over_more_than_two_weeks(days: list[int], warned: bool) -> None:
    warnings = warnings_for(twitch_entries(days), night(days[-1]), texts=TEXTS)
    assert ("long_twitching" in reasons(warnings)) is warned
    if warned:
        assert warnings[0].level == "see_doctor"
        last = short_date(night(days[-1]))
        assert f"twitching on 10 days between 1 Mar and {last}" in warnings[0].text
        assert "very rarely" in warnings[0].text  # reassurance comes with it


def test_weakness_yes_is_see_doctor_and_no_is_quiet() -> None:
    yes = warnings_for([Entry(night(0), full(1, weak=True))], night(0), texts=TEXTS)
    assert [(w.reason, w.level) for w in yes] == [("weakness", "see_doctor")]
    assert warnings_for([Entry(night(0), full(1, weak=False))], night(0), texts=TEXTS) == []


def test_dark_urine_is_an_emergency_and_comes_first() -> None:
    answers = full(4, longest="gt10", urine=True)
    warnings = warnings_for([Entry(night(0), answers)], night(0), texts=TEXTS)
    assert reasons(warnings) == ["dark_urine", "long_cramp"]
    assert warnings[0].level == "emergency"
    for number in ("112", "999", "911"):
        assert number in warnings[0].text
    assert "emergency department" in warnings[0].text
    no = warnings_for([Entry(night(0), full(4, urine=False))], night(0), texts=TEXTS)
    assert no == []


def test_new_medicine_on_a_cramp_night_only() -> None:
    cramp_night = [Entry(night(0), full(1, factors=["newmed"]))]
    warnings = warnings_for(cramp_night, night(0), texts=TEXTS)
    assert [(w.reason, w.level) for w in warnings] == [("new_medicine", "see_doctor")]
    assert "pharmacist" in warnings[0].text
    assert "do not stop or change a medicine yourself" in warnings[0].text
    quiet_night = [Entry(night(0), full(0, factors=["newmed"]))]
    assert warnings_for(quiet_night, night(0), texts=TEXTS) == []


NOW = datetime(2025, 3, 20, 8, 0, tzinfo=UTC)


def warning(reason: str, level: str = "see_doctor") -> DiaryWarning:
    return DiaryWarning(reason=reason, level=level, text=reason)


def test_the_same_reason_at_most_once_a_week() -> None:
    warnings = [warning("long_cramp"), warning("weakness"), warning("frequent_cramps")]
    last_sent: Mapping[str, datetime | None] = {
        "long_cramp": NOW - timedelta(days=6, hours=23),
        "weakness": NOW - timedelta(days=7),
        "frequent_cramps": None,
    }
    kept = filter_repeats(warnings, last_sent, NOW)
    assert reasons(kept) == ["weakness", "frequent_cramps"]


def test_emergency_and_urgent_are_always_shown() -> None:
    warnings = [warning("dark_urine", "emergency"), warning("cramp_now", "urgent")]
    last_sent = {"dark_urine": NOW - timedelta(hours=1), "cramp_now": NOW - timedelta(hours=1)}
    assert filter_repeats(warnings, last_sent, NOW) == warnings


@pytest.mark.parametrize(("flagged", "expected"), [(2, False), (3, True)])
def test_weakness_question_after_3_of_the_last_7(flagged: int, expected: bool) -> None:
    # 3 old cramp nights beyond the last 7 must not count
    entries = [Entry(night(i), full(1)) for i in range(3)]
    for i in range(7):
        answers = full(0, twitch="many") if i < flagged else full(0)
        entries.append(Entry(night(3 + i), answers))
    assert should_ask_weakness(entries, night(9), None) is expected


def test_weakness_question_ignores_nights_sent_but_not_answered() -> None:
    entries = [Entry(night(i), full(1)) for i in range(3)]  # three cramp nights
    entries += [Entry(night(3 + i), {}) for i in range(3)]  # sent, never answered
    entries.append(Entry(night(6), {"skipped": True}))
    entries.append(Entry(night(7), full(0)))  # tonight, a quiet night
    assert should_ask_weakness(entries, night(7), None) is True


def test_weakness_question_at_most_once_a_week() -> None:
    entries = [Entry(night(i), full(1)) for i in range(10)]
    assert should_ask_weakness(entries, night(9), last_asked=night(3)) is False
    assert should_ask_weakness(entries, night(9), last_asked=night(2)) is True
    # the same night (a check-in in progress) keeps asking
    assert should_ask_weakness(entries, night(9), last_asked=night(9)) is True
    # an answered weakness question in the diary counts as asked
    entries[5] = Entry(night(5), full(1, weak=False))
    assert should_ask_weakness(entries, night(9), None) is False
    assert should_ask_weakness(entries, night(12), None) is True


def test_history_strip_and_counts() -> None:
    entries = [
        Entry(date(2025, 2, 28), full(1)),  # before the 30 nights: not shown, not counted
        Entry(date(2025, 3, 1), full(0)),
        Entry(date(2025, 3, 3), full(1, longest="1_5", woke=True)),
        Entry(date(2025, 3, 4), full(4, longest="lt1", woke=False)),
        Entry(date(2025, 3, 10), full(2, longest="gt10", woke=True)),
        Entry(date(2025, 3, 20), {"skipped": True}),
        Entry(date(2025, 3, 30), full(0, twitch="one")),
    ]
    view = history_view(entries, date(2025, 3, 31), texts=TEXTS)
    assert view.splitlines() == [
        "<b>Your last 30 nights</b>",
        "<code>○·</code>  1 Mar – 2 Mar",
        "<code>●◉·····</code>  3 Mar – 9 Mar",
        "<code>◉······</code>  10 Mar – 16 Mar",
        "<code>·······</code>  17 Mar – 23 Mar",
        "<code>······○</code>  24 Mar – 30 Mar",
        "· no entry   ○ no cramps   ● cramps   ◉ 4 or more, or over 10 minutes",
        "",
        "Nights recorded: 5 of 30",
        "Nights with cramps: 3",
        "Longest cramp: Over 10 min",
        "Nights woken by a cramp: 2",
        "Days with twitching: 1",
        "Trend: not enough nights yet. It needs 14 recorded nights; you have 6.",
    ]


def test_history_when_empty() -> None:
    view = history_view([], date(2025, 3, 31), texts=TEXTS)
    assert "No nights recorded yet" in view
    assert "/reminders" in view


def weeks(before: int, recent: int) -> list[Entry]:
    cramps = [1] * before + [0] * (7 - before) + [1] * recent + [0] * (7 - recent)
    return [Entry(night(i), full(c)) for i, c in enumerate(cramps)]


@pytest.mark.parametrize(
    ("before", "recent", "direction"),
    [(5, 2, "better"), (5, 3, "better"), (2, 5, "worse"), (4, 3, "same"), (3, 4, "same")],
)
def test_trend(before: int, recent: int, direction: str) -> None:
    assert trend(weeks(before, recent), night(13)) == (direction, recent, before, 14)
    view = history_view(weeks(before, recent), night(14), texts=TEXTS)
    word = {"better": "better", "worse": "worse", "same": "about the same"}[direction]
    assert (
        f"Trend: {word}. Cramps on {recent} of your last 7 recorded nights, "
        f"against {before} of the 7 before."
    ) in view


def test_trend_needs_14_recorded_nights() -> None:
    assert trend(weeks(5, 2)[1:], night(13))[0] == "few"


def insight_entries(with_exercise: list[int], without: list[int]) -> list[Entry]:
    """Nights with and without hard exercise; each list holds the cramp count per night."""
    entries = []
    for i, cramps in enumerate(with_exercise):
        entries.append(Entry(night(i), full(cramps, factors=["exercise"])))
    for i, cramps in enumerate(without, start=len(with_exercise)):
        entries.append(Entry(night(i), full(cramps)))
    return entries


def test_insights_line_for_a_factor_with_enough_nights() -> None:
    entries = insight_entries([1, 1, 2, 4, 0], [1, 1, 0, 0, 0, 0, 0, 0, 0])
    view = insights_view(entries, texts=TEXTS)
    assert ("• Cramps on 4 of 5 nights after hard exercise or sweating, 2 of 9 without.") in view
    # never a cause; always the caveat about chance
    assert "counts, not causes" in view
    assert "can easily be chance" in view
    assert "because" not in view.lower()


@pytest.mark.parametrize(
    ("with_n", "without_n", "expected"),
    [
        (2, 3, "not enough nights yet, 1 more with it needed (so far 2 with, 3 without)"),
        (3, 2, "not enough nights yet, 1 more without it needed (so far 3 with, 2 without)"),
        (3, 3, "Cramps on 3 of 3 nights after hard exercise or sweating, 0 of 3 without."),
    ],
)
def test_insights_threshold_is_3_with_and_3_without(
    with_n: int, without_n: int, expected: str
) -> None:
    view = insights_view(insight_entries([1] * with_n, [0] * without_n), texts=TEXTS)
    assert expected in view
    # the other factors were never ticked: honest about what is missing
    assert (
        "Alcohol: not enough nights yet, 3 more with it needed "
        f"(so far 0 with, {with_n + without_n} without)."
    ) in view
    assert "can easily be chance" in view


def test_insights_ignore_nights_whose_factors_were_not_answered() -> None:
    entries = insight_entries([1, 1, 1], [0, 0, 0])
    entries.append(Entry(night(10), {"cramps": 1}))  # check-in left before the factors
    view = insights_view(entries, texts=TEXTS)
    assert "3 of 3 nights after hard exercise or sweating, 0 of 3 without" in view


def test_insights_with_no_nights() -> None:
    view = insights_view([], texts=TEXTS)
    assert "No finished check-ins yet" in view
    assert "can easily be chance" in view


def test_labels_inside_history_and_insights_are_escaped_once() -> None:
    texts = YamlTexts()
    texts.templates["checkin.longest.gt10"] = "> 10 min"
    texts.templates["insights.after.exercise"] = "after sport & sweat"
    view = history_view([Entry(night(0), full(1, longest="gt10"))], night(1), texts=texts)
    assert "Longest cramp: &gt; 10 min" in view
    view = insights_view(insight_entries([1, 1, 1], [0, 0, 0]), texts=texts)
    assert "3 of 3 nights after sport &amp; sweat, 0 of 3 without" in view


# --- the diary agrees with the questionnaire ---------------------------------------------------


@pytest.mark.parametrize(("woken", "warned"), [(3, False), (4, True), (7, True)])
def test_woken_on_most_of_the_last_7_recorded_nights(woken: int, warned: bool) -> None:
    # As the questionnaire's "they wake me most nights": see a doctor.
    entries = [Entry(night(i), full(1, woke=i < woken)) for i in range(7)]
    warnings = warnings_for(entries, night(6), texts=TEXTS)
    assert ("woken_often" in reasons(warnings)) is warned
    if warned:
        warning = next(w for w in warnings if w.reason == "woken_often")
        assert warning.level == "see_doctor"
        assert f"Cramps woke you on {woken} of your last 7 recorded nights" in warning.text
        assert "Book a doctor&#x27;s appointment" in warning.text


def test_woken_nights_older_than_the_last_7_recorded_do_not_count() -> None:
    old = [Entry(night(i), full(1, woke=True)) for i in range(4)]
    recent = [Entry(night(4 + i), full(1 if i < 3 else 0, woke=True)) for i in range(7)]
    warnings = warnings_for(old + recent, night(10), texts=TEXTS)
    assert "woken_often" not in reasons(warnings)


def test_cramps_that_did_not_wake_do_not_count_as_woken() -> None:
    entries = [Entry(night(i), full(1, woke=False)) for i in range(7)]
    assert "woken_often" not in reasons(warnings_for(entries, night(6), texts=TEXTS))


@pytest.mark.parametrize(
    ("days", "warned"),
    [([13], False), ([0, 13], True), ([0, 14], False), ([3, 5, 9], True)],
)
def test_twitching_in_several_places_within_14_days(days: list[int], warned: bool) -> None:
    # As the questionnaire's "twitches in many places": see a doctor.
    entries = [Entry(night(i), full(0, twitch="many" if i in days else "one")) for i in range(15)]
    entries = [e for e in entries if e.night <= night(max(days))]
    warnings = warnings_for(entries, night(max(days)), texts=TEXTS)
    assert ("twitch_many" in reasons(warnings)) is warned
    if warned:
        warning = next(w for w in warnings if w.reason == "twitch_many")
        assert warning.level == "see_doctor"
        assert "twitching in several places on" in warning.text


def test_twitching_in_one_place_is_not_several_places() -> None:
    entries = [Entry(night(i), full(0, twitch="one")) for i in range(5)]
    assert "twitch_many" not in reasons(warnings_for(entries, night(4), texts=TEXTS))


def test_a_swollen_calf_after_a_long_cramp_is_urgent_and_always_shown() -> None:
    entries = [Entry(night(0), full(1, longest="gt10", calf=True))]
    warnings = warnings_for(entries, night(0), texts=TEXTS)
    assert [(w.reason, w.level) for w in warnings] == [
        ("calf_swollen", "urgent"),
        ("long_cramp", "see_doctor"),
    ]
    assert "blood clot" in warnings[0].text and "112 / 999 / 911" in warnings[0].text
    sent = {"calf_swollen": datetime(2025, 3, 1, tzinfo=UTC)}
    assert filter_repeats(warnings[:1], sent, datetime(2025, 3, 2, tzinfo=UTC)) == warnings[:1]
    no = [Entry(night(0), full(1, longest="gt10", calf=False))]
    assert reasons(warnings_for(no, night(0), texts=TEXTS)) == ["long_cramp"]
