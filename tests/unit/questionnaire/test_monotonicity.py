"""A level only goes up when a sign is added: the property on the real content and on small,
deliberately broken questionnaires."""

from __future__ import annotations

import io
import random
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.authoring.check import run_check
from bot.content import conditions as cond
from bot.content.load import default_content_dir, load_content
from bot.content.model import LEVEL_RANKS, Content, Question
from bot.content.texts import TEXTS
from bot.questionnaire import logic
from bot.questionnaire import monotonicity as mono
from tests.harness import CALM, FIXTURES

CONTENT = load_content()


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # File names in messages are relative to where check-content runs.
    monkeypatch.chdir(tmp_path)


def small(tmp_path: Path, edit_triage: Any = None, edit_questions: Any = None) -> Path:
    """content_small with the real texts (only those the bot uses), edited."""
    directory = tmp_path / "content"
    directory.mkdir()
    for name in ("texts.yaml", "diary.yaml"):
        data = yaml.safe_load((default_content_dir() / name).read_text(encoding="utf-8"))
        data["texts"] = {key: text for key, text in data["texts"].items() if key in TEXTS}
        (directory / name).write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    for path in (FIXTURES / "content_small").glob("*.yaml"):
        shutil.copy(path, directory / path.name)
    for name, edit in (("triage.yaml", edit_triage), ("questions.yaml", edit_questions)):
        if edit is not None:
            data = yaml.safe_load((directory / name).read_text(encoding="utf-8"))
            edit(data)
            (directory / name).write_text(yaml.safe_dump(data, sort_keys=False), "utf-8")
    return directory


def check_lines(directory: Path) -> tuple[int, list[str]]:
    out = io.StringIO()
    code = run_check(directory, out=out)
    return code, out.getvalue().splitlines()


# --- the engine's level agrees with the full evaluation ---------------------------------------


def test_the_fast_level_is_the_engines_level() -> None:
    rng = random.Random(7)
    for _ in range(300):
        answers = mono._draw(CONTENT, None, rng)
        assert mono.level_of(CONTENT, answers) == logic.evaluate(CONTENT, answers).level.id


# --- steps ------------------------------------------------------------------------------------


def question(qid: str) -> Question:
    found = CONTENT.question(qid)
    assert found is not None
    return found


def test_steps_up_follow_the_order_and_tick_one_more_box() -> None:
    assert mono.steps_up(question("often"), ("rare",)) == [("weekly",), ("recent",), ("most",)]
    assert mono.steps_up(question("often"), ("most",)) == []
    # "Under 18" and "Not sure" are not on the scale: nothing is "more worrying" than them.
    assert mono.steps_up(question("age"), ("u18",)) == []
    assert mono.steps_up(question("length"), ("unsure",)) == []
    assert mono.steps_up(question("length"), ("twitch",))[0] == ("secs",)
    # From "None of these", each box alone; from a box, that box and one more.
    assert ("numb",) in mono.steps_up(question("nerve"), ("none",))
    assert ("numb", "weak") in mono.steps_up(question("nerve"), ("numb",))
    assert all("none" not in step for step in mono.steps_up(question("nerve"), ("numb",)))


# --- the real content -------------------------------------------------------------------------


def test_every_rule_of_the_real_content_reads_as_monotone() -> None:
    assert mono.rule_problems(CONTENT) == []
    assert mono.downgrades(CONTENT) == []


def test_each_rules_own_questions_in_full_find_no_drop() -> None:
    # Every rule above self_care, on its own questions (the rest at their calmest): the
    # search that names two answer sets when a rule breaks the property.
    result = mono.search(CONTENT, per_rule=60, sample=0, first_only=False)
    assert result.drops == ()
    assert result.checked > 60 * 10


def _walk(content: Content, data: st.DataObject) -> dict[str, tuple[str, ...]]:
    answers: dict[str, tuple[str, ...]] = {}
    flags: set[str] = set()
    for q in content.questions:
        if q.ask_if is not None and not cond.evaluate(q.ask_if, answers, flags):
            continue
        if q.kind == "single":
            # The safety check mostly passed, so the full questionnaire gets explored.
            options = [o for o in q.options if not o.stop] or list(q.options)
            chosen: tuple[str, ...] = (data.draw(st.sampled_from(options)).id,)
        else:
            boxes = [o.id for o in q.options if not o.exclusive]
            ticked = data.draw(st.lists(st.sampled_from(boxes), unique=True, max_size=4))
            exclusive = [o.id for o in q.options if o.exclusive]
            if ticked:
                chosen = tuple(o.id for o in q.options if o.id in ticked)
            else:
                chosen = (data.draw(st.sampled_from(exclusive or boxes)),)
        answers[q.id] = chosen
        for oid in chosen:
            option = q.option(oid)
            assert option is not None
            flags.update(option.flags)
    return answers


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_adding_any_sign_never_lowers_the_level(data: st.DataObject) -> None:
    answers = _walk(CONTENT, data)
    before = LEVEL_RANKS[logic.evaluate(CONTENT, answers).level.id]
    for q in CONTENT.questions:
        chosen = answers.get(q.id)
        if not chosen:
            continue
        for new in mono.steps_up(q, chosen):
            for after in mono.completions(CONTENT, {**answers, q.id: new}):
                level = logic.evaluate(CONTENT, after).level.id
                assert LEVEL_RANKS[level] >= before, (q.id, answers, after, level)


