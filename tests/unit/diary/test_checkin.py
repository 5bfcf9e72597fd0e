"""The morning check-in: strict callback data, the order of steps, idempotent toggles, what
each screen shows and which buttons it carries."""

from __future__ import annotations

import html
from datetime import date
from typing import Any

import pytest
import yaml

from bot.diary.checkin import (
    CHECKIN_ITEMS,
    CheckinPress,
    apply_press,
    checkin_data,
    next_step,
    parse_checkin_data,
    render_checkin,
)
from bot.diary.rules import DiaryWarning
from bot.ui import Screen
from tests.harness import ROOT

DIARY_YAML = ROOT / "content" / "diary.yaml"
NIGHT = date(2025, 3, 9)


class YamlTexts:
    """Behaves like Content.text for content/diary.yaml alone."""

    def __init__(self, overrides: dict[str, str] | None = None) -> None:
        self.templates: dict[str, str] = yaml.safe_load(DIARY_YAML.read_text("utf-8"))["texts"]
        self.templates.update(overrides or {})

    def text(self, key: str, /, **values: Any) -> str:
        escaped = {name: html.escape(str(value)) for name, value in values.items()}
        return html.escape(self.templates[key]).format(**escaped)

    def raw_text(self, key: str, /) -> str:
        return self.templates[key]


TEXTS = YamlTexts()


def press(item: str, value: str, night: date = NIGHT) -> CheckinPress:
    parsed = parse_checkin_data(checkin_data(night, item, value))
    assert parsed is not None
    return parsed


def tap(screen: Screen, label: str) -> CheckinPress:
    """The press behind the button the user sees with this label."""
    # An unticked factor shows an empty box before its label.
    matches = [b for b in screen.all_buttons() if b.text in (label, f"☐ {label}")]
    assert len(matches) == 1, [b.text for b in screen.all_buttons()]
    parsed = parse_checkin_data(matches[0].data)
    assert parsed is not None
    return parsed


def labels(screen: Screen) -> list[list[str]]:
    return [[b.text for b in row] for row in screen.buttons]


def walk(labels_to_tap: list[str], *, ask_weakness: bool = False) -> tuple[dict[str, Any], Screen]:
    answers: dict[str, Any] = {}
    screen = render_checkin(TEXTS, NIGHT, answers, ask_weakness=ask_weakness)
    for label in labels_to_tap:
        answers = apply_press(answers, tap(screen, label))
        screen = render_checkin(TEXTS, NIGHT, answers, ask_weakness=ask_weakness)
    return answers, screen


def test_parse_accepts_what_the_buttons_carry() -> None:
    assert parse_checkin_data("d1:20250309:cramps:4") == CheckinPress(NIGHT, "cramps", "4")
    assert parse_checkin_data("d1:20250309:exercise:0") == CheckinPress(NIGHT, "exercise", "0")
    assert parse_checkin_data("d1:20250309:factors:done") == CheckinPress(NIGHT, "factors", "done")


@pytest.mark.parametrize(
    "data",
    [
        "",
        "d1",
        "q1:20250309:cramps:1",
        "d2:20250309:cramps:1",
        "d1:2025039:cramps:1",  # 7-digit date
        "d1:20250230:cramps:1",  # no 30 February
        "d1:20251301:cramps:1",
        "d1:20250309:cramps:3",  # not an offered value
        "d1:20250309:cramps:",
        "d1:20250309:pain:1",  # unknown item
        "d1:20250309:cramps:1:1",  # extra field
        "d1:20250309:exercise:2",
        "d1:20250309:factors:1",
        "d1:20250309:CRAMPS:1",
        " d1:20250309:cramps:1",
        "d1:20250309:cramps:1\n",
        "d1:２０２５0309:cramps:1",  # non-ASCII digits
        "d1:20250309:weak:y" + "y" * 60,  # over 64 bytes
        "d1:20250309:" + "a" * 60 + ":1",
    ],
)
def test_parse_rejects_forged_and_garbled_data(data: str) -> None:
    assert parse_checkin_data(data) is None


def test_checkin_data_refuses_values_it_would_not_parse() -> None:
    with pytest.raises(ValueError, match="not a check-in button"):
        checkin_data(NIGHT, "cramps", "3")


