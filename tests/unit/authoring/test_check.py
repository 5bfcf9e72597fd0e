"""`cramp-bot check-content`: validation, triage cases, summary, warnings and exit codes.

Fixture content lives in tests/fixtures/content_*: content_small is a whole small questionnaire;
the others hold only the files that differ from it (see `fixture_content`).
"""

from __future__ import annotations

import io
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.authoring.check import load_triage_cases, run_check, tap_counts
from bot.cli import main
from bot.content.load import default_content_dir, load_content
from bot.content.model import ContentError
from bot.content.texts import TEXTS
from tests.harness import FIXTURES, real_content

REAL = default_content_dir()


@pytest.fixture(autouse=True)
def in_tmp_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Messages name files relative to the working directory: run where the copies are."""
    monkeypatch.chdir(tmp_path)


def copy_content(tmp_path: Path) -> Path:
    target = tmp_path / "content"
    target.mkdir()
    for path in REAL.glob("*.yaml"):
        shutil.copy(path, target / path.name)
    return target


def fixture_content(tmp_path: Path, name: str = "content_small") -> Path:
    """A content folder named `name`: the real texts.yaml and diary.yaml (so the fixtures need
    not repeat every required text), content_small's files, then the files of fixture `name`."""
    target = tmp_path / name
    target.mkdir()
    for name_ in ("texts.yaml", "diary.yaml"):
        # Only the texts the bot uses: the fixtures' warnings are about the fixtures.
        data = yaml.safe_load((REAL / name_).read_text(encoding="utf-8"))
        data["texts"] = {key: text for key, text in data["texts"].items() if key in TEXTS}
        rewrite(target / name_, data)
    for source in (FIXTURES / "content_small", FIXTURES / name):
        for path in source.glob("*.yaml"):
            shutil.copy(path, target / path.name)
    return target


def rewrite(path: Path, data: Any) -> None:
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")


def check(directory: Path | None, **options: Any) -> tuple[int, list[str]]:
    out = io.StringIO()
    code = run_check(directory, out=out, **options)
    return code, out.getvalue().splitlines()


# --- the real content ---------------------------------------------------------------------


def test_real_content_passes_and_reports_path_lengths() -> None:
    code, lines = check(None)
    assert code == 0
    counts = tap_counts(real_content())
    assert any(line.startswith("triage cases: all ") for line in lines)
    assert "shortest path: 1 tap (ends at the safety check); " in "\n".join(lines)
    assert f"shortest to a full result: {counts.shortest_full} taps" in "\n".join(lines)
    assert any(line.startswith(f"typical path: {counts.typical} taps") for line in lines)
    assert any(line.startswith(f"longest path: {counts.longest} taps") for line in lines)
    assert counts.shortest == 1
    # Issue 2: the typical path is at most about 15 taps.
    assert counts.typical <= 15
    assert counts.shortest_full <= counts.typical < counts.longest


def case_index(case_id: str) -> int:
    cases = yaml.safe_load(
        (default_content_dir() / "triage_cases.yaml").read_text(encoding="utf-8")
    )
    return [case["id"] for case in cases["cases"]].index(case_id)


def test_real_content_has_no_warnings() -> None:
    code, lines = check(None)
    assert code == 0
    assert "warnings: none" in lines


def test_a_weakened_rule_fails_naming_the_case(tmp_path: Path) -> None:
    directory = copy_content(tmp_path)
    triage = yaml.safe_load((directory / "triage.yaml").read_text(encoding="utf-8"))
    for rule in triage["rules"]:
        if rule["id"] == "ankles":
            rule["level"] = "self_care"
    rewrite(directory / "triage.yaml", triage)
    code, lines = check(directory)
    assert code == 1
    failing = (
        f"content/triage_cases.yaml: cases[{case_index('swollen_ankles')}] (swollen_ankles): "
        "expected at least see_doctor, got self_care"
    )
    assert failing in lines
    # The failures come last, under a heading, where an author sees them first.
    assert lines[lines.index("FAILED:") :][1:] == [
        line for line in lines if line.startswith("content/triage_cases.yaml: cases[")
    ]
    assert any(re.fullmatch(r"triage cases: \d+ of \d+ pass", line) for line in lines)


def test_an_over_triaging_rule_fails_too(tmp_path: Path) -> None:
    directory = copy_content(tmp_path)
    triage = yaml.safe_load((directory / "triage.yaml").read_text(encoding="utf-8"))
    for rule in triage["rules"]:
        if rule["id"] == "kidney_calm":
            rule["level"] = "urgent"
    rewrite(directory / "triage.yaml", triage)
    code, lines = check(directory)
    assert code == 1
    assert (
        f"content/triage_cases.yaml: cases[{case_index('kidney_calm')}] (kidney_calm): "
        "expected at most self_care, got urgent"
    ) in lines