def test_chest_cramps_and_calves_never_below_chest_cramps_alone() -> None:
    base = {**CALM, "length": ("mins",), "upper": ("old",)}
    chest = logic.evaluate(CONTENT, {**base, "where": ("ribs",)}).level
    both = logic.evaluate(CONTENT, {**base, "where": ("calves", "ribs")}).level
    assert chest.id == both.id == "see_doctor"
    # Whatever else is ticked: what to do if it is chest pain.
    for where in (("ribs",), ("calves", "ribs"), ("arms", "belly", "ribs")):
        for length in (("twitch",), ("secs",), ("over10",)):
            result = logic.evaluate(CONTENT, {**base, "where": where, "length": length})
            note = next(n for n in result.nudges if n.rule_id == "chest_note")
            assert "112 / 999 / 911" in (note.text or "")


# --- small questionnaires that break the property ----------------------------------------------


def test_the_small_fixture_is_checked_exhaustively(tmp_path: Path) -> None:
    content = load_content(small(tmp_path))
    result = mono.search(content)
    assert result.exhaustive
    assert result.drops == ()
    assert result.checked == 13


def _rule_against_a_sign(data: dict[str, Any]) -> None:
    # "Most nights, unless it is hot": a sign added (heat) turns a see_doctor rule off.
    data["rules"].append(
        {
            "id": "cool_nights",
            "level": "see_doctor",
            "when": {"all": [{"flag": "nightly"}, {"not": {"flag": "heat"}}]},
            "text": "Frequent cramps.",
        }
    )
    data["rules"] = [r for r in data["rules"] if r["id"] != "hot_nights"]


def test_a_rule_against_a_sign_fails_naming_both_answer_sets(tmp_path: Path) -> None:
    code, lines = check_lines(small(tmp_path, _rule_against_a_sign))
    assert code == 1
    assert any("a level only goes up when a sign is added: BROKEN" in line for line in lines)
    failed = lines[lines.index("FAILED:") + 1 :]
    assert failed == [
        "content/triage.yaml: rules[2] (cool_nights): its level (see_doctor) depends on the "
        "absence of a sign: not flag heat. Move that part into a self_care note, or mark the "
        'rule with downgrade: "<why>"',
        # The newly asked question (drink) gets its calmest answer: the drop is real.
        "content/triage.yaml: level goes down: adding a sign at 'lately' lowers the level from "
        "see_doctor to self_care (rule cool_nights stops firing): {safety: [none], often: "
        "[nightly], lately: [none]}  ->  {safety: [none], often: [nightly], lately: [heat], "
        "drink: [plenty]}",
    ]


def test_a_marked_downgrade_is_allowed_and_printed(tmp_path: Path) -> None:
    def marked(data: dict[str, Any]) -> None:
        _rule_against_a_sign(data)
        data["rules"][-1]["downgrade"] = "heat explains the cramps; the heat rule covers it"

    code, lines = check_lines(small(tmp_path, marked))
    assert code == 0, lines
    at = lines.index("downgrades marked in triage.yaml (a sign added may lower the level):")
    assert lines[at + 1] == (
        "  cool_nights (see_doctor): heat explains the cramps; the heat rule covers it"
    )


def test_a_more_worrying_option_that_lowers_the_level_is_found(tmp_path: Path) -> None:
    # The order says "Most nights" is more worrying than "Now and then", but a rule raises
    # the level for "Now and then" only.
    def rules(data: dict[str, Any]) -> None:
        data["rules"].append(
            {"id": "rare", "level": "see_doctor", "when": {"q": "often", "any": ["rare"]}}
        )

    def order(data: dict[str, Any]) -> None:
        data["questions"][1]["order"] = ["rare", "nightly"]

    code, lines = check_lines(small(tmp_path, rules, order))
    assert code == 1
    failed = lines[lines.index("FAILED:") + 1 :]
    assert any(
        "rules[3] (rare): its level (see_doctor) depends on the absence of a sign: often: "
        "[rare] leaves out a more worrying answer" in line
        for line in failed
    )
    assert any(
        "adding a sign at 'often' lowers the level from see_doctor to self_care" in line
        and "often: [rare]" in line
        and "often: [nightly]" in line
        for line in failed
    )


def test_a_skip_rule_that_hides_a_question_when_a_sign_is_added(tmp_path: Path) -> None:
    def skip(data: dict[str, Any]) -> None:
        data["questions"][3]["ask_if"] = {"q": "lately", "none": ["sport"]}

    code, lines = check_lines(small(tmp_path, edit_questions=skip))
    assert code == 1
    assert any(
        line.startswith(
            "content/questions.yaml: questions[3] (drink).ask_if: adding a sign can "
            "skip this question"
        )
        for line in lines
    )


def test_an_order_must_name_real_options(tmp_path: Path) -> None:
    def order(data: dict[str, Any]) -> None:
        data["questions"][1]["order"] = ["rare", ["nightly", "weekly"]]
        data["questions"][2]["order"] = ["none", "sport"]

    code, lines = check_lines(small(tmp_path, edit_questions=order))
    assert code == 1
    assert lines == [
        "content/questions.yaml: questions[1].order[1]: unknown option 'weekly'",
        "content/questions.yaml: questions[2].order: only single-choice questions have an "
        "order (ticking a box always adds)",
    ]
