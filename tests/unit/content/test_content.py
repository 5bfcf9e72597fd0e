"""Content loading: the real content loads, and every kind of broken content is reported as one
exact line `content/<file>.yaml: <key path>: <what is wrong>`, never a traceback."""

from __future__ import annotations

import ast
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

import bot
from bot.content.load import default_content_dir, load_content
from bot.content.model import DIARY_FILE, Content, ContentError
from bot.content.texts import BUTTON, TEXTS

REAL = default_content_dir()


@pytest.fixture(autouse=True)
def in_tmp_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Messages name files relative to the working directory: run where the copies are."""
    monkeypatch.chdir(tmp_path)


@pytest.fixture(scope="module")
def content() -> Content:
    return load_content(REAL)


def copy_content(tmp_path: Path) -> Path:
    target = tmp_path / "content"
    target.mkdir()
    for path in REAL.glob("*.yaml"):
        shutil.copy(path, target / path.name)
    return target


def edit(directory: Path, name: str, change: Callable[[Any], None]) -> None:
    path = directory / name
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")


def problems_of(directory: Path) -> list[str]:
    with pytest.raises(ContentError) as caught:
        load_content(directory)
    assert str(caught.value) == "\n".join(caught.value.problems)
    return caught.value.problems


def q_index(content: Content, qid: str) -> int:
    return [q.id for q in content.questions].index(qid)


def o_index(content: Content, qid: str, oid: str) -> int:
    question = content.question(qid)
    assert question is not None
    return [o.id for o in question.options].index(oid)


# --- the real content ---


def test_real_content_loads(content: Content) -> None:
    assert content.version
    assert [c.id for c in content.causes] == [
        "exhaustion",
        "electrolytes",
        "dehydration",
        "stress",
        "caffeine",
        "medication",
        "kidney",
        "nerve",
    ]
    assert [lv.id for lv in content.levels] == ["emergency", "urgent", "see_doctor", "self_care"]
    for key in TEXTS:
        assert content.texts[key]


def test_safety_check_comes_first_and_asks_about_the_last_24_hours(content: Content) -> None:
    first, second = content.questions[:2]
    for question in (first, second):
        assert "24 hours" in question.text
        assert question.kind == "single"
        # Every sign ends it, except a sore calf, which asks about clot risk first.
        assert all(o.stop for o in question.options if o.id not in ("none", "calfpain"))
    # Later, only follow-ups (clot risk, pregnancy warning signs) and "under 18" end it.
    stops = {(q.id, o.id) for q in content.questions[2:] for o in q.options if o.stop}
    assert stops == {("clot", "yes"), ("age", "u18"), ("preg", "yes")}
    for qid in ("clot", "preg"):
        question = content.question(qid)
        assert question is not None and question.ask_if is not None, qid
    # The age band comes before any question about the cramps or causes.
    assert [q.id for q in content.questions[:5]] == ["em_now", "em_soon", "clot", "age", "where"]


def test_medical_wording_rules(content: Content) -> None:
    everything = " ".join(
        [c.explanation + " " + " ".join(c.tips) for c in content.causes]
        + [r.text or "" for r in content.rules]
        + [lv.advice for lv in content.levels]
        + list(content.texts.values())
    ).lower()
    for banned in ("quinine", "tonic water", "motor neurone", " mnd", " als ", "your kidneys may"):
        assert banned not in everything
    # Nerve texts name no disease and never tie twitching to nerve damage.
    nerve = content.cause("nerve")
    assert nerve is not None
    nerve_texts = " ".join(
        [nerve.explanation, *nerve.tips, *(r.text or "" for r in content.rules if "nerve" in r.id)]
    ).lower()
    for disease in ("diabetes", "neuropathy", "sclerosis", "parkinson", "b12", "guillain"):
        assert disease not in nerve_texts, disease
    assert "damage" not in nerve_texts
    assert "very rarely a sign of a nerve problem" in nerve.explanation
    medication = content.cause("medication")
    assert medication is not None
    assert any("do not stop or change" in tip.lower() for tip in medication.tips)
    # Advice to drink more must not override a doctor's fluid limit (kidney or heart disease),
    # and naming water pills brings the "do not stop it yourself" line with it.
    for cause_id in ("dehydration", "electrolytes"):
        fluids = content.cause(cause_id)
        assert fluids is not None
        assert "keep to their advice" in " ".join(fluids.tips), cause_id
    electrolytes = content.cause("electrolytes")
    assert electrolytes is not None and "water pills" in electrolytes.explanation
    assert any("do not stop or change" in tip.lower() for tip in electrolytes.tips)
    for cause in content.causes:
        assert cause.sources and 1 <= len(cause.tips) <= 2
        assert "diagnos" not in cause.explanation.lower()
    for question in content.questions:
        for option in question.options:
            assert len(option.label) <= 30, option.label


def test_text_escapes_template_and_values(content: Content) -> None:
    assert content.text("q.progress", n="<1>", m=2) == "Question &lt;1&gt; of about 2"
    assert content.raw_text("stale.updated_button") == "Start again"


def test_default_content_dir_honours_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CRAMP_BOT_CONTENT", str(tmp_path))
    assert default_content_dir() == tmp_path
    monkeypatch.delenv("CRAMP_BOT_CONTENT")
    assert (default_content_dir() / "questions.yaml").is_file()


# --- broken content: each problem as one exact line ---------------------------------------------


def test_unknown_key(tmp_path: Path) -> None:
    directory = copy_content(tmp_path)
    edit(directory, "questions.yaml", lambda d: d["questions"][0].update(colour="red"))
    assert problems_of(directory) == ["content/questions.yaml: questions[0]: unknown key 'colour'"]


def test_duplicate_question_id(tmp_path: Path, content: Content) -> None:
    directory = copy_content(tmp_path)
    i = q_index(content, "drink")

    def change(data: Any) -> None:
        data["questions"][i]["id"] = "age"

    edit(directory, "questions.yaml", change)
    assert f"content/questions.yaml: questions[{i}].id: duplicate question id 'age'" in (
        problems_of(directory)
    )


def test_dangling_cause(tmp_path: Path, content: Content) -> None:
    directory = copy_content(tmp_path)
    i, j = q_index(content, "health"), o_index(content, "health", "kidney")
    edit(
        directory,
        "questions.yaml",
        lambda d: d["questions"][i]["options"][j]["points"].update(kidny=3),
    )
    assert problems_of(directory) == [
        f"content/questions.yaml: questions[{i}].options[{j}].points.kidny: unknown cause 'kidny'"
    ]


def test_unknown_flag(tmp_path: Path, content: Content) -> None:
    directory = copy_content(tmp_path)
    i, j = q_index(content, "kidney"), o_index(content, "kidney", "ankles")

    def change(data: Any) -> None:
        data["questions"][i]["options"][j]["flags"] = ["kidny"]

    edit(directory, "questions.yaml", change)
    assert (
        f"content/questions.yaml: questions[{i}].options[{j}].flags: unknown flag 'kidny'"
        in problems_of(directory)
    )


def test_unknown_flag_in_a_rule(tmp_path: Path) -> None:
    directory = copy_content(tmp_path)
    edit(directory, "triage.yaml", lambda d: d["rules"][0].update(when={"any": [{"flag": "x"}]}))
    assert problems_of(directory) == [
        "content/triage.yaml: rules[0].when.any[0].flag: unknown flag 'x'"
    ]


def test_ask_if_refers_to_a_later_question(tmp_path: Path, content: Content) -> None:
    directory = copy_content(tmp_path)
    i = q_index(content, "which")
    edit(
        directory,
        "questions.yaml",
        lambda d: d["questions"][i].update(ask_if={"q": "lately", "any": ["stress"]}),
    )
    assert problems_of(directory) == [
        f"content/questions.yaml: questions[{i}].ask_if.q: refers to question 'lately', "
        "which is not asked before this one"
    ]


def test_unreachable_question(tmp_path: Path, content: Content) -> None:
    directory = copy_content(tmp_path)
    i = q_index(content, "which")
    never = {"all": [{"q": "meds", "any": ["new"]}, {"q": "meds", "none": ["new"]}]}
    edit(directory, "questions.yaml", lambda d: d["questions"][i].update(ask_if=never))
    assert problems_of(directory) == [
        f"content/questions.yaml: questions[{i}].ask_if: can never be true, "
        "so this question is never asked"
    ]


def test_unknown_option_in_ask_if(tmp_path: Path, content: Content) -> None:
    directory = copy_content(tmp_path)
    i = q_index(content, "which")
    edit(
        directory,
        "questions.yaml",
        lambda d: d["questions"][i].update(ask_if={"q": "meds", "any": ["yes"]}),
    )
    assert problems_of(directory) == [
        f"content/questions.yaml: questions[{i}].ask_if.any: "
        "unknown option 'yes' of question 'meds'"
    ]


def test_callback_data_too_long(tmp_path: Path, content: Content) -> None:
    directory = copy_content(tmp_path)
    i = q_index(content, "drink")
    long_id = "an_option_id_far_longer_than_the_sixteen_allowed"

    def change(data: Any) -> None:
        data["questions"][i]["options"][0]["id"] = long_id

    edit(directory, "questions.yaml", change)
    data = f"q1:9999999999:drink:{long_id}:1"
    assert (
        f"content/questions.yaml: questions[{i}].options[0].id: callback data '{data}' is "
        f"{len(data)} bytes, over Telegram's 64"
    ) in problems_of(directory)


def test_button_answer_text_too_long(tmp_path: Path) -> None:
    directory = copy_content(tmp_path)
    edit(directory, "texts.yaml", lambda d: d["texts"].update({"stale.button": "x" * 250}))
    assert problems_of(directory) == [
        "content/texts.yaml: texts.stale.button: 250 characters, over the 200 allowed for a "
        "button answer"
    ]


def test_composed_result_too_long_names_the_longest_rule_text(tmp_path: Path) -> None:
    directory = copy_content(tmp_path)
    edit(directory, "triage.yaml", lambda d: d["rules"][-1].update(text="word " * 700))
    rules = yaml.safe_load((directory / "triage.yaml").read_text(encoding="utf-8"))["rules"]
    last, rule_id = len(rules) - 1, rules[-1]["id"]
    (line,) = problems_of(directory)
    assert re.fullmatch(
        rf"content/triage\.yaml: rules\[{last}\] \({rule_id}\)\.text: the longest possible "
        r"result is \d+ characters, over Telegram's 4096; the longest part is this rule's text "
        r"\(3499 characters\); cause texts \d+, rule texts \d+, level advice \d+ characters "
        r"in all",
        line,
    ), line


def test_composed_result_too_long_names_the_longest_cause(
    tmp_path: Path, content: Content
) -> None:
    directory = copy_content(tmp_path)
    k = [c.id for c in content.causes].index("dehydration")
    edit(directory, "causes.yaml", lambda d: d["causes"][k].update(explanation="Drink. " * 600))
    (line,) = problems_of(directory)
    assert re.fullmatch(
        rf"content/causes\.yaml: causes\[{k}\] \(dehydration\): the longest possible result is "
        r"\d+ characters, over Telegram's 4096; the longest part is this cause's explanation "
        r"and tips \(\d+ characters\); cause texts \d+, rule texts \d+, level advice \d+ "
        r"characters in all",
        line,
    ), line


def test_emergency_screen_too_long_names_the_level_advice(tmp_path: Path) -> None:
    directory = copy_content(tmp_path)
    edit(directory, "triage.yaml", lambda d: d["levels"][0].update(advice="Call. " * 700))
    (line,) = problems_of(directory)
    assert re.fullmatch(
        r"content/triage\.yaml: levels\[0\] \(emergency\)\.advice: the longest emergency-screen "
        r"result is \d+ characters, over Telegram's 4096; the longest part is this level's "
        r"advice \(4199 characters\); rule texts \d+, level advice 4199 characters in all",
        line,
    ), line


def test_yaml_syntax_error_has_line_and_column(tmp_path: Path) -> None:
    directory = copy_content(tmp_path)
    (directory / "texts.yaml").write_text("texts:\n  a: b: c\n", encoding="utf-8")
    assert problems_of(directory) == [
        "content/texts.yaml: line 2, column 7: mapping values are not allowed here"
    ]


def test_duplicate_yaml_key_is_not_silently_dropped(tmp_path: Path) -> None:
    directory = copy_content(tmp_path)
    path = directory / "causes.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            "  - id: stress\n", "  - id: stress\n    id: stress\n"
        ),
        encoding="utf-8",
    )
    (line,) = problems_of(directory)
    assert line.startswith("content/causes.yaml: line ")
    assert line.endswith("duplicate key 'id'")


def test_unknown_text_placeholder(tmp_path: Path) -> None:
    directory = copy_content(tmp_path)
    edit(
        directory,
        "texts.yaml",
        lambda d: d["texts"].update({"q.progress": "Question {n} of {total}"}),
    )
    assert problems_of(directory) == [
        "content/texts.yaml: texts.q.progress: unknown placeholder {total} "
        "(this text is given: {m}, {n})"
    ]


def test_missing_text(tmp_path: Path) -> None:
    directory = copy_content(tmp_path)
    edit(directory, "texts.yaml", lambda d: d["texts"].pop("delete.done"))
    assert problems_of(directory) == ["content/texts.yaml: texts: missing text 'delete.done'"]


def test_duplicate_text_key_across_files(tmp_path: Path) -> None:
    directory = copy_content(tmp_path)
    (directory / "extra.yaml").write_text('texts:\n  start.welcome: "Hi"\n', encoding="utf-8")
    assert problems_of(directory) == [
        "content/texts.yaml: texts.start.welcome: duplicate text key, already in "
        "content/extra.yaml"
    ]


def test_stop_option_without_urgent_rule(tmp_path: Path, content: Content) -> None:
    directory = copy_content(tmp_path)
    i, j = q_index(content, "em_soon"), o_index(content, "em_soon", "lips")
    edit(
        directory,
        "triage.yaml",
        lambda d: d.update(rules=[r for r in d["rules"] if r["id"] != "lips"]),
    )
    assert problems_of(directory) == [
        f"content/questions.yaml: questions[{i}].options[{j}].stop: ends the questionnaire, "
        "but no rule above self_care fires for it"
    ]


def test_cause_no_answer_can_reach(tmp_path: Path, content: Content) -> None:
    directory = copy_content(tmp_path)
    k = [c.id for c in content.causes].index("stress")
    edit(directory, "causes.yaml", lambda d: d["causes"][k].update(min_score=99))
    (line,) = problems_of(directory)
    assert line.startswith(f"content/causes.yaml: causes[{k}]: no answers can reach min_score 99")


def test_unknown_rule_level(tmp_path: Path) -> None:
    directory = copy_content(tmp_path)
    edit(directory, "triage.yaml", lambda d: d["rules"][0].update(level="soonish"))
    assert problems_of(directory) == [
        "content/triage.yaml: rules[0].level: unknown level 'soonish'"
    ]


def test_unless_shown_names_a_cause(tmp_path: Path) -> None:
    directory = copy_content(tmp_path)
    edit(directory, "triage.yaml", lambda d: d["rules"][0].update(unless_shown=["medicine"]))
    assert problems_of(directory) == [
        "content/triage.yaml: rules[0].unless_shown[0]: unknown cause 'medicine'"
    ]


def test_several_problems_are_all_reported(tmp_path: Path, content: Content) -> None:
    directory = copy_content(tmp_path)
    edit(directory, "questions.yaml", lambda d: d["questions"][0].update(colour="red"))
    edit(directory, "texts.yaml", lambda d: d["texts"].pop("q.back"))
    assert problems_of(directory) == [
        "content/questions.yaml: questions[0]: unknown key 'colour'",
        "content/texts.yaml: texts: missing text 'q.back'",
    ]


def test_wrong_shape_is_a_problem_not_a_traceback(tmp_path: Path) -> None:
    directory = copy_content(tmp_path)
    (directory / "causes.yaml").write_text("- just\n- a list\n", encoding="utf-8")
    problems = problems_of(directory)
    assert "content/causes.yaml: must be a mapping (key: value lines)" in problems


def test_missing_file(tmp_path: Path) -> None:
    directory = copy_content(tmp_path)
    (directory / "triage.yaml").unlink()
    assert problems_of(directory) == ["content/triage.yaml: file is missing"]


def test_an_id_read_as_yes_or_no_says_to_quote_it(tmp_path: Path, content: Content) -> None:
    directory = copy_content(tmp_path)
    i = q_index(content, "drink")
    path = directory / "questions.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("  - id: drink\n", "  - id: no\n"), encoding="utf-8")
    assert problems_of(directory)[0] == (
        f"content/questions.yaml: questions[{i}].id: read as a yes/no value, not as text: "
        'put it in quotes, e.g. id: "no"'
    )


# --- texts: every key the code uses is declared, required and checked ------------------------

SOURCES = [
    *Path(bot.__file__).parent.rglob("*.py"),
    *(Path(bot.__file__).parent.parent / "handlers").rglob("*.py"),
]
# Calls that take a text key; the key is any dotted string among their arguments.
TEXT_CALLS = {"text", "raw_text", "fill", "label", "_button", "_warning"}
DOTTED = re.compile(r"[a-z0-9_]+(\.[a-z0-9_]+)+")


def _keys_in_source() -> tuple[set[str], set[str]]:
    """Text keys written out in the code, and the patterns of keys built with f-strings
    (`f"checkin.cramps.{n}"` gives `checkin\\.cramps\\.[a-z0-9_]+`)."""
    namespaces = {key.split(".")[0] for key in TEXTS}
    keys: set[str] = set()
    patterns: set[str] = set()
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                if name in TEXT_CALLS:
                    keys |= {
                        arg.value
                        for arg in node.args
                        if isinstance(arg, ast.Constant)
                        and isinstance(arg.value, str)
                        and DOTTED.fullmatch(arg.value)
                    }
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                if (
                    DOTTED.fullmatch(node.value)
                    and node.value.split(".")[0] in namespaces
                    and not node.value.endswith((".yaml", ".py"))  # "diary.yaml" is a file
                ):
                    keys.add(node.value)
            elif isinstance(node, ast.JoinedStr) and node.values:
                head = node.values[0]
                if (
                    isinstance(head, ast.Constant)
                    and isinstance(head.value, str)
                    and head.value.split(".")[0] in namespaces
                    and "." in head.value
                ):
                    patterns.add(
                        "".join(
                            re.escape(part.value)
                            if isinstance(part, ast.Constant)
                            else "[a-z0-9_]+"
                            for part in node.values
                        )
                    )
    return keys, patterns


def test_the_text_table_covers_every_key_the_code_uses() -> None:
    keys, patterns = _keys_in_source()
    assert "checkin.ask.factors" not in keys  # built from a pattern, so found as one
    assert "start.continue_button" in keys and "reminders.when.today" in keys
    assert sorted(keys - set(TEXTS)) == []
    for pattern in patterns:
        assert any(re.fullmatch(pattern, key) for key in TEXTS), pattern
    assert r"checkin\.cramps\.[a-z0-9_]+" in patterns


def test_texts_the_code_formats_declare_the_names_it_passes() -> None:
    # Spot checks of the table against the calls (the load test below proves the real texts
    # use no other names).
    assert TEXTS["checkin.header"].placeholders == {"night"}
    assert TEXTS["reminders.when.today"].placeholders == {"date", "time"}
    assert TEXTS["checkin.snooze"].shown_as == BUTTON
    assert TEXTS["checkin.ask.longest"].file == DIARY_FILE


def test_a_missing_diary_text(tmp_path: Path) -> None:
    directory = copy_content(tmp_path)
    edit(directory, "diary.yaml", lambda d: d["texts"].pop("checkin.ask.longest"))
    assert problems_of(directory) == [
        "content/diary.yaml: texts: missing text 'checkin.ask.longest'"
    ]


def test_a_misspelt_diary_placeholder(tmp_path: Path) -> None:
    directory = copy_content(tmp_path)
    edit(
        directory,
        "diary.yaml",
        lambda d: d["texts"].update({"checkin.header": "Morning check-in · the night of {nigth}"}),
    )
    assert problems_of(directory) == [
        "content/diary.yaml: texts.checkin.header: unknown placeholder {nigth} "
        "(this text is given: {night})"
    ]


def test_a_diary_button_label_too_long(tmp_path: Path) -> None:
    directory = copy_content(tmp_path)
    edit(directory, "diary.yaml", lambda d: d["texts"].update({"checkin.snooze": "z" * 84}))
    assert problems_of(directory) == [
        "content/diary.yaml: texts.checkin.snooze: 84 characters, over the 64 allowed for a "
        "button label"
    ]


def test_a_factor_label_too_long_for_its_tick_box(tmp_path: Path) -> None:
    directory = copy_content(tmp_path)
    edit(directory, "diary.yaml", lambda d: d["texts"].update({"checkin.factor.stress": "s" * 63}))
    assert problems_of(directory) == [
        "content/diary.yaml: texts.checkin.ticked: 65 characters with 'checkin.factor.stress' "
        "filled in, over the 64 allowed for a button label",
        "content/diary.yaml: texts.checkin.unticked: 65 characters with 'checkin.factor.stress' "
        "filled in, over the 64 allowed for a button label",
        # The /history chart shows the label too: in its legend and on its shading button.
        "content/diary.yaml: texts.chart.legend.factor: 74 characters with "
        "'checkin.factor.stress' filled in, over the 40 allowed for a label in the chart",
        "content/diary.yaml: texts.chart.button.shaded: 65 characters with "
        "'checkin.factor.stress' filled in, over the 64 allowed for a button label",
    ]


def test_a_missing_diary_file_is_one_line(tmp_path: Path) -> None:
    directory = copy_content(tmp_path)
    (directory / "diary.yaml").unlink()
    count = sum(1 for spec in TEXTS.values() if spec.file == DIARY_FILE)
    assert problems_of(directory) == [
        f"content/diary.yaml: file is missing (it holds {count} texts the bot needs)"
    ]


def test_a_misspelt_text_key_warns_with_the_closest_known_key(tmp_path: Path) -> None:
    directory = copy_content(tmp_path)

    def change(data: Any) -> None:
        data["texts"]["start.contnue_button"] = data["texts"].pop("start.continue_button")

    edit(directory, "texts.yaml", change)
    with pytest.raises(ContentError) as caught:
        load_content(directory)
    assert caught.value.problems == [
        "content/texts.yaml: texts: missing text 'start.continue_button'"
    ]
    assert caught.value.warnings[-1] == (
        "content/texts.yaml: texts.start.contnue_button: unknown text key, never used by the "
        "bot; the closest known key is 'start.continue_button'"
    )


def test_an_extra_text_is_only_a_warning(tmp_path: Path) -> None:
    directory = copy_content(tmp_path)
    edit(directory, "texts.yaml", lambda d: d["texts"].update({"start.welcom": "Hi"}))
    assert load_content(directory).warnings[-1] == (
        "content/texts.yaml: texts.start.welcom: unknown text key, never used by the bot; "
        "the closest known key is 'start.welcome'"
    )


def test_a_popup_is_counted_as_sent_not_escaped(tmp_path: Path) -> None:
    directory = copy_content(tmp_path)
    # 200 characters as shown; escaped for HTML they would be 600.
    edit(directory, "texts.yaml", lambda d: d["texts"].update({"stale.button": "<&>" * 66 + "ok"}))
    assert load_content(directory).raw_text("stale.button") == "<&>" * 66 + "ok"
    edit(directory, "texts.yaml", lambda d: d["texts"].update({"stale.button": "<&>" * 67}))
    assert problems_of(directory) == [
        "content/texts.yaml: texts.stale.button: 201 characters, over the 200 allowed for a "
        "button answer"
    ]


def test_an_emergency_answer_must_end_the_questionnaire(tmp_path: Path, content: Content) -> None:
    directory = copy_content(tmp_path)
    i, j = q_index(content, "em_now"), o_index(content, "em_now", "chest")
    edit(directory, "questions.yaml", lambda d: d["questions"][i]["options"][j].pop("stop"))
    assert problems_of(directory) == [
        f"content/questions.yaml: questions[{i}].options[{j}]: sets off the emergency rule "
        "'chest' on its own, so it must end the questionnaire: add stop: true"
    ]


def test_an_emergency_tick_in_a_list_must_move_to_the_safety_check(
    tmp_path: Path, content: Content
) -> None:
    directory = copy_content(tmp_path)
    i, j = q_index(content, "kidney"), o_index(content, "kidney", "ankles")

    def change(data: Any) -> None:
        data["questions"][i]["options"][j]["flags"] = ["chest_pain"]

    edit(directory, "questions.yaml", change)
    assert (
        f"content/questions.yaml: questions[{i}].options[{j}]: sets off the emergency rule "
        "'chest' on its own, but a multi-select cannot end the questionnaire: ask it in a "
        "single-choice safety question with stop: true"
    ) in problems_of(directory)
