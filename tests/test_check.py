"""`cramp-bot check-content` logic: validation, triage cases and path lengths."""

from __future__ import annotations

import io
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.check import load_triage_cases, run_check, tap_counts
from bot.content import ContentError, default_content_dir, load_content

REAL = default_content_dir()


def copy_content(tmp_path: Path) -> Path:
    target = tmp_path / "content"
    target.mkdir()
    for path in REAL.glob("*.yaml"):
        shutil.copy(path, target / path.name)
    return target


def rewrite(path: Path, data: Any) -> None:
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")


def test_real_content_passes_and_reports_path_lengths() -> None:
    out = io.StringIO()
    assert run_check(None, out=out) == 0
    counts = tap_counts(load_content())
    text = out.getvalue()
    assert "triage cases: all " in text
    assert "shortest path: 1 tap (ends at the safety check)" in text
    assert f"shortest to a full result: {counts.shortest_full} taps" in text
    assert f"typical path: {counts.typical} taps" in text
    assert f"longest path: {counts.longest} taps" in text
    assert counts.shortest == 1
    # Issue 2: the typical path is at most about 15 taps.
    assert counts.typical <= 15
    assert counts.shortest_full <= counts.typical < counts.longest


def test_a_weakened_rule_fails_naming_the_case(tmp_path: Path) -> None:
    directory = copy_content(tmp_path)
    triage = yaml.safe_load((directory / "triage.yaml").read_text(encoding="utf-8"))
    for rule in triage["rules"]:
        if rule["id"] == "kidney_signs":
            rule["level"] = "self_care"
    rewrite(directory / "triage.yaml", triage)
    out = io.StringIO()
    assert run_check(directory, out=out) == 1
    lines = out.getvalue().splitlines()
    assert (
        "triage case 'swollen_ankles' (see_doctor: kidney signs): expected at least "
        "see_doctor, got self_care"
    ) in lines
    assert not any(line.startswith("typical path") for line in lines)


def test_an_over_triaging_rule_fails_too(tmp_path: Path) -> None:
    directory = copy_content(tmp_path)
    triage = yaml.safe_load((directory / "triage.yaml").read_text(encoding="utf-8"))
    for rule in triage["rules"]:
        if rule["id"] == "kidney_calm":
            rule["level"] = "urgent"
    rewrite(directory / "triage.yaml", triage)
    out = io.StringIO()
    assert run_check(directory, out=out) == 1
    assert (
        "triage case 'kidney_calm' (self_care: known kidney disease, diabetes or high blood "
        "pressure alone (calm note)): expected at most self_care, got urgent"
    ) in out.getvalue().splitlines()


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
    out = io.StringIO()
    assert run_check(directory, out=out) == 1
    assert out.getvalue() == "triage case 'a' (r): unknown answers em_now:cheest\n"
