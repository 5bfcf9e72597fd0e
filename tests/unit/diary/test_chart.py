"""The /history chart without Telegram: nights read from diary rows, counts, caption, the
button codec, and the picture itself (its size, and that it follows the data)."""

from __future__ import annotations

import asyncio
import io
import itertools
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.content.model import Content
from bot.diary.chart import (
    CHART_DAYS,
    HEIGHT_PX,
    NO_ENTRY,
    RECORDED,
    SKIPPED_NIGHT,
    UNANSWERED,
    WIDTH_PX,
    ChartState,
    ChartWords,
    _draw,
    chart_buttons,
    chart_caption,
    chart_nights,
    chart_photo,
    chart_png,
    count_nights,
    later_line,
)
from bot.diary.renderer import ChartRenderer
from bot.diary.rules import FACTORS, history_view
from bot.ui import MAX_CAPTION

LAST = date(2026, 11, 24)


@dataclass(frozen=True)
class Night:
    night: date
    answers: dict[str, Any]


def night(back: int, cramps: int | None, **more: Any) -> Night:
    answers: dict[str, Any] = {} if cramps is None else {"cramps": cramps}
    answers.update(more)
    return Night(LAST - timedelta(days=back), answers)


DIARY = [
    night(0, 2, woke=True, longest="1_5", factors=["stress"], factors_done=True),
    night(1, 0, factors=["stress", "caffeine"], factors_done=True),
    night(2, 4, woke=False, longest="gt10"),
    night(3, None, skipped=True),
    night(4, None),  # sent, never answered
    night(6, 1, woke=True, factors=["stress"], factors_done=False),  # factors not finished
    night(40, 1),  # outside 30 nights
    night(-1, 4),  # tonight: not shown yet
]


def size_of(png: bytes) -> tuple[int, int]:
    from PIL import Image

    with Image.open(io.BytesIO(png)) as image:
        return image.size


def test_each_night_becomes_one_mark_oldest_first() -> None:
    marks = chart_nights(DIARY, LAST, 30)
    assert len(marks) == 30 and marks[0].night == LAST - timedelta(days=29)
    assert marks[-1].night == LAST
    status = {m.night: m.status for m in marks}
    assert status[LAST] == RECORDED and status[LAST - timedelta(days=3)] == SKIPPED_NIGHT
    assert status[LAST - timedelta(days=4)] == UNANSWERED
    assert status[LAST - timedelta(days=5)] == NO_ENTRY
    last = marks[-1]
    assert (last.cramps, last.woke, last.long, last.factors) == (2, True, False, {"stress"})
    # Factors count only when the person finished that step.
    assert marks[-7].factors == frozenset()


def test_counts_are_those_of_the_strip() -> None:
    counts = count_nights(chart_nights(DIARY, LAST, 30), "stress")
    assert (counts.recorded, counts.cramp_nights, counts.woken, counts.long) == (4, 3, 2, 1)
    assert counts.factor_days == 2
    assert count_nights(chart_nights(DIARY, LAST, 90)).cramp_nights == 4


def test_the_caption_says_in_words_what_the_chart_shows(content: Content) -> None:
    counts = count_nights(chart_nights(DIARY, LAST, 30), "stress")
    caption = chart_caption(counts, content, "stress")
    assert caption.startswith("3 of the last 30 nights had cramps; 2 woke you.")
    assert "on 4 of them" in caption and "On 1, a cramp lasted over 10 minutes." in caption
    assert "Shaded: days with “Stress” (2)." in caption
    quiet = chart_caption(count_nights(chart_nights([night(0, 0)], LAST, 30)), content, None)
    assert "over 10 minutes" not in quiet and "Shaded" not in quiet


def test_the_longest_caption_fits_telegram(content: Content) -> None:
    counts = count_nights(chart_nights([], LAST, 90))
    worst = type(counts)(90, 90, 90, 90, 90, 90)
    longest = max(len(chart_caption(worst, content, f)) for f in FACTORS)
    assert counts.recorded == 0 and longest <= MAX_CAPTION


