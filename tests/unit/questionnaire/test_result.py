"""The result as a person reads it: level first, one phone screen, causes that fit, details on
request, nothing said twice, and the full text kept."""

from __future__ import annotations

import dataclasses
import random
from types import MappingProxyType

from bot.authoring.check import candidate_answers, iter_paths
from bot.authoring.simulate import PassedModel
from bot.content.load import load_content
from bot.content.model import Question
from bot.questionnaire import logic
from bot.questionnaire.callbacks import ResultPress
from bot.questionnaire.result import (
    FIRST_SCREEN,
    full_text,
    plain,
    render_cause,
    render_notes,
    render_stopped,
    render_summary,
    visible_length,
    worst_result,
)
from bot.ui import Screen

CONTENT = load_content()
AID = 42

CALM = {
    "em_now": ("none",),
    "em_soon": ("none",),
    "where": ("calves",),
    "often": ("rare",),
    "length": ("mins",),
    "impact": ("sometimes",),
    "age": ("a40",),
    "health": ("none",),
    "meds": ("none",),
    "kidney": ("none",),
    "nerve": ("none",),
    "drink": ("normal",),
    "caffeine": ("low",),
    "lately": ("none",),
}

LEVEL_TITLES = {level.id: level.title for level in CONTENT.levels}


def summary(answers: dict[str, tuple[str, ...]]) -> Screen:
    return render_summary(CONTENT, logic.evaluate(CONTENT, answers), AID)


def shown(answers: dict[str, tuple[str, ...]]) -> list[str]:
    return [m.cause.id for m in logic.evaluate(CONTENT, answers).causes]


def labels(screen: Screen) -> list[str]:
    return [button.text for button in screen.all_buttons()]


def datas(screen: Screen) -> list[str]:
    return [button.data for button in screen.all_buttons()]


def first_lines(screen: Screen, n: int = 2) -> list[str]:
    return plain(screen.text).splitlines()[:n]


# --- 1. level first, one screen, details on request ---


def test_a_calm_result_says_its_level_and_what_to_do_first() -> None:
    screen = summary(CALM)
    top = first_lines(screen)
    assert top[0] == "Your result: You can look after this at home"
    assert top[1].startswith("Nothing you told me is a warning sign.")
    text = plain(screen.text)
    assert "please see a doctor" in text  # the safety net, on the screen
    assert text.count("not a diagnosis") == 1
    assert labels(screen) == ["Start again", "Morning check-in"]


def test_a_doctor_result_says_so_in_its_first_two_lines() -> None:
    screen = summary({**CALM, "kidney": ("ankles", "urine")})
    assert first_lines(screen) == [
        "Your result: Book a doctor's appointment",
        "Please book an appointment with your doctor in the coming days or weeks, and tell "
        "them what you told me here.",
    ]
    text = plain(screen.text)
    # The kidney note, with why, is on the first screen: never behind a button.
    assert "Kidney check: ask for blood tests of kidney function and salts" in text
    assert "Because you said: foamy urine; swollen ankles or feet." in text
    assert "Nothing you told me is a warning sign" not in text


def test_an_urgent_result_keeps_its_advice_in_full_on_the_first_screen() -> None:
    screen = summary({**CALM, "lately": ("sick", "dizzy")})
    advice = next(lv.advice for lv in CONTENT.levels if lv.id == "urgent")
    top = first_lines(screen)
    assert top == ["Your result: Please see a doctor today", advice]
    assert "112 / 999 / 911" in screen.text


def test_each_cause_is_one_line_with_the_answer_behind_it_and_a_button() -> None:
    answers = {**CALM, "caffeine": ("high",), "lately": ("stress",)}
    screen = summary(answers)
    text = plain(screen.text)
    assert "1. Caffeine and stimulants, because you said: Caffeine: 4 or more a day" in text
    assert "2. Stress and tension, because you said: Lately: Stressed or anxious" in text
    # Explanations and tips are on the cause's own screen, not here.
    caffeine = CONTENT.cause("caffeine")
    assert caffeine is not None
    assert caffeine.explanation not in text and caffeine.tips[0] not in text
    assert labels(screen) == [
        "1. Caffeine and stimulants",
        "2. Stress and tension",
        "Start again",
        "Morning check-in",
    ]
    assert datas(screen)[:2] == [f"c1:{AID}:caffeine", f"c1:{AID}:stress"]


def test_a_cause_opens_with_explanation_tips_and_a_way_back() -> None:
    result = logic.evaluate(CONTENT, {**CALM, "caffeine": ("high",)})
    screen = render_cause(CONTENT, result, AID, "caffeine")
    assert screen is not None
    text = plain(screen.text)
    caffeine = CONTENT.cause("caffeine")
    assert caffeine is not None
    assert text.splitlines()[0] == "Your result: You can look after this at home"
    assert "1. Caffeine and stimulants" in text
    assert caffeine.explanation in text
    assert all(f"• {tip}" in text for tip in caffeine.tips)
    assert "What in your answers points to it: Caffeine: 4 or more a day" in text
    assert labels(screen) == ["« Back to your result"]
    assert datas(screen) == [f"c1:{AID}:~"]
    # A cause this result does not show has no screen.
    assert render_cause(CONTENT, result, AID, "kidney") is None