def test_broken_content_prints_each_problem(tmp_path: Path) -> None:
    directory = copy_content(tmp_path)
    (directory / "texts.yaml").write_text("texts:\n  a: b: c\n", encoding="utf-8")
    out = io.StringIO()
    assert run_check(directory, out=out) == 1
    assert (
        out.getvalue()
        == "content/texts.yaml: line 2, column 7: mapping values are not allowed here\n"
    )


def test_broken_triage_cases_file(tmp_path: Path) -> None:
    directory = copy_content(tmp_path)
    rewrite(
        directory / "triage_cases.yaml",
        {
            "cases": [
                {"id": "a", "row": "r", "answers": {"em_now": ["chest"]}, "min_level": "soon"}
            ]
        },
    )
    with pytest.raises(ContentError) as caught:
        load_triage_cases(directory)
    assert caught.value.problems == [
        "content/triage_cases.yaml: cases[0].min_level: unknown level 'soon'"
    ]
    out = io.StringIO()
    assert run_check(directory, out=out) == 1
    assert "cases[0].min_level: unknown level 'soon'" in out.getvalue()


def test_unknown_answers_in_a_case(tmp_path: Path) -> None:
    directory = copy_content(tmp_path)
    rewrite(
        directory / "triage_cases.yaml",
        {
            "cases": [
                {"id": "a", "row": "r", "answers": {"em_now": ["cheest"]}, "min_level": "urgent"}
            ]
        },
    )
    assert check(directory) == (
        1,
        [
            "content/triage_cases.yaml: cases[0].answers.em_now: unknown option 'cheest'; "
            "options are chest, breath, spread, speak, oneside, urine, back, none"
        ],
    )


def case_problems(tmp_path: Path, answers: dict[str, Any]) -> list[str]:
    directory = copy_content(tmp_path)
    case = {"id": "a", "row": "r", "answers": answers, "min_level": "self_care"}
    rewrite(directory / "triage_cases.yaml", {"cases": [case]})
    with pytest.raises(ContentError) as caught:
        load_triage_cases(directory, load_content(directory))
    return caught.value.problems


def test_an_unknown_question_in_a_case(tmp_path: Path) -> None:
    assert case_problems(tmp_path, {"em_nwo": ["none"]}) == [
        "content/triage_cases.yaml: cases[0].answers.em_nwo: unknown question 'em_nwo'; "
        "the closest question id is 'em_now'"
    ]


def test_two_options_for_a_single_choice_question(tmp_path: Path) -> None:
    assert case_problems(tmp_path, {"em_now": ["chest", "breath"]}) == [
        "content/triage_cases.yaml: cases[0].answers.em_now: 'em_now' is a single-choice "
        "question, so one option, not 2 (chest, breath)"
    ]


def test_an_option_read_as_yes_or_no_in_a_case(tmp_path: Path) -> None:
    assert case_problems(tmp_path, {"meds": [False]}) == [
        "content/triage_cases.yaml: cases[0].answers.meds: read as a yes/no value, not as "
        'text: put it in quotes, e.g. "no"'
    ]


def test_a_safety_case_that_no_longer_stops(tmp_path: Path) -> None:
    # The content check itself refuses an emergency answer without stop: true; an urgent one
    # ("lips") may go on as far as the content is concerned, and only its case notices.
    directory = copy_content(tmp_path)
    questions = yaml.safe_load((directory / "questions.yaml").read_text(encoding="utf-8"))
    for question in questions["questions"]:
        for option in question["options"]:
            if question["id"] == "em_soon" and option["id"] == "lips":
                option.pop("stop")
    rewrite(directory / "questions.yaml", questions)
    # Its advice would now sit in a full result too: keep that within Telegram's limit.
    triage = yaml.safe_load((directory / "triage.yaml").read_text(encoding="utf-8"))
    for rule in triage["rules"]:
        if rule["id"] == "lips":
            rule["text"] = "Low calcium?"
    rewrite(directory / "triage.yaml", triage)
    code, lines = check(directory)
    assert code == 1
    assert (
        f"content/triage_cases.yaml: cases[{case_index('lips')}] (lips): expected the "
        "questionnaire to end at the safety check (stops: true), but it goes on to question "
        "'age'"
    ) in lines
    # And a sore calf's clot question would now be skipped by the more worrying answer.
    assert lines[-1] == (
        "content/questions.yaml: questions[2] (clot).ask_if: adding a sign can skip this "
        "question: flag calf_pain ('em_soon: calfpain' sets it, a more worrying answer does not)"
    )


