"""The /history chart: the diary's nights as a picture, and its caption and buttons.

Pure and Telegram-free. `chart_nights` reads diary rows into one `NightMark` per night;
`chart_png` draws them (matplotlib, Agg, imported on the first drawing only, so start-up never
pays for it); `chart_caption` says in words what the chart shows; `ChartState` is the codec of
the chart's buttons. `ChartRenderer` runs the drawing in a worker thread, one at a time, so
other people's presses keep the event loop (and most of the GIL) while a chart is drawn.

Readable on a phone and on a black-and-white printout: 1080 px wide, large type, the
Okabe–Ito colour-blind-safe palette, and every mark differs by shape as well as by colour.
"""

from __future__ import annotations

import asyncio
import functools
import io
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

from bot.diary.flow import SKIPPED
from bot.diary.rules import (
    CRAMP_COUNTS,
    FACTORS,
    HISTORY_NIGHTS,
    DiaryRecord,
    Texts,
    cramp_count,
    factors_of,
    short_date,
)
from bot.ui import MAX_CALLBACK_DATA, Button

CHART_DAYS: tuple[int, ...] = (HISTORY_NIGHTS, 90)  # the first is what /history shows
MIN_RECORDED = 3  # fewer recorded nights make a chart that says less than the strip
NO_FACTOR = "-"

# How a night looks: recorded (with its cramp count), or a gap.
RECORDED = "recorded"
SKIPPED_NIGHT = "skipped"
UNANSWERED = "unanswered"
NO_ENTRY = "none"

# Okabe & Ito (2008): distinguishable with every common colour-vision deficiency.
BLUE = "#0072B2"
VERMILION = "#D55E00"
ORANGE = "#E69F00"
GREY = "#777777"

WIDTH_PX = 1080
HEIGHT_PX = 860
DPI = 100
PRINT_DPI = 220
MAX_REST = 1.0  # seconds: a ChartRenderer's longest rest after a drawing


@dataclass(frozen=True)
class NightMark:
    night: date
    status: str  # RECORDED | SKIPPED_NIGHT | UNANSWERED | NO_ENTRY
    cramps: int = 0  # one of CRAMP_COUNTS when recorded
    woke: bool = False
    long: bool = False  # a cramp over 10 minutes
    factors: frozenset[str] = frozenset()

    @property
    def recorded(self) -> bool:
        return self.status == RECORDED


@dataclass(frozen=True)
class ChartCounts:
    days: int
    recorded: int
    cramp_nights: int
    woken: int
    long: int
    factor_days: int


def chart_nights(entries: Iterable[DiaryRecord], last_night: date, days: int) -> list[NightMark]:
    """One mark per night, oldest first, ending on `last_night`."""
    first = last_night - timedelta(days=days - 1)
    by_night = {e.night: e.answers for e in entries if first <= e.night <= last_night}
    marks = []
    for offset in range(days):
        night = first + timedelta(days=offset)
        answers = by_night.get(night)
        marks.append(_mark(night, answers))
    return marks


def _mark(night: date, answers: Mapping[str, Any] | None) -> NightMark:
    if answers is None:
        return NightMark(night, NO_ENTRY)
    count = cramp_count(answers)
    if count is None:
        status = SKIPPED_NIGHT if answers.get(SKIPPED) else UNANSWERED
        return NightMark(night, status)
    return NightMark(
        night,
        RECORDED,
        cramps=count,
        woke=count > 0 and answers.get("woke") is True,
        long=count > 0 and answers.get("longest") == "gt10",
        factors=factors_of(answers) if answers.get("factors_done") is True else frozenset(),
    )


def count_nights(marks: Sequence[NightMark], factor: str | None = None) -> ChartCounts:
    recorded = [m for m in marks if m.recorded]
    return ChartCounts(
        days=len(marks),
        recorded=len(recorded),
        cramp_nights=sum(1 for m in recorded if m.cramps > 0),
        woken=sum(1 for m in recorded if m.woke),
        long=sum(1 for m in recorded if m.long),
        factor_days=sum(1 for m in recorded if factor is not None and factor in m.factors),
    )


