"""`cramp-bot check-content --diagram FILE.md`: the questionnaire flow as Mermaid."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.authoring.diagram import diagram_markdown, mermaid
from bot.cli import main
from bot.content.load import load_content
from bot.content.reachability import satisfiable
from tests.harness import real_content
from tests.unit.authoring.test_check import fixture_content

SMALL_FLOW = """\
flowchart TD
    start(["Start"])
    q_safety["safety: Safety check"]
    q_often["often: How often"]
    q_lately["lately: Lately (tick any)"]
    q_drink["drink: Fluids"]
    result[["Result: causes ranked by points; level = highest rule that fires"]]
    level_emergency{{"emergency: Please get help now"}}
    level_urgent{{"urgent: Please see a doctor today"}}
    level_see_doctor{{"see_doctor: Book a doctor's appointment"}}
    level_self_care{{"self_care: You can look after this at home"}}
    start --> q_safety
    q_safety -->|"'Chest pain'; rules: chest"| level_emergency
    q_safety --> q_often
    q_often --> q_lately
    q_lately -->|"if lately: 'Heat or sweating'"| q_drink
    q_lately -->|"otherwise"| result
    q_drink --> result
    result -->|"rules: dry_heat"| level_urgent
    result -->|"rules: hot_nights"| level_see_doctor
    result -->|"no rule above fires"| level_self_care
    classDef exit fill:#fde2e2,stroke:#b00020
    class level_emergency,level_urgent exit
"""


def test_small_fixture_flow(tmp_path: Path) -> None:
    assert mermaid(load_content(fixture_content(tmp_path))) == SMALL_FLOW


def test_skip_rules_in_words_and_a_skip_past_several(tmp_path: Path) -> None:
    # content_suspicious: "followup" is asked only after "Chest pain"; the way past it is the
    # "otherwise" edge from the safety check to the next question.
    flow = mermaid(load_content(fixture_content(tmp_path, "content_suspicious")))
    assert "\n".join(line for line in flow.splitlines() if line.startswith("    q_safety ")) == (
        "    q_safety -->|\"'Chest pain'; rules: chest\"| level_emergency\n"
        "    q_safety -->|\"if safety: 'Chest pain'\"| q_followup\n"
        '    q_safety -->|"otherwise"| q_mood'
    )


def test_cli_writes_a_markdown_file_and_the_same_text_twice(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    directory = fixture_content(tmp_path)
    target = tmp_path / "flow.md"
    args = ["check-content", "--content", str(directory), "--diagram", str(target)]
    assert main(args) == 0
    first = target.read_text(encoding="utf-8")
    assert main(args) == 0
    assert target.read_text(encoding="utf-8") == first
    assert first.startswith("# Questionnaire flow (content version t1")
    assert f"```mermaid\n{SMALL_FLOW}```\n" in first
    assert first.endswith("```\n")
    assert f"diagram written to {target}" in capsys.readouterr().out.splitlines()


def test_real_content_diagram_has_every_question_and_the_safety_exits() -> None:
    content = real_content()
    text = diagram_markdown(content)
    for question in content.questions:
        assert f'    q_{question.id}["{question.id}: ' in text
        if any(option.stop for option in question.options):
            assert f"    q_{question.id} -->|" in text
    for question in content.questions:
        if question.ask_if is not None:
            assert any(
                '-->|"if ' in line and line.endswith(f"| q_{question.id}")
                for line in text.splitlines()
            )


def test_the_result_leads_to_a_level_only_by_rules_that_need_no_stop_answer(
    tmp_path: Path,
) -> None:
    # "chest" fires only on the stop answer "Chest pain", so it stays on that answer's edge.
    # Moved to emergency, "dry_heat" (heat and little to drink) is a full result's way there.
    directory = fixture_content(tmp_path)
    path = directory / "triage.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace(
            "  - id: dry_heat\n    level: urgent", "  - id: dry_heat\n    level: emergency"
        ),
        encoding="utf-8",
    )
    flow = mermaid(load_content(directory)).splitlines()
    assert [line for line in flow if line.endswith("| level_emergency")] == [
        "    q_safety -->|\"'Chest pain'; rules: chest\"| level_emergency",
        '    result -->|"rules: dry_heat"| level_emergency',
    ]
    # dry_heat was the only urgent rule: nothing leads to urgent now.
    assert [line for line in flow if line.endswith("| level_urgent")] == []


def _named_rules(line: str) -> set[str]:
    """Rule ids an edge label names ("rules: a, b", or "notes: c" on the way to self_care)."""
    for key in ("rules: ", "notes: "):
        if key in line:
            return set(line.split(key)[-1].split('"')[0].split(", "))
    return set()


def test_real_content_draws_each_rule_where_it_can_fire() -> None:
    content = real_content()
    flow = mermaid(content).splitlines()
    from_result = {
        r for line in flow if line.startswith("    result -->") for r in _named_rules(line)
    }
    from_stops = {r for line in flow if line.startswith("    q_") for r in _named_rules(line)}
    for rule in content.rules:
        assert rule.id in from_result | from_stops, rule.id
        if not satisfiable(rule.when, content.questions, allow_stop=False):
            assert rule.id not in from_result, rule.id
    # Every emergency rule of the real content needs a safety-check answer.
    assert not [line for line in flow if line.startswith("    result -->") and "emergency" in line]


def test_labels_cannot_break_the_diagram(tmp_path: Path) -> None:
    directory = fixture_content(tmp_path)
    path = directory / "questions.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            'short: "Fluids"', "short: 'Fluids \"daily\" <1 l'"
        ),
        encoding="utf-8",
    )
    flow = mermaid(load_content(directory))
    assert "    q_drink[\"drink: Fluids 'daily' #lt;1 l\"]\n" in flow