def test_a_case_that_must_go_on_but_stops(tmp_path: Path) -> None:
    directory = copy_content(tmp_path)
    case = {
        "id": "a",
        "row": "r",
        "answers": {"em_now": ["chest"]},
        "min_level": "self_care",
        "stops": False,
    }
    rewrite(directory / "triage_cases.yaml", {"cases": [case]})
    code, lines = check(directory)
    assert code == 1
    assert lines[-1] == (
        "content/triage_cases.yaml: cases[0] (a): expected the questionnaire to go on "
        "(stops: false), but it ends at question 'em_now'"
    )


# --- the small fixture: the whole report ----------------------------------------------------

SMALL_REPORT = """\
paths: 13 (one answer per question asked, each option or every box of a list ticked at once, \
following the skip rules)
triage cases: all 3 pass
shortest path: 1 tap (ends at the safety check); shortest to a full result: 3 taps
typical path: 3 taps (first ordinary answer, 'None of these' in lists)
longest path: 6 taps (every box ticked)
a level only goes up when a sign is added: holds (every rule and skip rule read; tried on \
every one of 13 answer sets, each with every one-sign step)
downgrades marked in triage.yaml: none

causes, and the answers that give them points:
  strain "Tired muscles" (shown from 2 points):
    +1 How often: Most nights [often.nightly]
    +2 Lately: Hard exercise [lately.sport]
  thirst "Not drinking enough" (shown from 2 points):
    +2 Lately: Heat or sweating [lately.heat]
    +1 Fluids: Little [drink.little]

urgency levels, and what sets each:
  emergency "Please get help now":
    chest: flag chest_pain (safety: "Chest pain")
  urgent "Please see a doctor today":
    dry_heat: flag heat (lately: "Heat or sweating") and drink: "Little"
  see_doctor "Book a doctor's appointment":
    hot_nights: flag nightly (often: "Most nights") and flag heat (lately: "Heat or sweating")
  self_care "You can look after this at home": when no rule above fires; calm notes:
    (no rule)

warnings: none
"""


def test_summary_of_the_small_fixture(tmp_path: Path) -> None:
    code, lines = check(fixture_content(tmp_path))
    assert code == 0
    # The version carries a digest of the files (and the real texts.yaml is copied in).
    assert re.fullmatch(
        r"content version t1\S*: 4 questions, 2 causes, 3 flags, 3 urgency rules, \d+ texts",
        lines[0],
    )
    assert "\n".join(lines[1:]) + "\n" == SMALL_REPORT


def test_suspicious_fixture_warns_but_passes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    directory = fixture_content(tmp_path, "content_suspicious")
    assert main(["check-content", "--content", str(directory)]) == 0
    lines = capsys.readouterr().out.splitlines()
    start = lines.index("warnings (5):")
    assert lines[start + 1 :] == [
        "  content_suspicious/causes.yaml: causes[2] (cold): can never rank first: no answers "
        "found that give it its min_score and more points than every other cause",
        "  content_suspicious/questions.yaml: questions[2] (mood): no answer changes anything "
        "(no points, no used flags, no rule or skip rule names an option)",
        "  content_suspicious/questions.yaml: questions[4].options[2] (lately.walk): changes "
        "nothing: no points, no used flags, no rule or skip rule names it",
        "  content_suspicious/triage.yaml: flags.restless: no rule or skip rule uses this flag, "
        "so setting it changes nothing",
        "  content_suspicious/questions.yaml: questions[1] (followup): every path skips this "
        "question",
    ]


def test_a_cause_that_wins_only_a_tie_can_rank_first(tmp_path: Path) -> None:
    # strain (listed first) wins a tie; thirst gets first place only by more points. Both
    # can rank first, so neither is warned about.
    directory = fixture_content(tmp_path)
    causes = yaml.safe_load((directory / "causes.yaml").read_text(encoding="utf-8"))
    causes["causes"].reverse()
    rewrite(directory / "causes.yaml", causes)
    code, lines = check(directory)
    assert code == 0
    assert "warnings: none" in lines


def test_broken_fixture_names_each_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    directory = fixture_content(tmp_path, "content_broken")
    assert main(["check-content", "--content", str(directory)]) == 1
    assert capsys.readouterr().out.splitlines() == [
        "content_broken/questions.yaml: questions[1].options[1].points.strian: "
        "unknown cause 'strian'",
        "content_broken/questions.yaml: questions[2].options[1].flags: unknown flag 'hot'",
        "content_broken/questions.yaml: questions[3].ask_if.any: unknown option 'heet' of "
        "question 'lately'",
        "content_broken/triage.yaml: flags.heat: no option sets this flag, so rules using it "
        "never fire",
    ]