# --- words ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChartWords:
    """Every word drawn in the image, from the content texts (plain text, not HTML)."""

    title: str
    axis: str
    ticks: tuple[str, ...]  # one per CRAMP_COUNTS
    cramps: str
    none: str
    woke: str
    long: str
    gap: str
    factor: str  # "" when no factor is shaded

    @classmethod
    def from_texts(cls, texts: Texts, days: int, factor: str | None) -> ChartWords:
        shaded = ""
        if factor is not None:
            label = texts.raw_text(f"checkin.factor.{factor}")
            shaded = texts.raw_text("chart.legend.factor").format(factor=label)
        return cls(
            title=texts.raw_text("chart.title").format(days=days),
            axis=texts.raw_text("chart.axis"),
            ticks=tuple(texts.raw_text(f"checkin.cramps.{n}") for n in CRAMP_COUNTS),
            cramps=texts.raw_text("chart.legend.cramps"),
            none=texts.raw_text("chart.legend.none"),
            woke=texts.raw_text("chart.legend.woke"),
            long=texts.raw_text("chart.legend.long"),
            gap=texts.raw_text("chart.legend.gap"),
            factor=shaded,
        )


def chart_caption(counts: ChartCounts, texts: Texts, factor: str | None) -> str:
    """HTML: what the chart shows, in words (a screen reader reads this, not the picture)."""
    parts = [
        texts.text(
            "chart.caption",
            cramp_nights=counts.cramp_nights,
            days=counts.days,
            woken=counts.woken,
        ),
        texts.text("chart.caption.recorded", recorded=counts.recorded),
    ]
    if counts.long:
        parts.append(texts.text("chart.caption.long", count=counts.long))
    if factor is not None:
        parts.append(
            texts.text(
                "chart.caption.factor",
                factor=texts.raw_text(f"checkin.factor.{factor}"),
                count=counts.factor_days,
            )
        )
    return " ".join(parts)


def later_line(recorded: int, texts: Texts, next_checkin: date | None) -> str:
    """HTML for fewer than MIN_RECORDED nights: when the chart will come."""
    more = MIN_RECORDED - recorded
    lines = [texts.text("chart.later", more=more, needed=MIN_RECORDED)]
    if next_checkin is not None:
        when = next_checkin + timedelta(days=more - 1)
        lines.append(texts.text("chart.later.date", date=short_date(when)))
    else:
        lines.append(texts.text("chart.later.reminders"))
    return " ".join(lines)


# --- buttons --------------------------------------------------------------------------------

PREFIX = "h1"
_STATE_RE = re.compile(r"h1:([1-9][0-9]{0,2}):([a-z_]{1,12}|-)")


@dataclass(frozen=True)
class ChartState:
    """What a chart shows: how many nights, and which factor's days are shaded.

    Callback data `h1:<days>:<factor or ->`: the wanted state, not a change, so a press that
    arrives twice shows the same chart twice and never flips back."""

    days: int = CHART_DAYS[0]
    factor: str | None = None

    def __post_init__(self) -> None:
        if self.days not in CHART_DAYS or (self.factor is not None and self.factor not in FACTORS):
            raise ValueError(f"not a chart: {self.days} nights, factor {self.factor!r}")

    def data(self) -> str:
        data = f"{PREFIX}:{self.days}:{self.factor or NO_FACTOR}"
        if len(data.encode()) > MAX_CALLBACK_DATA:  # pragma: no cover - the ids are short
            raise ValueError(data)
        return data

    @classmethod
    def parse(cls, data: str) -> ChartState | None:
        """The state, or None for anything this module did not make."""
        if not data.isascii() or len(data) > MAX_CALLBACK_DATA:
            return None
        match = _STATE_RE.fullmatch(data)
        if match is None:
            return None
        days, factor = int(match[1]), match[2]
        try:
            return cls(days, None if factor == NO_FACTOR else factor)
        except ValueError:
            return None


def chart_buttons(state: ChartState, texts: Texts) -> tuple[tuple[Button, ...], ...]:
    """The other length, then a button per factor (the shaded one unshades), two a row."""
    other = next(d for d in CHART_DAYS if d != state.days)
    rows: list[tuple[Button, ...]] = [
        (
            Button(
                texts.raw_text("chart.button.days").format(days=other),
                ChartState(other, state.factor).data(),
            ),
        )
    ]
    factor_buttons = []
    for factor in FACTORS:
        name = texts.raw_text(f"checkin.factor.{factor}")
        if factor == state.factor:
            shown = texts.raw_text("chart.button.shaded").format(label=name)
            factor_buttons.append(Button(shown, ChartState(state.days, None).data()))
        else:
            factor_buttons.append(Button(name, ChartState(state.days, factor).data()))
    rows.extend(tuple(factor_buttons[i : i + 2]) for i in range(0, len(factor_buttons), 2))
    return tuple(rows)


