"""`cramp-bot check-content --diagram FILE.md`: the questionnaire flow as Mermaid."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from bot.content import load_content
from bot.diagram import diagram_markdown, mermaid
from tests.test_check import fixture_content

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
    q_safety -->|"'Chest pain'"| level_emergency
    q_safety --> q_often
    q_often --> q_lately
    q_lately -->|"if lately: 'Heat or sweating'"| q_drink
    q_lately -->|"otherwise"| result
    q_drink --> result
    result -->|"rules: chest"| level_emergency
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
        "    q_safety -->|\"'Chest pain'\"| level_emergency\n"
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
    content = load_content()
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