def test_first_step_asks_about_cramps_with_snooze_and_skip() -> None:
    screen = render_checkin(TEXTS, NIGHT, {}, ask_weakness=False)
    assert "Morning check-in · the night of 9 Mar" in screen.text
    assert "Did you have any cramps last night?" in screen.text
    assert labels(screen) == [["None", "1", "2–3", "4 or more"], ["Snooze 1 hour", "Skip today"]]
    assert [b.data for b in screen.buttons[1]] == ["d1:20250309:snooze:1", "d1:20250309:skip:1"]
    snooze = tap(screen, "Snooze 1 hour")
    assert snooze.is_action
    assert apply_press({}, snooze) == {}


def test_a_night_with_cramps_end_to_end() -> None:
    answers, screen = walk(["2–3", "5–10 min", "Yes", "In one place", "Stress", "Alcohol", "Done"])
    assert answers == {
        "cramps": 2,
        "longest": "5_10",
        "woke": True,
        "twitch": "one",
        "factors": ["alcohol", "stress"],
        "factors_done": True,
    }
    assert next_step(answers, ask_weakness=False) is None
    assert screen.buttons == ()
    assert screen.text.splitlines() == [
        "<b>Thank you, that is saved for the night of 9 Mar.</b>",
        "",
        "Cramps: 2–3",
        "Longest: 5–10 min",
        "Woke you: Yes",
        "Twitching: In one place",
        "Yesterday: Alcohol, Stress",
        "",
        "Nothing in this check-in needs a doctor. Cramps now and then are very common and "
        "usually harmless; a gentle calf stretch before bed is worth a try.",
    ]


def test_a_night_without_cramps_skips_the_cramp_questions() -> None:
    answers, screen = walk(["None"])
    assert "Any muscle twitching yesterday?" in screen.text
    assert "Step 2 of about 3" in screen.text
    answers, screen = walk(["None", "None", "Done"])
    assert answers == {"cramps": 0, "twitch": "none", "factors": [], "factors_done": True}
    assert "Yesterday: none of the listed things" in screen.text
    assert "A quiet night. Have a good day." in screen.text


def test_steps_in_order_with_their_buttons() -> None:
    _, screen = walk(["1"])
    assert "How long did the longest one last" in screen.text
    assert labels(screen) == [
        ["Under 1 min", "1–5 min"],
        ["5–10 min", "Over 10 min"],
        ["Still going after 10 min"],
    ]
    _, screen = walk(["1", "Under 1 min"])
    assert "Did a cramp wake you up?" in screen.text
    assert labels(screen) == [["Yes", "No"]]
    _, screen = walk(["1", "Under 1 min", "No"])
    assert labels(screen) == [["None"], ["In one place"], ["In several places"]]
    _, screen = walk(["1", "Under 1 min", "No", "None"])
    assert "Tick all that fit" in screen.text
    assert labels(screen) == [
        ["☐ Caffeine after noon"],
        ["☐ Alcohol"],
        ["☐ Hard exercise or sweating"],
        ["☐ Stress"],
        ["☐ Drank little"],
        ["☐ A new medicine"],
        ["☐ None of these"],
        ["Done"],
    ]


def test_every_button_fits_64_bytes_and_parses_back() -> None:
    screens = [
        walk(taps)[1]
        for taps in (
            [],
            ["4 or more"],
            ["4 or more", "Over 10 min"],
            ["4 or more", "Over 10 min", "Yes"],
            ["4 or more", "Over 10 min", "Yes", "No"],
            ["4 or more", "Over 10 min", "Yes", "No", "None"],
            ["4 or more", "Over 10 min", "Yes", "No", "None", "Done"],
        )
    ]
    screens.append(walk(["None", "None", "Done"], ask_weakness=True)[1])
    seen = set()
    for screen in screens:
        for button in screen.all_buttons():
            assert len(button.data.encode()) <= 64
            parsed = parse_checkin_data(button.data)
            assert parsed is not None and parsed.night == NIGHT
            seen.add(parsed.item)
    assert seen == set(CHECKIN_ITEMS)


