"""`cramp-bot check-content --simulate` and the path counting behind it.

tests/fixtures/content_small by hand. Paths: "Chest pain" ends it (1 path); otherwise
often (2) x lately (sport, heat, none, or both ticked) with drink asked after heat (2 each):
2 x (1 + 2 + 1 + 2) = 12, so 13 paths. Points: often nightly strain+1; sport strain+2; heat
thirst+2; drink little thirst+1; both causes need 2, a tie goes to strain (listed first).
Rules: chest -> emergency; heat and little -> urgent; nightly and heat -> see_doctor.

The simulation: "Chest pain" is the safety check's one exit, to emergency. Past it ("No"),
the 12 ways of the other questions, each with its chance: often and drink 1/2 per option;
lately's two boxes ticked with chance 1/10 each, so none 81/100, sport or heat alone 9/100,
both 1/100. In 400ths:

    often    lately      drink    chance  top      level
    rare     none        -          162   nothing  self_care
    rare     sport       -           18   strain   self_care
    rare     heat        little       9   thirst   urgent
    rare     heat        plenty       9   thirst   self_care
    rare     sport+heat  little       1   thirst   urgent      (strain 2, thirst 3)
    rare     sport+heat  plenty       1   strain   self_care   (2 : 2, tie)
    nightly  none        -          162   nothing  self_care   (strain 1, below 2)
    nightly  sport       -           18   strain   self_care
    nightly  heat        little       9   thirst   urgent
    nightly  heat        plenty       9   thirst   see_doctor
    nightly  sport+heat  little       1   strain   urgent      (3 : 3, tie)
    nightly  sport+heat  plenty       1   strain   see_doctor

top: strain 39 (9.75%), thirst 37 (9.25%), nothing 324 (81%); levels: urgent 20 (5%),
see_doctor 10 (2.5%), self_care 370 (92.5%).
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

from bot.authoring import report as content_report
from bot.authoring import simulate
from bot.authoring.simulate import PassedModel, PathSpace, format_simulation
from bot.cli import main
from bot.content.load import load_content
from bot.content.model import Content
from tests.harness import real_content
from tests.unit.authoring.test_check import fixture_content

F = Fraction

SAFETY_LINES = [
    "simulation, part 1, the safety check (exact, not sampled): each answer that ends the "
    "questionnaire at once, and the level it ends at:",
    '  safety: "Chest pain"  emergency',
    "  answers per level: emergency 1, urgent 0, see_doctor 0, self_care 0",
]
CHANCES = (
    "chances: each option of a one-answer question equally likely; each box of a list ticked "
    'on its own with chance 1 in 10; with none ticked, "None of these" (shared evenly with '
    '"Not sure" and the like)'
)
NOTE = (
    "note: compare the numbers before and after an edit, not with real life: the chances are "
    "a rough guess, not how often people answer so."
)


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


def test_the_chances_of_each_answer_past_the_safety_check(small: Content) -> None:
    model = PassedModel(small)
    assert model.chances == {
        "safety": {("none",): F(1)},
        "often": {("rare",): F(1, 2), ("nightly",): F(1, 2)},
        "lately": {
            ("sport",): F(9, 100),
            ("heat",): F(9, 100),
            ("sport", "heat"): F(1, 100),
            ("none",): F(81, 100),
        },
        "drink": {("little",): F(1, 2), ("plenty",): F(1, 2)},
    }
    assert model.space().count() == 12


def test_a_list_without_none_of_these_is_drawn_again_when_nothing_is_ticked() -> None:
    content = real_content()
    where = content.question("where")
    assert where is not None and not any(o.exclusive for o in where.options)
    chances = PassedModel(content).chances
    nothing = F(9, 10) ** len(where.options)
    assert chances["where"][("calves",)] == F(1, 10) * F(9, 10) ** 5 / (1 - nothing)
    assert all(sum(by_answer.values()) == 1 for by_answer in chances.values())


def test_simulation_shares_known_by_hand(small: Content) -> None:
    result = simulate.simulate(small)
    assert [(e.question.id, e.option.id, e.level) for e in result.exits] == [
        ("safety", "chest", "emergency")
    ]
    assert not result.sampled
    assert (result.total, result.walked, result.weight) == (12, 12, 1)
    assert result.top == {"strain": F(39, 400), "thirst": F(37, 400), simulate.NOTHING: F(81, 100)}
    assert result.levels == {"urgent": F(1, 20), "see_doctor": F(1, 40), "self_care": F(37, 40)}


def test_simulation_report(small: Content) -> None:
    assert format_simulation(small, simulate.simulate(small)) == [
        *SAFETY_LINES,
        'simulation, part 2, the full results of everyone past the safety check (safety: "No"), '
        "exact: every one of the 12 ways, each weighted by its chance below:",
        CHANCES,
        "top cause (the cause ranked first):",
        "  Tired muscles (strain)          9.8%",
        "  Not drinking enough (thirst)    9.3%",
        "  nothing stands out             81.0%",
        "urgency level:",
        "  emergency                       0.0%",
        "  urgent                          5.0%",
        "  see_doctor                      2.5%",
        "  self_care                      92.5%",
        "urgent, set by (a person may have several):",
        "    dry_heat                      5.0%",
        "see_doctor, set by (a person may have several):",
        "    hot_nights                    2.5%",
        NOTE,
    ]


def test_a_later_stop_answer_is_simulated_and_counted(tmp_path: Path) -> None:
    # "Little" to drink now ends the questionnaire, but it is asked only after "Heat", so it is
    # no part of the safety check: the 20/400 who give it are full-result rows of their own.
    directory = fixture_content(tmp_path)
    path = directory / "questions.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            'label: "Little"\n', 'label: "Little"\n        flags: [heat]\n        stop: true\n'
        ),
        encoding="utf-8",
    )
    content = load_content(directory)
    result = simulate.simulate(content)
    assert result.top == {
        "strain": F(38, 400),
        "thirst": F(18, 400),
        simulate.NOTHING: F(324, 400),
        simulate.STOPPED: F(20, 400),
    }
    assert result.levels == {"urgent": F(1, 20), "see_doctor": F(1, 40), "self_care": F(37, 40)}
    lines = format_simulation(content, result)
    assert lines[:3] == SAFETY_LINES
    assert lines[6:11] == [
        "  Tired muscles (strain)          9.5%",
        "  Not drinking enough (thirst)    4.5%",
        "  nothing stands out             81.0%",
        "  ended at a later stop answer    5.0%",
        "urgency level:",
    ]


def test_a_sample_when_there_are_too_many_ways_is_near_the_exact_shares(small: Content) -> None:
    first = simulate.simulate(small, limit=11, sample_size=40_000)
    assert first.sampled and first.walked == 40_000 and first.weight == 40_000
    assert first == simulate.simulate(small, limit=11, sample_size=40_000)
    lines = format_simulation(small, first)
    assert lines[3:5] == [
        'simulation, part 2, the full results of everyone past the safety check (safety: "No"), '
        f"sampled: 40,000 people drawn at random (seed {simulate.SEED}) from the 12 ways, with "
        "the chances below:",
        CHANCES,
    ]
    assert lines[6] == "  Tired muscles (strain)         3,795    9.5%"
    # Each share lands within a few standard errors (at most 0.3% here) of the exact one.
    exact = simulate.simulate(small)
    for key, share in exact.top.items():
        assert abs(first.top[key] / 40_000 - share) < F(1, 100), key
    for key, share in exact.levels.items():
        assert abs(first.levels[key] / 40_000 - share) < F(1, 100), key


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
    assert format_simulation(small, result)[3] == (
        'simulation, part 2, the full results of everyone past the safety check (safety: "No"), '
        f"sampled: 100 people drawn at random (seed {simulate.SEED}) from more ways than can be "
        "counted, with the chances below:"
    )


def test_cli_simulate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    directory = fixture_content(tmp_path)
    assert main(["check-content", "--content", str(directory), "--simulate"]) == 0
    out = capsys.readouterr().out.splitlines()
    start = out.index(SAFETY_LINES[0])
    assert out[start : start + 3] == SAFETY_LINES
    assert out[start + 11] == "  urgent                          5.0%"


def test_real_content_is_sampled_past_its_safety_check() -> None:
    content = real_content()
    result = simulate.simulate(content, sample_size=500)
    assert result.sampled and result.walked == 500
    assert result.total is not None and result.total > simulate.EXHAUSTIVE_LIMIT
    assert sum(result.levels.values()) == 500
    safety = simulate.safety_questions(content)
    assert [q.id for q in safety] == ["em_now", "em_soon"]
    assert [(e.question.id, e.option.id) for e in result.exits] == [
        (q.id, o.id) for q in safety for o in q.options if o.stop
    ]
    assert {e.level for e in result.exits} == {"emergency", "urgent"}
    lines = format_simulation(content, result)
    assert lines[len(result.exits) + 2].startswith(
        "simulation, part 2, the full results of everyone past the safety check "
        '(em_now: "None of these"; em_soon: "None of these"), '
        "sampled: 500 people"
    )