@pytest.mark.parametrize("factor", [None, *FACTORS])
def test_a_count_of_one_never_reads_one_nights(content: Content, factor: str | None) -> None:
    """Caption, strip and the later line with every count at 1 (the PDF: test_report_pdf)."""
    bad = {"woke": True, "longest": "gt10", "twitch": "one", "factors": list(FACTORS)}
    for nights in ([night(0, 4, **bad)], [night(0, 4, **bad), night(1, None, skipped=True)]):
        counts = count_nights(chart_nights(nights, LAST, 30), factor)
        said = [
            chart_caption(counts, content, factor),
            history_view(nights, LAST + timedelta(days=1), texts=content),
            later_line(counts.recorded, content, LAST + timedelta(days=1)),
        ]
        for text in said:
            assert re.search(r"\b1 (nights|days|times)\b", text) is None, text
        assert "1 of the last 30 nights had cramps; 1 woke you." in said[0]
    assert "1 more to go" in later_line(2, content, None)


def test_the_later_line_counts_down_and_names_a_day(content: Content) -> None:
    assert "2 more to go" in later_line(1, content, None)
    assert "/reminders" in later_line(1, content, None)
    line = later_line(0, content, date(2026, 11, 26))
    assert "3 more to go" in line and "28 Nov" in line


def test_buttons_carry_the_wanted_state(content: Content) -> None:
    rows = chart_buttons(ChartState(30, "stress"), content)
    flat = [b for row in rows for b in row]
    assert flat[0].text == "Show 90 nights" and flat[0].data == "h1:90:stress"
    shaded = next(b for b in flat if b.text.startswith("✓"))
    assert shaded.text == "✓ Stress" and shaded.data == "h1:30:-"
    assert {b.data for b in flat[1:]} - {"h1:30:-"} == {
        f"h1:30:{f}" for f in FACTORS if f != "stress"
    }
    assert all(len(b.data.encode()) <= 64 and len(b.text) <= 64 for b in flat)


@pytest.mark.parametrize("days", CHART_DAYS)
@pytest.mark.parametrize("factor", [None, *FACTORS])
def test_every_state_survives_its_callback_data(days: int, factor: str | None) -> None:
    state = ChartState(days, factor)
    assert ChartState.parse(state.data()) == state


@given(st.text(max_size=80))
def test_parse_never_raises_and_only_accepts_what_it_made(data: str) -> None:
    state = ChartState.parse(data)
    assert state is None or state.data() == data


@given(st.sampled_from([s.data() for s in (ChartState(), ChartState(90, "newmed"))]), st.data())
def test_mutated_real_data_is_refused_or_exact(real: str, draw: st.DataObject) -> None:
    at = draw.draw(st.integers(0, len(real)))
    mutated = real[:at] + draw.draw(st.text(min_size=1, max_size=3)) + real[at + 1 :]
    state = ChartState.parse(mutated)
    assert state is None or state.data() == mutated


def test_a_state_that_no_button_makes_cannot_be_built() -> None:
    with pytest.raises(ValueError):
        ChartState(45)
    with pytest.raises(ValueError):
        ChartState(30, "sugar")


def test_the_picture_is_phone_sized_and_follows_the_data(content: Content) -> None:
    words = ChartWords.from_texts(content, 30, None)
    marks = chart_nights(DIARY, LAST, 30)
    png = chart_png(marks, words)
    assert png.startswith(b"\x89PNG") and size_of(png) == (WIDTH_PX, HEIGHT_PX)
    other = chart_png(chart_nights([*DIARY, night(10, 4, woke=True)], LAST, 30), words)
    assert other != png
    shaded = chart_png(marks, ChartWords.from_texts(content, 30, "stress"), "stress")
    assert shaded != png
    assert chart_png(marks, words) == png  # the same data draws the same picture
    print_size = size_of(chart_png(marks, words, dpi=200))
    assert print_size == (WIDTH_PX * 2, HEIGHT_PX * 2)


def pixels(image: bytes) -> Any:
    import numpy as np
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(image)).convert("RGB")).astype(int)