def test_toggles_carry_the_wanted_state_and_are_idempotent() -> None:
    answers, screen = walk(["None", "None"])
    tick = tap(screen, "Stress")
    assert tick.data() == "d1:20250309:stress:1"
    once = apply_press(answers, tick)
    assert apply_press(once, tick) == once  # delivered twice: still ticked once
    assert once["factors"] == ["stress"]
    screen = render_checkin(TEXTS, NIGHT, once, ask_weakness=False)
    untick = tap(screen, "☑ Stress")
    assert untick.data() == "d1:20250309:stress:0"
    off = apply_press(once, untick)
    assert off["factors"] == []
    assert apply_press(off, untick) == off


def test_none_of_these_excludes_the_factors() -> None:
    answers, screen = walk(["None", "None", "Stress", "Alcohol", "None of these"])
    assert answers["factors"] == ["none"]
    assert "☑ None of these" in [b.text for b in screen.all_buttons()]
    answers = apply_press(answers, press("caffeine", "1"))
    assert answers["factors"] == ["caffeine"]


def test_stale_and_repeated_presses_change_nothing() -> None:
    answers, _ = walk(["1", "1–5 min"])
    assert apply_press(answers, press("cramps", "4")) == answers  # an earlier step
    assert apply_press(answers, press("longest", "gt10")) == answers  # delivered again
    assert apply_press(answers, press("stress", "1")) == answers  # a later step
    assert apply_press(answers, press("weak", "y")) == answers
    assert apply_press(answers, press("woke", "n"))["woke"] is False


def test_apply_press_does_not_change_its_input() -> None:
    answers: dict[str, Any] = {"cramps": 0, "twitch": "none", "factors": ["stress"]}
    apply_press(answers, press("alcohol", "1"))
    assert answers == {"cramps": 0, "twitch": "none", "factors": ["stress"]}


def test_a_cramp_still_going_after_10_minutes_gets_urgent_advice_at_once() -> None:
    answers, screen = walk(["1", "Still going after 10 min"])
    assert answers == {"cramps": 1, "now": True, "longest": "gt10"}
    assert "<b>Please see a doctor today</b>" in screen.text
    assert "stretch the muscle gently" in screen.text
    assert "more than 10 minutes and does not ease" in screen.text
    assert "When it has eased, you can finish the check-in here." in screen.text
    # the check-in carries on with the next question, the advice stays on top until done
    assert "Did a cramp wake you up?" in screen.text
    answers = apply_press(answers, tap(screen, "No"))
    screen = render_checkin(TEXTS, NIGHT, answers, ask_weakness=False)
    assert "<b>Please see a doctor today</b>" in screen.text


@pytest.mark.parametrize(
    ("taps", "asked"),
    [
        (["4 or more", "Under 1 min", "No", "None", "Done"], True),
        (["1", "Under 1 min", "No", "None", "Hard exercise or sweating", "Done"], True),
        (["1", "Under 1 min", "No", "None", "Stress", "Done"], False),
        (["None", "None", "Hard exercise or sweating", "Done"], False),
    ],
)
def test_dark_urine_question_after_4_cramps_or_exercise(taps: list[str], asked: bool) -> None:
    answers, screen = walk(taps)
    assert (next_step(answers, ask_weakness=False) == "urine") is asked
    assert ("dark brown or cola-coloured" in screen.text) is asked


def test_dark_urine_yes_ends_the_checkin_with_the_emergency_advice() -> None:
    answers, screen = walk(
        ["4 or more", "Under 1 min", "No", "None", "Done", "Yes"], ask_weakness=True
    )
    assert answers["urine"] is True
    assert next_step(answers, ask_weakness=True) is None  # no weakness question after it
    assert screen.text.startswith("<b>Please get help now</b>")
    assert "112 in Europe, 999 in the UK, 911 in North America" in screen.text
    assert "Nothing in this check-in needs a doctor" not in screen.text
    assert "Cramps:" not in screen.text  # nothing distracts from the emergency advice


def test_weakness_question_only_when_asked_for() -> None:
    answers, screen = walk(["None", "In several places", "Done"], ask_weakness=True)
    assert "new weakness or numbness" in screen.text
    assert "Step 4 of about 4" in screen.text
    answers = apply_press(answers, tap(screen, "No"))
    assert answers["weak"] is False
    assert next_step(answers, ask_weakness=True) is None
    answers, _ = walk(["None", "In several places", "Done"], ask_weakness=False)
    assert next_step(answers, ask_weakness=False) is None