# --- drawing --------------------------------------------------------------------------------


def chart_png(
    marks: Sequence[NightMark],
    words: ChartWords,
    factor: str | None = None,
    *,
    dpi: int = DPI,
) -> bytes:
    """The chart as PNG bytes, WIDTH_PX x HEIGHT_PX at `dpi` = DPI (more for print)."""
    figure = _draw(marks, words, factor)
    out = io.BytesIO()
    # zlib level 1: a fifth larger file than the default 6, half the encoding time; Telegram
    # recompresses every photo anyway.
    figure.savefig(out, format="png", dpi=dpi, pil_kwargs={"compress_level": 1})
    return out.getvalue()


def _draw(marks: Sequence[NightMark], words: ChartWords, factor: str | None) -> Any:
    # Imported here, not at the top: matplotlib and numpy take most of a second to import,
    # and the bot must start fast and stay small until somebody asks for a chart. No pyplot:
    # its global figure manager is not thread-safe; a bare Figure with an Agg canvas is.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    big, mid = 26, 22
    figure = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI)
    FigureCanvasAgg(figure)
    # Without a title (the report's heading is page text) the plot takes its room.
    axes = figure.add_axes((0.2, 0.36, 0.74, 0.54 if words.title else 0.6))
    n = len(marks)
    xs = list(range(n))
    height = {count: i for i, count in enumerate(CRAMP_COUNTS)}

    if factor is not None:
        for x, mark in zip(xs, marks, strict=True):
            if factor in mark.factors:
                # Hatched as well as tinted, so the shading survives a grey-scale printout.
                axes.axvspan(
                    x - 0.5, x + 0.5, facecolor=ORANGE, alpha=0.35, hatch="//",
                    edgecolor="#8a5a00", linewidth=0, zorder=0,
                )  # fmt: skip

    recorded = [(x, m) for x, m in zip(xs, marks, strict=True) if m.recorded]
    with_cramps = [(x, m) for x, m in recorded if m.cramps > 0]
    width = 0.75 if n <= 40 else 0.85
    axes.bar(
        [x for x, _ in with_cramps],
        [height[m.cramps] for _, m in with_cramps],
        width=width, color=BLUE, edgecolor="black", linewidth=1.2 if n <= 40 else 0.6, zorder=2,
    )  # fmt: skip
    marker_size = 15 if n <= 40 else 9
    quiet = [x for x, m in recorded if m.cramps == 0]
    axes.plot(
        quiet, [0.12] * len(quiet), linestyle="none", marker="o", markersize=marker_size * 0.7,
        markerfacecolor="white", markeredgecolor="black", markeredgewidth=1.5, zorder=3,
    )  # fmt: skip
    woke = [(x, height[m.cramps]) for x, m in with_cramps if m.woke]
    axes.plot(
        [x for x, _ in woke], [y + 0.3 for _, y in woke], linestyle="none", marker="v",
        markersize=marker_size, color="black", zorder=4,
    )  # fmt: skip
    long = [(x, height[m.cramps]) for x, m in with_cramps if m.long]
    offset = [0.3 + (0.45 if m.woke else 0) for _, m in with_cramps if m.long]
    axes.plot(
        [x for x, _ in long], [y + o for (_, y), o in zip(long, offset, strict=True)],
        linestyle="none", marker="*", markersize=marker_size * 1.5, color=VERMILION,
        markeredgecolor="black", markeredgewidth=1.0, zorder=5,
    )  # fmt: skip

    axes.set_xlim(-0.6, n - 0.4)
    axes.set_ylim(0, len(CRAMP_COUNTS) - 1 + 0.95)
    axes.set_yticks(range(len(CRAMP_COUNTS)), words.ticks, fontsize=mid)
    axes.set_ylabel(words.axis, fontsize=mid)
    step = 7 if n <= 40 else 14
    # Ticks count back from the last night, so the newest night always has its date.
    ticks = list(range(n - 1, -1, -step))[::-1]
    axes.set_xticks(ticks, [short_date(marks[i].night) for i in ticks], fontsize=mid)
    axes.tick_params(axis="both", length=6, width=1.2)
    axes.grid(axis="y", color="#bbbbbb", linewidth=1, zorder=1)
    axes.set_axisbelow(True)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    if words.title:  # the report prints its own heading above the picture
        figure.suptitle(words.title, fontsize=big, fontweight="bold", x=0.5, y=0.975)

    handles: list[Any] = [
        Patch(facecolor=BLUE, edgecolor="black", label=words.cramps),
        Line2D([], [], linestyle="none", marker="v", markersize=15, color="black",
               label=words.woke),
        Line2D([], [], linestyle="none", marker="*", markersize=20, color=VERMILION,
               markeredgecolor="black", label=words.long),
        Line2D([], [], linestyle="none", marker="o", markersize=11, markerfacecolor="white",
               markeredgecolor="black", markeredgewidth=1.5, label=words.none),
    ]  # fmt: skip
    # Each figure.legend() is drawn: a second one (the shading's) adds to it.
    figure.legend(
        handles=handles, loc="upper left", bbox_to_anchor=(0.02, 0.25), ncols=2,
        fontsize=mid, frameon=False, handlelength=1.4, columnspacing=1.5,
    )  # fmt: skip
    if words.factor:
        # A row of its own: a factor's label can be as long as a whole legend column.
        shading = Patch(facecolor=ORANGE, alpha=0.35, hatch="//", edgecolor="#8a5a00")
        figure.legend(
            handles=[shading], labels=[words.factor], loc="upper left",
            bbox_to_anchor=(0.02, 0.115), fontsize=mid, frameon=False, handlelength=1.4,
        )  # fmt: skip
    figure.text(0.98, 0.015, words.gap, ha="right", va="bottom", fontsize=mid * 0.8, color=GREY)
    return figure