@pytest.mark.parametrize(("days", "factor"), [(30, None), (90, "caffeine"), (30, "stress")])
def test_the_photo_is_the_whole_drawing_stamped_onto_a_kept_frame(
    content: Content, days: int, factor: str | None
) -> None:
    words = ChartWords.from_texts(content, days, factor)
    many = [
        *DIARY,
        *(
            night(back, (0, 1, 2, 4)[back % 4], factors=["caffeine"], factors_done=True,
                  woke=back % 2 == 0, longest="gt10" if back % 5 == 0 else "1_5")
            for back in range(7, 80, 3)
        ),
    ]  # fmt: skip
    # The kept frame holds nothing of the last chart; a chart drawn a day later has its dates.
    for diary, last in ((DIARY, LAST), (many, LAST), (DIARY[:3], LAST + timedelta(days=1))):
        marks = chart_nights(diary, last, days)
        photo = chart_photo(marks, words, factor)
        assert photo.startswith(b"\xff\xd8") and size_of(photo) == (WIDTH_PX, HEIGHT_PX)
        difference = abs(pixels(photo) - pixels(chart_png(marks, words, factor)))
        # JPEG blurs edges a little; a missing or misplaced mark or label changes far more.
        assert difference.mean() < 1.2  # measured 0.16-0.63
        assert (difference.max(axis=2) > 64).mean() < 0.0005  # measured 0-0.0001
    other = chart_photo(chart_nights([*DIARY, night(10, 4, woke=True)], LAST, days), words)
    assert other != chart_photo(chart_nights(DIARY, LAST, days), words)


def test_the_words_in_the_picture_come_from_the_texts(content: Content) -> None:
    words = ChartWords.from_texts(content, 90, "lowfluid")
    assert words.title == "Cramps, last 90 nights"
    assert words.factor == "Days with: Drank little"
    assert words.ticks == ("None", "1", "2–3", "4 or more")


def test_starting_the_bot_does_not_import_the_drawing_libraries() -> None:
    code = (
        "import sys\n"
        "import bot.cli, handlers\n"
        "from bot.wiring.app import build_application\n"
        "from bot.wiring.deps import Deps\n"
        "from bot.config import Settings\n"
        "from bot.content.load import load_content\n"
        "from bot.clock import SystemClock\n"
        "settings = Settings(token='1:A', db_path='x.db')\n"
        "build_application(Deps(settings=settings, content=load_content(), storage=None,"
        " clock=SystemClock()))\n"
        "heavy = sorted({m.split('.')[0] for m in sys.modules}"
        " & {'matplotlib', 'numpy', 'fpdf', 'PIL'})\n"
        "print(','.join(heavy) or 'none')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "none"


@pytest.mark.parametrize("process", [False, True])
async def test_the_renderer_draws_the_same_picture_off_the_event_loop(
    content: Content, process: bool
) -> None:
    marks = chart_nights(DIARY, LAST, 30)
    words = ChartWords.from_texts(content, 30, None)
    renderer = ChartRenderer(process=process)
    drawn = await renderer.run(chart_png, marks, words)
    assert drawn == chart_png(marks, words) and renderer.drawn == 1


async def test_the_renderer_rests_after_each_drawing_but_hands_the_picture_over_at_once() -> None:
    """With rest=3 the next drawing starts no sooner than three drawings' time after the
    last one ended, so a queue of charts keeps to a quarter of a core."""
    renderer = ChartRenderer(rest=3.0)
    ended: list[float] = []
    started: list[float] = []

    def work() -> None:
        started.append(time.perf_counter())
        time.sleep(0.05)
        ended.append(time.perf_counter())

    first = asyncio.create_task(renderer.run(work))
    second = asyncio.create_task(renderer.run(work))
    await first
    assert len(started) == 1 and not second.done()  # handed over, the slot still resting
    await second
    assert started[1] - ended[0] >= 3 * 0.05 * 0.9
    assert renderer.drawn == 2


async def test_a_failed_drawing_frees_its_slot() -> None:
    renderer = ChartRenderer()

    def broken() -> None:
        raise ValueError("no picture")

    with pytest.raises(ValueError, match="no picture"):
        await renderer.run(broken)
    assert await renderer.run(lambda: 7) == 7


def test_the_legend_is_drawn_once(content: Content) -> None:
    figure = _draw(chart_nights(DIARY, LAST, 30), ChartWords.from_texts(content, 30, None), None)
    assert len(figure.legends) == 1 and figure.legends[0] not in figure.artists


async def test_the_renderer_paces_quick_drawings() -> None:
    """A drawing much shorter than `pace` still holds its turn for `pace` seconds in all."""
    renderer = ChartRenderer(pace=0.2)
    started: list[float] = []

    def quick() -> None:
        started.append(time.perf_counter())

    await asyncio.gather(renderer.run(quick), renderer.run(quick), renderer.run(quick))
    gaps = [later - earlier for earlier, later in itertools.pairwise(started)]
    assert len(gaps) == 2 and min(gaps) >= 0.2 * 0.9