def test_press_data_is_strict() -> None:
    assert ResultPress.parse("c1:42:caffeine") == ResultPress(42, "caffeine")
    assert ResultPress.parse("c1:42:~") == ResultPress(42, "~")
    assert ResultPress.parse("c1:42:~notes") == ResultPress(42, "~notes")
    for bad in (
        "c1:42:",
        "c1:x:caffeine",
        "c1:42:Caffeine",
        "c1:42:caffeine:1",
        "c2:42:~",
        "c1:42:~back",
        "c1:12345678901:caffeine",
        "c1:42:a-b",
    ):
        assert ResultPress.parse(bad) is None, bad


def test_the_first_screen_fits_a_phone_for_people_drawn_at_random() -> None:
    model = PassedModel(CONTENT)
    lengths = sorted(
        visible_length(render_summary(CONTENT, logic.evaluate(CONTENT, answers), AID).text)
        for answers in model.sample(400, random.Random(7))
    )
    assert lengths[int(len(lengths) * 0.95)] <= FIRST_SCREEN
    # Even someone who ticks every box gets a first screen near one phone screen.
    assert lengths[-1] <= FIRST_SCREEN * 1.2


def test_many_doctors_notes_fold_into_one_line_and_open_on_request() -> None:
    def ticked(q: Question) -> list[tuple[str, ...]]:
        return [candidate_answers(q, allow_stop=False)[-1]]

    answers = max(
        (a for a in iter_paths(CONTENT, ticked) if not logic.is_stopped(CONTENT, a)),
        key=lambda a: len(logic.evaluate(CONTENT, a).nudges),
    )
    result = logic.evaluate(CONTENT, answers)
    screen = render_summary(CONTENT, result, AID)
    text = plain(screen.text)
    assert "Also tell the doctor about:" in text
    assert labels(screen)[0] == "What to tell the doctor"
    assert visible_length(screen.text) < 1700
    notes = plain(render_notes(CONTENT, result, AID).text)
    for nudge in result.nudges:
        if nudge.text:
            assert nudge.text in notes
    # The urgency advice and the safety net stay on the first screen.
    assert result.level.advice in text
    assert "please see a doctor" in text.splitlines()[-1]


def test_nothing_is_said_twice_on_one_screen() -> None:
    everyone = PassedModel(CONTENT).sample(300, random.Random(11))
    for answers in everyone:
        result = logic.evaluate(CONTENT, answers)
        screens = [render_summary(CONTENT, result, AID)]
        screens += [render_cause(CONTENT, result, AID, m.cause.id) for m in result.causes]  # type: ignore[misc]
        for screen in screens:
            text = plain(screen.text).lower()
            assert text.count("not a diagnosis") <= 1
            assert text.count("stretch") <= 1
            assert text.count("chest pain") <= 1
            paragraphs = [p for p in text.split("\n\n") if p]
            assert len(paragraphs) == len(set(paragraphs))


def test_the_calf_stop_screen_gives_the_emergency_number_once() -> None:
    result = logic.evaluate(CONTENT, {"em_now": ("none",), "em_soon": ("calf",)})
    screen = render_stopped(CONTENT, result, AID, "em_soon")
    text = plain(screen.text)
    assert text.count("112") == 1
    assert "blood clot" in text
    assert labels(screen) == ["I pressed this by mistake"]
    assert datas(screen) == [f"q1:{AID}:em_soon:~undo"]


def test_tips_fit_the_answers_no_calf_stretch_for_feet_or_hands() -> None:
    for where in (("feet",), ("arms",), ("feet", "arms")):
        answers = {
            **CALM,
            "where": where,
            "length": ("secs",),
            "lately": ("exercise", "tired"),
        }
        result = logic.evaluate(CONTENT, answers)
        assert "exhaustion" in [m.cause.id for m in result.causes]
        screens = [render_summary(CONTENT, result, AID)]
        screens += [render_cause(CONTENT, result, AID, m.cause.id) for m in result.causes]  # type: ignore[misc]
        for screen in screens:
            assert "calf" not in plain(screen.text).lower().replace("one calf that", ""), where


def test_the_full_text_keeps_every_explanation_and_tip() -> None:
    answers = {**CALM, "caffeine": ("high",), "lately": ("stress", "exercise")}
    result = logic.evaluate(CONTENT, answers)
    text = full_text(CONTENT, result)
    assert text.startswith("Your result: You can look after this at home\n")
    for match in result.causes:
        assert match.cause.explanation in text
        for tip in match.cause.tips:
            assert tip in text
    assert "<" not in text  # plain text, for a file


# --- 2. causes that fit the person ---


def test_age_or_frequency_alone_never_names_tired_muscles() -> None:
    answers = {**CALM, "age": ("a65",), "often": ("most",), "impact": ("nightly",)}
    assert "exhaustion" not in shown(answers)
    # Ticking hard exercise, standing or short sleep does.
    assert shown({**answers, "lately": ("tired",)})[0] == "exhaustion"


