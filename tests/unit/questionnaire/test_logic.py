"""Questionnaire logic: every path through the skip rules, Back, scoring and triage."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from bot.authoring.check import (
    TriageCase,
    branching_questions,
    candidate_answers,
    iter_paths,
    load_triage_cases,
    run_triage_cases,
)
from bot.content.load import default_content_dir
from bot.content.model import Content, Question
from bot.questionnaire import logic
from bot.questionnaire.logic import Result
from bot.questionnaire.render import render_result
from tests.harness import CALM, real_content

Answers = dict[str, tuple[str, ...]]

CONTENT = real_content()
CASES = load_triage_cases(default_content_dir())


def ids(questions: list[Question]) -> list[str]:
    return [q.id for q in questions]


def walk(content: Content, answers: Mapping[str, tuple[str, ...]]) -> list[str]:
    """The questions a person is shown, answering one at a time from the first one."""
    shown = []
    given: Answers = {}
    question: Question | None = logic.first_question(content)
    while question is not None:
        shown.append(question.id)
        given[question.id] = answers[question.id]
        question = logic.next_question(content, given, question.id)
    return shown


# --- paths ---


def every_path() -> list[Answers]:
    # Branching questions take every candidate answer; the others take the typical one and,
    # in a second sweep, every box ticked (so flags from multi-selects are all set).
    typical = list(iter_paths(CONTENT))

    def ticked(question: Question) -> list[tuple[str, ...]]:
        return [candidate_answers(question, allow_stop=False)[-1]]

    return typical + list(iter_paths(CONTENT, ticked))


PATHS = every_path()


def test_the_skip_rules_branch_where_expected() -> None:
    assert branching_questions(CONTENT) == {
        "em_now",  # stops
        "em_soon",  # stops, and a sore calf asks about clot risk
        "clot",  # stops
        "age",  # under 18 stops
        "where",  # arms, belly or chest ask whether the cramps are new
        "health",  # pregnancy and diabetes ask one more question each
        "preg",  # stops
        "meds",  # a medicine asks which
    }
    # Every stop answer ends a path; the rest multiply: 7 + 3 stop exits of the safety check,
    # a sore calf (clot yes stops, no goes on), and so on, for each of the two sweeps.
    assert len(PATHS) == 2546


@pytest.mark.parametrize("answers", PATHS, ids=lambda a: "-".join("+".join(v) for v in a.values()))
def test_every_path_is_consistent(answers: Answers) -> None:
    steps = logic.path(CONTENT, answers)
    shown = walk(CONTENT, answers)
    assert ids(steps) == shown
    stopped = logic.is_stopped(CONTENT, answers)
    chose_stop = any(
        CONTENT.question(q) and CONTENT.question(q).option(o).stop  # type: ignore[union-attr]
        for q, chosen in answers.items()
        for o in chosen
    )
    assert stopped == chose_stop
    if stopped:
        assert shown[-1] in ("em_now", "em_soon", "clot", "age", "preg")
    else:
        assert shown[-1] == "lately"
    # The medicine question is asked exactly when a medicine is taken.
    assert ("which" in shown) == (answers.get("meds", ("",))[0] in ("regular", "new"))
    for n, qid in enumerate(shown, start=1):
        assert logic.progress(CONTENT, answers, qid) == (n, len(shown))
        previous = logic.previous_question(CONTENT, answers, qid)
        assert (previous.id if previous else None) == (shown[n - 2] if n > 1 else None)
    assert set(logic.effective_answers(CONTENT, answers)) == set(shown)
    result = logic.evaluate(CONTENT, answers)
    assert result.stopped == stopped
    assert result.level.rank == max((n.level.rank for n in result.nudges), default=0)
    assert len(result.causes) <= 3
    assert [m.score for m in result.causes] == sorted(
        (m.score for m in result.causes), reverse=True
    )
    assert all(m.score >= m.cause.min_score for m in result.causes)
    screen = render_result(CONTENT, result)
    assert len(screen.text) <= 4096
    assert bool(screen.buttons) != stopped


def test_a_stop_answer_ends_at_once_and_later_answers_do_not_count() -> None:
    answers = {**CALM, "em_soon": ("calf",), "kidney": ("ankles",)}
    assert logic.is_stopped(CONTENT, answers)
    assert logic.next_question(CONTENT, answers, "em_soon") is None
    assert logic.next_question(CONTENT, answers, "em_now") is None
    assert ids(logic.path(CONTENT, answers)) == ["em_now", "em_soon"]
    result = logic.evaluate(CONTENT, answers)
    assert result.level.id == "urgent"
    assert [n.rule_id for n in result.nudges] == ["calf"]
    assert result.causes == ()


def test_progress_says_about_and_grows_with_a_skip_rule() -> None:
    assert logic.progress(CONTENT, {}, "em_now") == (1, 14)
    answers = {"em_now": ("none",), "em_soon": ("none",), "meds": ("regular",)}
    assert logic.progress(CONTENT, answers, "which") == (
        ids(logic.path(CONTENT, answers)).index("which") + 1,
        15,
    )


def test_back_over_a_skip_rule_and_a_changed_answer() -> None:
    # Takes a medicine -> water pills -> goes on to the kidney question.
    answers: Answers = {**CALM, "meds": ("regular",), "which": ("diuretic",)}
    del answers["kidney"], answers["nerve"], answers["drink"], answers["caffeine"]
    del answers["lately"]
    assert logic.next_question(CONTENT, answers, "which").id == "kidney"  # type: ignore[union-attr]
    with_pills = logic.evaluate(CONTENT, answers)
    assert "medication" in [m.cause.id for m in with_pills.causes]
    # Back from "kidney" lands on "which"; Back again on "meds".
    assert logic.previous_question(CONTENT, answers, "kidney").id == "which"  # type: ignore[union-attr]
    assert logic.previous_question(CONTENT, answers, "which").id == "meds"  # type: ignore[union-attr]
    # Now "no medicine": the pills answer is still stored but no longer on the path.
    answers["meds"] = ("none",)
    assert logic.next_question(CONTENT, answers, "meds").id == "kidney"  # type: ignore[union-attr]
    assert logic.previous_question(CONTENT, answers, "kidney").id == "meds"  # type: ignore[union-attr]
    assert "which" not in logic.effective_answers(CONTENT, answers)
    result = logic.evaluate(CONTENT, answers)
    assert "medication" not in [m.cause.id for m in result.causes]
    assert "electrolytes" not in [m.cause.id for m in result.causes]


def test_back_from_the_first_question_goes_nowhere() -> None:
    assert logic.previous_question(CONTENT, {}, "em_now") is None
    assert logic.first_question(CONTENT).id == "em_now"


# --- scoring ---


def test_nothing_stands_out() -> None:
    result = logic.evaluate(CONTENT, CALM)
    assert result.causes == ()
    assert result.level.id == "self_care"
    assert result.nudges == ()
    assert not result.stopped


def test_ranking_and_evidence() -> None:
    answers = {
        **CALM,
        "caffeine": ("high",),
        "lately": ("stress", "tired", "exercise"),
        "drink": ("little",),
    }
    result = logic.evaluate(CONTENT, answers)
    ranked = [(m.cause.id, m.score) for m in result.causes]
    # exhaustion 3 + 2 = 5; then caffeine, dehydration and stress tie at 3: file order decides.
    assert ranked == [("exhaustion", 5), ("dehydration", 3), ("stress", 3)]
    assert result.causes[0].evidence == (
        "Lately: Short of sleep or worn out",
        "Lately: Hard exercise or long standing",
    )


def test_evidence_names_the_question_and_answer() -> None:
    result = logic.evaluate(CONTENT, {**CALM, "caffeine": ("high",)})
    (match,) = result.causes
    assert match.cause.id == "caffeine"
    assert match.evidence == ("Caffeine: 4 or more a day",)


def test_below_min_score_is_not_shown() -> None:
    result = logic.evaluate(CONTENT, {**CALM, "caffeine": ("mid",)})
    assert result.causes == ()


def test_result_round_trips_through_json() -> None:
    answers = {**CALM, "kidney": ("ankles",), "caffeine": ("high",)}
    result = logic.evaluate(CONTENT, answers)
    data = result.to_json()
    assert data["level"] == "see_doctor"
    assert data["nudges"][0] == {
        "rule": "ankles",
        "level": "see_doctor",
        "reasons": ["swollen ankles or feet"],
    }
    assert Result.from_json(CONTENT, data) == result


# --- triage ---


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_triage_case_from_content(case: TriageCase) -> None:
    assert run_triage_cases(CONTENT, [case]) == []


def test_the_cases_cover_every_row_of_the_triage_table() -> None:
    rows = {case.row.split(":")[0] for case in CASES}
    assert rows == {"emergency", "urgent", "see_doctor", "self_care"}
    assert len(CASES) >= 35


# The red-flag table of health-guidance.md section 2.6, as mapped onto four levels in issue 2.
# Each row: the answers beyond a calm path, and the exact level expected.
TABLE: list[tuple[str, Answers, str]] = [
    ("chest pain or pressure", {"em_now": ("chest",)}, "emergency"),
    ("calf plus breathlessness", {"em_now": ("breath",), "em_soon": ("calf",)}, "emergency"),
    ("spreading weakness or tingling", {"em_now": ("spread",)}, "emergency"),
    ("trouble swallowing or speaking", {"em_now": ("speak",)}, "emergency"),
    ("sudden weakness of one side", {"em_now": ("oneside",)}, "emergency"),
    ("dark or much less urine", {"em_now": ("urine",)}, "emergency"),
    ("one calf swollen, red or warm", {"em_soon": ("calf",)}, "urgent"),
    ("cramp over 10 min not easing", {"em_soon": ("long",)}, "urgent"),
    ("tingling lips with hand spasms", {"em_soon": ("lips",)}, "urgent"),
    ("after lead or mercury", {"lately": ("toxin",)}, "urgent"),
    ("after a dirty wound", {"lately": ("wound",)}, "urgent"),
    (
        "new, painful belly-wall cramps of minutes",
        {"where": ("belly",), "upper": ("new_pain",), "length": ("mins",)},
        "urgent",
    ),
    (
        "new, painful hand cramps of minutes, with the calves",
        {"where": ("calves", "arms"), "upper": ("new_pain",), "length": ("mins",)},
        "urgent",
    ),
    (
        "long-standing hand cramps of minutes",
        {"where": ("arms",), "upper": ("old",), "length": ("mins",)},
        "self_care",
    ),
    (
        "cramps of seconds in the hands",
        {"where": ("arms",), "upper": ("old",), "length": ("secs",)},
        "self_care",
    ),
    (
        "new hand cramps, not painful",
        {"where": ("arms",), "upper": ("new_mild",), "length": ("mins",)},
        "see_doctor",
    ),
    (
        "cramps of seconds in the chest wall",
        {"where": ("ribs",), "upper": ("old",), "length": ("secs",)},
        "see_doctor",
    ),
    (
        "chest-wall cramps of minutes, weekly, at 65",
        {
            "where": ("ribs",),
            "upper": ("old",),
            "length": ("mins",),
            "often": ("weekly",),
            "age": ("a65",),
        },
        "urgent",
    ),
    (
        "cramps of seconds in the belly wall",
        {"where": ("belly",), "upper": ("old",), "length": ("secs",)},
        "see_doctor",
    ),
    ("fluid loss with dizziness", {"lately": ("sick", "dizzy")}, "urgent"),
    ("muscle weakness", {"nerve": ("weak",)}, "see_doctor"),
    ("muscle wasting", {"nerve": ("thin",)}, "see_doctor"),
    ("twitch for more than two weeks", {"nerve": ("weeks",)}, "see_doctor"),
    ("twitch in several places", {"nerve": ("many",)}, "see_doctor"),
    ("numbness or tingling", {"nerve": ("numb",)}, "see_doctor"),
    ("tripping", {"nerve": ("trip",)}, "see_doctor"),
    ("swollen ankles", {"kidney": ("ankles",)}, "see_doctor"),
    ("foamy urine", {"kidney": ("urine",)}, "see_doctor"),
    ("blood in the urine", {"kidney": ("blood",)}, "see_doctor"),
    ("much more night-time urination", {"kidney": ("night",)}, "see_doctor"),
    ("pain on walking relieved by rest", {"nerve": ("walk",)}, "see_doctor"),
    ("started after a new medicine", {"meds": ("new",), "which": ("statin",)}, "see_doctor"),
    ("cramps most nights for weeks", {"often": ("most",)}, "see_doctor"),
    ("cramps make the day hard", {"impact": ("day",)}, "see_doctor"),
    ("cramps often over 10 minutes", {"length": ("over10",)}, "see_doctor"),
    (
        "pregnant with frequent cramps, nothing else",
        {"health": ("pregnant",), "preg": ("no",), "often": ("weekly",)},
        "self_care",
    ),
    ("pregnant with warning signs", {"health": ("pregnant",), "preg": ("yes",)}, "urgent"),
    ("sore calf with a clot risk", {"em_soon": ("calfpain",), "clot": ("yes",)}, "urgent"),
    ("sore calf, no clot risk", {"em_soon": ("calfpain",), "clot": ("no",)}, "see_doctor"),
    ("numb groin with back pain", {"em_now": ("back",)}, "emergency"),
    ("diabetic foot", {"health": ("diabetes",), "dfoot": ("yes",)}, "urgent"),
    (
        "water pills and vomiting",
        {"meds": ("regular",), "which": ("diuretic",), "lately": ("sick",)},
        "urgent",
    ),
    (
        "statin with aching muscles",
        {"meds": ("regular",), "which": ("statin",), "nerve": ("ache",)},
        "see_doctor",
    ),
    ("alcohol most days", {"lately": ("alcohol",)}, "see_doctor"),
    ("woken most nights", {"impact": ("nightly",)}, "see_doctor"),
    ("under 18", {"age": ("u18",)}, "see_doctor"),
    ("none of the above", {}, "self_care"),
    ("woken now and then", {"impact": ("sometimes",)}, "self_care"),
    ("short twitch in one place", {"length": ("twitch",), "where": ("calves",)}, "self_care"),
    (
        "kidney disease, diabetes, high BP alone",
        {"health": ("kidney", "diabetes", "bp")},
        "self_care",
    ),
    ("pregnant, cramps now and then", {"health": ("pregnant",)}, "self_care"),
    ("a long-standing water pill", {"meds": ("regular",), "which": ("diuretic",)}, "self_care"),
    ("fluid loss without dizziness", {"lately": ("sweat",)}, "self_care"),
]


@pytest.mark.parametrize(("row", "extra", "level"), TABLE, ids=[row for row, _, _ in TABLE])
def test_red_flag_table(row: str, extra: Answers, level: str) -> None:
    result = logic.evaluate(CONTENT, {**CALM, **extra})
    assert result.level.id == level, row
    stops = {("em_now", "none"), ("em_soon", "none"), ("em_soon", "calfpain"), ("clot", "no")}
    stops |= {("age", a) for a in ("u40", "a40", "a65")} | {("preg", "no")}
    assert result.stopped == any(
        (q, a[0]) not in stops
        for q, a in extra.items()
        if q in {"em_now", "em_soon", "clot", "age", "preg"}
    )


def test_kidney_nudges_strong_and_calm() -> None:
    # Swollen ankles alone are not headed "Kidney check": the heart, the veins and medicines
    # are commoner reasons.
    ankles = logic.evaluate(CONTENT, {**CALM, "health": ("diabetes",), "kidney": ("ankles",)})
    assert [n.rule_id for n in ankles.nudges] == ["ankles"]
    assert "amlodipine" in (ankles.nudges[0].text or "")
    assert "Kidney" not in (ankles.nudges[0].text or "")
    strong = logic.evaluate(CONTENT, {**CALM, "health": ("kidney",), "kidney": ("ankles",)})
    assert [n.rule_id for n in strong.nudges] == ["ankles", "kidney_signs"]
    assert strong.nudges[1].reasons == ("swollen ankles or feet", "known kidney disease")
    assert "kidney function and salts" in (strong.nudges[1].text or "")
    calm = logic.evaluate(CONTENT, {**CALM, "health": ("diabetes", "bp")})
    assert calm.level.id == "self_care"
    assert [n.rule_id for n in calm.nudges] == ["kidney_calm"]
    assert calm.nudges[0].reasons == ("diabetes", "high blood pressure")
    assert "next check-up" in (calm.nudges[0].text or "")


def test_nerve_nudge_names_what_led_to_it() -> None:
    result = logic.evaluate(CONTENT, {**CALM, "nerve": ("numb", "trip")})
    nerve = next(n for n in result.nudges if n.rule_id == "nerve_signs")
    assert nerve.reasons == ("numbness or pins and needles", "tripping or poor balance")
    assert nerve.level.id == "see_doctor"


def test_highest_level_wins_and_nudges_are_ordered() -> None:
    result = logic.evaluate(
        CONTENT, {**CALM, "lately": ("toxin",), "kidney": ("ankles",), "health": ("diabetes",)}
    )
    assert result.level.id == "urgent"
    assert [n.level.id for n in result.nudges] == ["urgent", "see_doctor"]
    assert [n.rule_id for n in result.nudges] == ["toxin_wound", "ankles"]


def test_triage_failures_are_reported() -> None:
    weak = TriageCase("x", "see_doctor: kidney signs", {"kidney": ("none",)}, "see_doctor")
    over = TriageCase("y", "self_care", {"kidney": ("ankles",)}, "self_care", "self_care")
    bad = TriageCase("z", "self_care", {"kidney": ("nope",)}, "self_care")
    assert run_triage_cases(CONTENT, [weak, over, bad]) == [
        "triage case 'x' (see_doctor: kidney signs): expected at least see_doctor, got self_care",
        "triage case 'y' (self_care): expected at most self_care, got see_doctor",
        "triage case 'z' (self_care): unknown answers kidney:nope",
    ]


def test_after_back_the_next_question_is_the_following_one_even_if_answered() -> None:
    answers: Answers = dict(CALM)
    # Back to "age" and the same answer again: on to "where", not to the end.
    assert logic.next_question(CONTENT, answers, "age").id == "where"  # type: ignore[union-attr]
    assert logic.next_question(CONTENT, answers, "lately") is None


def test_reasons_put_one_questions_answers_on_one_line() -> None:
    answers = {**CALM, "where": ("calves", "belly", "ribs"), "length": ("mins",)}
    result = logic.evaluate(CONTENT, answers)
    trunk = next(n for n in result.nudges if n.rule_id == "trunk_cramps")
    assert trunk.level.id == "see_doctor"
    assert trunk.reasons == (
        "Where: Belly wall muscles, Rib cage or chest",
        "How long: A few minutes",
    )


def test_anyone_on_a_medicine_hears_not_to_stop_it() -> None:
    # Salts outrank the medicine cause here, and a long result keeps one tip per cause: the
    # "do not stop or change" line must still be in what the person reads.
    answers = {
        **CALM,
        "age": ("a65",),
        "health": ("kidney",),
        "meds": ("regular",),
        "which": ("diuretic",),
        "kidney": ("ankles",),
        "lately": ("exercise", "tired"),
    }
    result = logic.evaluate(CONTENT, answers)
    assert "medication" not in [m.cause.id for m in result.causes]
    text = render_result(CONTENT, result).text
    assert "do not stop or change" in text


def test_risk_factors_alone_do_not_put_the_kidneys_first() -> None:
    answers = {**CALM, "age": ("a65",), "health": ("diabetes", "bp")}
    result = logic.evaluate(CONTENT, answers)
    assert "kidney" not in [m.cause.id for m in result.causes]
    assert result.level.id == "self_care"
    assert any(n.rule_id == "kidney_calm" for n in result.nudges)


def test_the_medicine_note_is_left_out_when_the_medicine_cause_says_it() -> None:
    answers = {**CALM, "meds": ("regular",), "which": ("diuretic", "statin")}
    result = logic.evaluate(CONTENT, answers)
    assert "medication" in [m.cause.id for m in result.causes]
    assert any(n.rule_id == "medicine_calm" for n in result.nudges)  # it fired ...
    text = render_result(CONTENT, result).text
    note = CONTENT.rule("medicine_calm").text  # type: ignore[union-attr]
    assert note and note not in text  # ... but the cause block already says it
    assert text.lower().count("do not stop or change") == 1