def test_completed_screen_shows_warnings_instead_of_the_calm_line() -> None:
    answers, _ = walk(["1", "Over 10 min", "Yes", "No", "None", "Done"])
    warning = DiaryWarning("long_cramp", "see_doctor", "<b>Worth booking</b>\nA long cramp.")
    screen = render_checkin(TEXTS, NIGHT, answers, ask_weakness=False, warnings=[warning])
    assert screen.text.endswith("<b>Worth booking</b>\nA long cramp.")
    assert "Longest: Over 10 min" in screen.text
    assert "Nothing in this check-in needs a doctor" not in screen.text


def test_labels_are_escaped_exactly_once_in_text_and_never_on_buttons() -> None:
    texts = YamlTexts({"checkin.factor.stress": "Stress & worry <work>"})
    answers: dict[str, Any] = {"cramps": 0, "twitch": "none", "factors": ["stress"]}
    screen = render_checkin(texts, NIGHT, answers, ask_weakness=False)
    # button labels are plain text for Telegram, message text is HTML
    assert "☑ Stress & worry <work>" in [b.text for b in screen.all_buttons()]
    done = render_checkin(texts, NIGHT, answers | {"factors_done": True}, ask_weakness=False)
    assert "Yesterday: Stress &amp; worry &lt;work&gt;" in done.text


def test_the_finished_checkin_repeats_the_urgent_advice_for_a_cramp_right_now() -> None:
    answers, screen = walk(["1", "Still going after 10 min", "No", "No", "None", "None of these"])
    assert answers["now"] is True and next_step(answers, ask_weakness=False) is None
    # shown from the answers even when the caller passed no warnings
    assert "<b>Please see a doctor today</b>" in screen.text
    assert "Nothing in this check-in needs a doctor" not in screen.text
    assert "Longest: Over 10 min" in screen.text


def test_none_of_these_is_one_tap_unless_boxes_are_ticked() -> None:
    answers, _ = walk(["None", "None", "None of these"])
    assert answers["factors"] == ["none"] and answers["factors_done"] is True
    answers, screen = walk(["None", "None", "Stress", "None of these"])
    # after a tick, the swap is shown and waits for Done: nothing dropped unseen
    assert answers["factors"] == ["none"] and "factors_done" not in answers
    assert "☑ None of these" in [b.text for b in screen.all_buttons()]
    assert "☐ Stress" in [b.text for b in screen.all_buttons()]


def test_two_warnings_of_one_level_share_one_heading() -> None:
    answers, _ = walk(["1", "Over 10 min", "Yes", "No", "None", "Done"])
    first = DiaryWarning("long_cramp", "see_doctor", "<b>Book</b>\nA long cramp.", "A long cramp.")
    second = DiaryWarning(
        "new_medicine", "see_doctor", "<b>Book</b>\nA new medicine.", "A new medicine."
    )
    screen = render_checkin(TEXTS, NIGHT, answers, ask_weakness=False, warnings=[first, second])
    assert screen.text.count("<b>Book</b>") == 1
    assert screen.text.endswith("<b>Book</b>\nA long cramp.\n\nA new medicine.")


def test_a_cramp_over_10_minutes_asks_about_one_calf() -> None:
    answers, screen = walk(["1", "Over 10 min", "Yes"])
    assert next_step(answers, ask_weakness=False) == "calf"
    assert "is one calf swollen, red or warm" in screen.text
    assert "Step 4 of about 6" in screen.text
    answers, screen = walk(["1", "Over 10 min", "Yes", "Yes", "None", "None of these"])
    assert answers["calf"] is True and next_step(answers, ask_weakness=False) is None
    # Shown from the answers even when the caller passed no warnings: see a doctor today.
    assert "<b>Please see a doctor today</b>" in screen.text
    assert "blood clot" in screen.text and "112 / 999 / 911" in screen.text
    # Shorter cramps are not asked about the calf.
    answers, _ = walk(["1", "5–10 min", "Yes"])
    assert next_step(answers, ask_weakness=False) == "twitch"
    answers, _ = walk(["1", "Over 10 min", "Yes", "No", "None", "None of these"])
    assert (
        "Please see a doctor today"
        not in render_checkin(TEXTS, NIGHT, answers, ask_weakness=False).text
    )
