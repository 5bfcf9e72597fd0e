"""`cramp-bot check-content --simulate` and the path counting behind it.

tests/fixtures/content_small by hand. Paths: "Chest pain" ends it (1 path); otherwise
often (2) x lately (sport, heat, none, or both ticked) with drink asked after heat (2 each):
2 x (1 + 2 + 1 + 2) = 12, so 13 paths. Points: often nightly strain+1; sport strain+2; heat
thirst+2; drink little thirst+1; both causes need 2, a tie goes to strain (listed first).
Rules: chest -> emergency; heat and little -> urgent; nightly and heat -> see_doctor.

    often    lately      drink    top      level
    -        (chest)     -        stopped  emergency
    rare     sport       -        strain   self_care
    rare     none        -        nothing  self_care
    rare     heat        little   thirst   urgent
    rare     heat        plenty   thirst   self_care
    rare     sport+heat  little   thirst   urgent      (strain 2, thirst 3)
    rare     sport+heat  plenty   strain   self_care   (2 : 2, tie)
    nightly  sport       -        strain   self_care
    nightly  none        -        nothing  self_care   (strain 1, below 2)
    nightly  heat        little   thirst   urgent
    nightly  heat        plenty   thirst   see_doctor
    nightly  sport+heat  little   strain   urgent      (3 : 3, tie)
    nightly  sport+heat  plenty   strain   see_doctor

top: strain 5, thirst 5, nothing 2, stopped 1; levels: emergency 1, urgent 4, see_doctor 2,
self_care 6.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from bot import content_report, simulate
from bot.cli import main
from bot.content import Content, load_content
from bot.simulate import PathSpace, format_simulation
from tests.test_check import fixture_content


@pytest.fixture
def small(tmp_path: Path) -> Content:
    return load_content(fixture_content(tmp_path))


def test_every_path_of_the_small_fixture(small: Content) -> None:
    space = PathSpace(small)
    assert space.count() == 13
    paths = list(space.walk())
    assert len(paths) == 13
    assert paths[0] == {"safety": ("chest",)}
    assert {
        "safety": ("none",),
        "often": ("nightly",),
        "lately": ("sport", "heat"),
        "drink": ("little",),
    } in paths
    assert space.asked() == {"safety", "often", "lately", "drink"}


def test_simulation_counts_known_by_hand(small: Content) -> None:
    result = simulate.simulate(small)
    assert not result.sampled
    assert result.walked == 13
    assert result.top == Counter(
        {"strain": 5, "thirst": 5, simulate.NOTHING: 2, simulate.STOPPED: 1}
    )
    assert result.levels == Counter({"emergency": 1, "urgent": 4, "see_doctor": 2, "self_care": 6})


def test_simulation_report(small: Content) -> None:
    assert format_simulation(small, simulate.simulate(small)) == [
        "simulation: every one of the 13 paths",
        "top cause (the cause ranked first):",
        "  Tired muscles (strain)         5   38.5%",
        "  Not drinking enough (thirst)   5   38.5%",
        "  nothing stands out             2   15.4%",
        "  ended at the safety check      1    7.7%",
        "urgency level:",
        "  emergency                      1    7.7%",
        "  urgent                         4   30.8%",
        "  see_doctor                     2   15.4%",
        "  self_care                      6   46.2%",
        "note: random answers tick far more warning signs than real people do; compare the "
        "numbers before and after an edit, not with real life.",
    ]


def test_a_sample_when_there_are_too_many_paths_is_even_and_repeatable(small: Content) -> None:
    first = simulate.simulate(small, limit=12, sample_size=13_000)
    assert first.sampled
    assert first == simulate.simulate(small, limit=12, sample_size=13_000)
    lines = format_simulation(small, first)
    assert lines[0] == (
        f"simulation: a random sample of 13,000 of the 13 paths (seed {simulate.SEED}; every "
        "path equally likely)"
    )
    # Every path is equally likely: each of the 13 turns up about 1,000 times, so the counts
    # come out near 13,000 x the hand-counted share.
    drawn = Counter(
        tuple(sorted(answers.items()))
        for answers in PathSpace(small).sample(13_000, simulate.random.Random(simulate.SEED))
    )
    assert len(drawn) == 13
    assert all(850 < count < 1150 for count in drawn.values())
    assert 4_500 < first.top["strain"] < 5_500
    assert 500 < first.levels["emergency"] < 1_500


def test_too_tangled_to_count(small: Content, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(simulate, "MAX_STATES", 1)
    space = PathSpace(small)
    assert space.count() is None
    assert space.asked() is None
    # Still counted by walking them, up to a limit.
    assert content_report.count_paths(space) == "13"
    monkeypatch.setattr(content_report, "EXPLICIT_LIMIT", 5)
    assert content_report.count_paths(space) == "more than 5"
    result = simulate.simulate(small, space=space, sample_size=100)
    assert result.sampled and result.total is None and result.walked == 100
    assert format_simulation(small, result)[0] == (
        f"simulation: a random sample of 100 paths (seed {simulate.SEED}; too many to count, "
        "so each answer is equally likely at each question)"
    )


def test_cli_simulate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    directory = fixture_content(tmp_path)
    assert main(["check-content", "--content", str(directory), "--simulate"]) == 0
    out = capsys.readouterr().out.splitlines()
    start = out.index("simulation: every one of the 13 paths")
    assert out[start + 8] == "  urgent                         4   30.8%"


def test_real_content_is_sampled() -> None:
    content = load_content()
    space = PathSpace(content)
    total = space.count()
    assert total is not None and total > simulate.EXHAUSTIVE_LIMIT
    result = simulate.simulate(content, space=space, sample_size=500)
    assert result.sampled and result.walked == 500
    assert sum(result.levels.values()) == 500