def test_yaml_syntax_error_names_line_and_column(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    directory = fixture_content(tmp_path, "content_syntax")
    assert main(["check-content", "--content", str(directory)]) == 1
    assert capsys.readouterr().out == (
        "content_syntax/questions.yaml: line 7, column 11: mapping values are not allowed here\n"
    )


def test_a_failing_triage_case_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    directory = fixture_content(tmp_path)
    triage = yaml.safe_load((directory / "triage.yaml").read_text(encoding="utf-8"))
    triage["rules"][1]["level"] = "see_doctor"  # dry_heat
    rewrite(directory / "triage.yaml", triage)
    assert main(["check-content", "--content", str(directory)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert "triage cases: 2 of 3 pass" in lines
    assert lines[-2:] == [
        "FAILED:",
        "content_small/triage_cases.yaml: cases[1] (dry_heat): expected at least urgent, "
        "got see_doctor",
    ]


def test_an_unwritable_diagram_path_exits_1(tmp_path: Path) -> None:
    directory = fixture_content(tmp_path)
    code, lines = check(directory, diagram=tmp_path)  # a folder, not a file
    assert code == 1
    assert lines[-1].startswith(f"cannot write the diagram to {tmp_path}: ")


# --- file names in messages ----------------------------------------------------------------


def test_content_in_the_current_directory_is_named_without_a_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    directory = fixture_content(tmp_path, "content_broken")
    monkeypatch.chdir(directory)
    assert main(["check-content", "--content", "."]) == 1
    assert capsys.readouterr().out.splitlines()[0] == (
        "questions.yaml: questions[1].options[1].points.strian: unknown cause 'strian'"
    )


def test_content_outside_the_current_directory_is_named_as_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    directory = fixture_content(tmp_path, "content_broken")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert main(["check-content", "--content", str(directory)]) == 1
    assert capsys.readouterr().out.splitlines()[0] == (
        f"{directory}/questions.yaml: questions[1].options[1].points.strian: "
        "unknown cause 'strian'"
    )


def test_warnings_for_the_current_directory_have_no_leading_slash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    directory = fixture_content(tmp_path, "content_suspicious")
    monkeypatch.chdir(directory)
    code, lines = check(Path())
    assert code == 0
    assert (
        "  causes.yaml: causes[2] (cold): can never rank first: no answers found that give it "
        "its min_score and more points than every other cause"
    ) in lines


def test_a_missing_folder_is_named_as_given(tmp_path: Path) -> None:
    code, lines = check(Path("nowhere"))
    assert (code, lines) == (1, ["nowhere: content directory not found"])


def test_a_misspelt_text_key_is_shown_with_the_missing_one(tmp_path: Path) -> None:
    directory = copy_content(tmp_path)
    texts = yaml.safe_load((directory / "texts.yaml").read_text(encoding="utf-8"))
    texts["texts"]["start.contnue_button"] = texts["texts"].pop("start.continue_button")
    rewrite(directory / "texts.yaml", texts)
    code, lines = check(directory)
    assert code == 1
    assert lines[0] == "content/texts.yaml: texts: missing text 'start.continue_button'"
    assert lines[1].startswith("warnings (")
    assert lines[-1] == (
        "  content/texts.yaml: texts.start.contnue_button: unknown text key, never used by the "
        "bot; the closest known key is 'start.continue_button'"
    )


def test_diary_cases_run_and_a_weakened_diary_rule_fails_naming_the_case(tmp_path: Path) -> None:
    code, lines = check(None)
    assert code == 0
    assert any(re.fullmatch(r"diary cases: all \d+ pass", line) for line in lines)
    directory = copy_content(tmp_path)
    cases = yaml.safe_load((directory / "diary_cases.yaml").read_text(encoding="utf-8"))
    woken = next(c for c in cases["cases"] if c["id"] == "woken_most_of_7")
    woken["warns"] = {"woken_often": "urgent"}
    quiet = next(c for c in cases["cases"] if c["id"] == "twitch_one_place")
    quiet["nights"][-1]["twitch"] = "many"
    quiet["nights"][0]["twitch"] = "many"
    rewrite(directory / "diary_cases.yaml", cases)
    code, lines = check(directory)
    assert code == 1
    assert "diary cases: 4 of 6 pass" in lines
    failed = lines[lines.index("FAILED:") + 1 :]
    index = [c["id"] for c in cases["cases"]]
    assert failed == [
        f"content/diary_cases.yaml: cases[{index.index('woken_most_of_7')}] (woken_most_of_7): "
        "expected woken_often at urgent, got see_doctor",
        f"content/diary_cases.yaml: cases[{index.index('twitch_one_place')}] (twitch_one_place): "
        "expected no warning, got twitch_many (see_doctor)",
    ]