def test_direct_answers_beat_background_factors() -> None:
    answers = {
        **CALM,
        "age": ("a65",),
        "health": ("bp",),
        "meds": ("regular",),
        "which": ("diuretic",),
        "kidney": ("urine",),
        "drink": ("little",),
    }
    result = logic.evaluate(CONTENT, answers)
    ids = [m.cause.id for m in result.causes]
    assert "dehydration" in ids and "medication" in ids
    medication = next(m for m in result.causes if m.cause.id == "medication")
    assert medication.evidence[0] == "Medicine: Water pills (diuretics)"
    # Water pills count for body salts too.
    salts = next(m for m in logic.all_matches(CONTENT, answers) if m.cause.id == "electrolytes")
    assert "Medicine: Water pills (diuretics)" in salts.evidence
    text = plain(render_summary(CONTENT, result, AID).text)
    assert "Not drinking enough, because you said: Fluids: Little, under 1 litre" in text


def test_twitches_only_put_twitch_causes_first() -> None:
    answers = {
        **CALM,
        "length": ("twitch",),
        "meds": ("new",),
        "which": ("statin",),
        "caffeine": ("high",),
        "lately": ("stress",),
    }
    ids = shown(answers)
    assert ids[:2] == ["caffeine", "stress"], ids
    assert "medication" in ids
    # The same answers with cramps: the medicine (6 points) leads.
    assert shown({**answers, "length": ("mins",)})[0] == "medication"


def test_twitches_only_with_nothing_standing_out_speak_of_twitches() -> None:
    text = plain(summary({**CALM, "length": ("twitch",)}).text)
    assert "twitches often come and go" in text
    assert "night cramps" not in text


def test_night_urination_alone_never_names_the_kidneys() -> None:
    answers = {**CALM, "age": ("a65",), "health": ("diabetes", "bp"), "kidney": ("night",)}
    result = logic.evaluate(CONTENT, answers)
    assert "kidney" not in [m.cause.id for m in result.causes]
    assert result.level.id == "see_doctor"
    # Night urination alone names its common reasons, not the kidneys.
    text = plain(render_summary(CONTENT, result, AID).text)
    assert "Kidney check" not in text
    assert "evening drinks, the prostate, diabetes, the heart" in text
    # With a direct sign it is named.
    assert shown({**answers, "kidney": ("night", "urine")})[0] == "kidney"


def test_no_reassurance_next_to_weakness_or_wasting() -> None:
    for sign in ("weak", "thin", "numb"):
        answers = {**CALM, "nerve": (sign, "many", "weeks")}
        result = logic.evaluate(CONTENT, answers)
        screens = [render_summary(CONTENT, result, AID)]
        screens += [render_cause(CONTENT, result, AID, m.cause.id) for m in result.causes]  # type: ignore[misc]
        for screen in screens:
            text = plain(screen.text).lower()
            assert "rarely" not in text and "harmless" not in text, sign
    # Twitching without a nerve sign keeps its calm word.
    text = plain(summary({**CALM, "nerve": ("many",)}).text).lower()
    assert "very rarely serious" in text


def test_every_shown_cause_has_an_answer_behind_it() -> None:
    for answers in PassedModel(CONTENT).sample(500, random.Random(5)):
        for match in logic.evaluate(CONTENT, answers).causes:
            assert match.strongest >= logic.DIRECT_POINTS
            assert match.evidence


# --- limits and escaping ---


def test_worst_cases_fit_telegram() -> None:
    longest = worst_result(CONTENT, stopped=False)
    assert len(render_summary(CONTENT, longest, 9_999_999_999).text) <= 4096
    for match in longest.causes:
        screen = render_cause(CONTENT, longest, 9_999_999_999, match.cause.id)
        assert screen is not None and len(screen.text) <= 4096
    stopped = worst_result(CONTENT, stopped=True)
    assert len(render_stopped(CONTENT, stopped, 9_999_999_999, "em_now").text) <= 4096


def test_content_is_escaped_in_every_result_screen() -> None:
    cause = CONTENT.cause("caffeine")
    assert cause is not None
    odd = dataclasses.replace(
        cause, name="Coffee & co", explanation="Coffee <3 & cola", tips=("Try <b>less</b>",)
    )
    content = dataclasses.replace(
        CONTENT,
        causes=tuple(odd if c.id == "caffeine" else c for c in CONTENT.causes),
        texts=MappingProxyType({**CONTENT.texts, "result.headline": "Your <result>: {title}"}),
    )
    result = logic.evaluate(content, {**CALM, "caffeine": ("high",)})
    screen = render_summary(content, result, AID)
    assert "<b>Your &lt;result&gt;: You can look after this at home</b>" in screen.text
    assert "Coffee &amp; co" in screen.text
    assert labels(screen)[0] == "1. Coffee & co"  # buttons are plain text
    detail = render_cause(content, result, AID, "caffeine")
    assert detail is not None
    assert "Coffee &lt;3 &amp; cola" in detail.text
    assert "Try &lt;b&gt;less&lt;/b&gt;" in detail.text