# --- running it off the event loop ---------------------------------------------------------

T = TypeVar("T")


class ChartRenderer:
    """Draws off the event loop, at most `at_once` at a time: in a worker thread
    (asyncio.to_thread), or with `process=True` in one long-lived worker process.

    Drawing is mostly Python, so in a thread it holds the GIL while it runs. One drawing at a
    time leaves the event loop competing with one busy thread rather than many; the rest wait
    their turn in a queue that costs nothing. A worker process takes the GIL out of the
    picture (docs/benchmarks.md compares the two); its arguments must pickle.

    `rest`: after each drawing its slot stays taken for `rest` times as long as the drawing
    took (at most MAX_REST seconds), so a queue of drawings takes at most 1 / (1 + rest) of a
    core, whatever the scheduler does, and a two-core machine keeps most of a core for
    everybody else's presses. The person whose picture it was gets it at once."""

    def __init__(self, at_once: int = 1, *, process: bool = False, rest: float = 0.0) -> None:
        self._slots = asyncio.Semaphore(at_once)
        self._process = process
        self._rest = rest
        self.drawn = 0

    async def run(self, work: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        await self._slots.acquire()
        started = time.perf_counter()
        try:
            if self._process:
                loop = asyncio.get_running_loop()
                call = functools.partial(work, *args, **kwargs)
                result = await loop.run_in_executor(_worker_process(), call)
            else:
                result = await asyncio.to_thread(self._locked, work, *args, **kwargs)
        finally:
            rest = min(MAX_REST, (time.perf_counter() - started) * self._rest)
            if rest > 0:
                asyncio.get_running_loop().call_later(rest, self._slots.release)
            else:
                self._slots.release()
        self.drawn += 1
        return result

    def _locked(self, work: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        # Matplotlib's caches (fonts, text layout) are shared between threads; one drawing at
        # a time in the whole process keeps them consistent, whatever `at_once` says.
        with _DRAWING:
            return work(*args, **kwargs)


_DRAWING = threading.Lock()
_POOL: list[ProcessPoolExecutor] = []


def _worker_process() -> ProcessPoolExecutor:
    if not _POOL:
        # Imported here: multiprocessing is only needed once somebody asks for a picture.
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        # spawn, not fork: forking a process that runs threads (aiosqlite, the event loop's
        # executor) can copy a held lock into the child. At normal priority: the renderer's
        # rest bounds its share of the CPU, and a lowered priority (nice 19, measured no better
        # for other people's presses) lets a busy machine starve the pictures outright.
        _POOL.append(ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")))
    return _POOL[0]
