"""The /history chart: the diary's nights as a picture, and its caption and buttons.

Pure and Telegram-free. `chart_nights` reads diary rows into one `NightMark` per night;
`chart_photo` (the photo) and `chart_png` (print) draw them (matplotlib, Agg, imported on the
first drawing only, so start-up never pays for it); `chart_caption` says in words what the
chart shows; `ChartState` is the codec of the chart's buttons. bot/diary/renderer.py runs the
drawing off the event loop.

Readable on a phone and on a black-and-white printout: 1080 px wide, large type, the
Okabe–Ito colour-blind-safe palette, and every mark differs by shape as well as by colour.
"""

from __future__ import annotations

import functools
import io
import re
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

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
BIG, MID = 26, 22  # type sizes, points
JPEG_QUALITY = 90


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


def chart_photo(marks: Sequence[NightMark], words: ChartWords, factor: str | None = None) -> bytes:
    """The chart as the JPEG photo Telegram shows, WIDTH_PX x HEIGHT_PX.

    Only the nights are drawn each time: onto a copy of the frame (axes, labels, legend,
    dates), drawn once per length, wording and day and kept (`_kept_frame`). The picture is
    the one `chart_png` draws (tests/unit/diary/test_chart.py compares the pixels) at about a
    tenth of the cost. JPEG, not PNG: Telegram turns every photo into a JPEG anyway, and
    encoding one takes a few milliseconds where a PNG of this size takes twenty-five."""
    with _STAMPING:
        return _kept_frame(len(marks), words, _dates(marks)).stamp(marks, factor)


def chart_png(
    marks: Sequence[NightMark],
    words: ChartWords,
    factor: str | None = None,
    *,
    dpi: int = DPI,
) -> bytes:
    """The whole chart drawn afresh as PNG bytes, WIDTH_PX x HEIGHT_PX at `dpi` = DPI (more
    for print: the PDF report)."""
    figure = _draw(marks, words, factor)
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=dpi)
    return out.getvalue()


def _draw(marks: Sequence[NightMark], words: ChartWords, factor: str | None) -> Any:
    """The whole chart as a matplotlib Figure."""
    figure, axes = _frame(len(marks), words, _dates(marks))
    _nights(axes, marks, factor)
    return figure


def _ticks(n: int) -> list[int]:
    # Ticks count back from the last night, so the newest night always has its date.
    return list(range(n - 1, -1, -(7 if n <= 40 else 14)))[::-1]


def _dates(marks: Sequence[NightMark]) -> tuple[str, ...]:
    """The dates under the ticks."""
    return tuple(short_date(marks[i].night) for i in _ticks(len(marks)))


def _frame(n: int, words: ChartWords, dates: Sequence[str]) -> tuple[Any, Any]:
    """Everything of a chart of `n` nights but the nights, with `dates` under the ticks."""
    # Imported here, not at the top: matplotlib and numpy take most of a second to import,
    # and the bot must start fast and stay small until somebody asks for a chart. No pyplot:
    # its global figure manager is not thread-safe; a bare Figure with an Agg canvas is.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    figure = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI)
    FigureCanvasAgg(figure)
    # Without a title (the report's heading is page text) the plot takes its room.
    axes = figure.add_axes((0.2, 0.36, 0.74, 0.54 if words.title else 0.6))
    axes.set_xlim(-0.6, n - 0.4)
    axes.set_ylim(0, len(CRAMP_COUNTS) - 1 + 0.95)
    axes.set_yticks(range(len(CRAMP_COUNTS)), words.ticks, fontsize=MID)
    axes.set_ylabel(words.axis, fontsize=MID)
    axes.set_xticks(_ticks(n), list(dates), fontsize=MID)
    axes.tick_params(axis="both", length=6, width=1.2)
    axes.grid(axis="y", color="#bbbbbb", linewidth=1, zorder=1)
    axes.set_axisbelow(True)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    if words.title:  # the report prints its own heading above the picture
        figure.suptitle(words.title, fontsize=BIG, fontweight="bold", x=0.5, y=0.975)

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
        fontsize=MID, frameon=False, handlelength=1.4, columnspacing=1.5,
    )  # fmt: skip
    if words.factor:
        # A row of its own: a factor's label can be as long as a whole legend column.
        shading = Patch(facecolor=ORANGE, alpha=0.35, hatch="//", edgecolor="#8a5a00")
        figure.legend(
            handles=[shading], labels=[words.factor], loc="upper left",
            bbox_to_anchor=(0.02, 0.115), fontsize=MID, frameon=False, handlelength=1.4,
        )  # fmt: skip
    figure.text(0.98, 0.015, words.gap, ha="right", va="bottom", fontsize=MID * 0.8, color=GREY)
    return figure, axes


def _box(left: float, right: float, top: float) -> list[tuple[float, float]]:
    return [(left, 0), (left, top), (right, top), (right, 0)]


def _nights(axes: Any, marks: Sequence[NightMark], factor: str | None) -> list[Any]:
    """Draws the nights into `axes`; returns the artists added, lowest first."""
    from matplotlib.collections import PolyCollection

    added: list[Any] = []
    n = len(marks)
    xs = list(range(n))
    height = {count: i for i, count in enumerate(CRAMP_COUNTS)}

    # Collections, one artist per kind, added without touching the axes' limits (which are
    # fixed): thirty bars as thirty patches cost more than all the rest of the drawing.
    shaded = [
        x for x, m in zip(xs, marks, strict=True) if factor is not None and factor in m.factors
    ]
    if shaded:
        # Hatched as well as tinted, so the shading survives a grey-scale printout.
        spans = PolyCollection(
            [_box(x - 0.5, x + 0.5, 1) for x in shaded], transform=axes.get_xaxis_transform(),
            facecolor=ORANGE, alpha=0.35, hatch="//", edgecolor="#8a5a00", linewidth=0, zorder=0,
        )  # fmt: skip
        added.append(axes.add_collection(spans, autolim=False))

    recorded = [(x, m) for x, m in zip(xs, marks, strict=True) if m.recorded]
    with_cramps = [(x, m) for x, m in recorded if m.cramps > 0]
    width = 0.75 if n <= 40 else 0.85
    if with_cramps:
        bars = PolyCollection(
            [_box(x - width / 2, x + width / 2, height[m.cramps]) for x, m in with_cramps],
            facecolor=BLUE, edgecolor="black", linewidth=1.2 if n <= 40 else 0.6, zorder=2,
        )  # fmt: skip
        added.append(axes.add_collection(bars, autolim=False))
    marker_size = 15 if n <= 40 else 9
    quiet = [x for x, m in recorded if m.cramps == 0]
    added += axes.plot(
        quiet, [0.12] * len(quiet), linestyle="none", marker="o", markersize=marker_size * 0.7,
        markerfacecolor="white", markeredgecolor="black", markeredgewidth=1.5, zorder=3,
    )  # fmt: skip
    woke = [(x, height[m.cramps]) for x, m in with_cramps if m.woke]
    added += axes.plot(
        [x for x, _ in woke], [y + 0.3 for _, y in woke], linestyle="none", marker="v",
        markersize=marker_size, color="black", zorder=4,
    )  # fmt: skip
    long = [(x, height[m.cramps]) for x, m in with_cramps if m.long]
    offset = [0.3 + (0.45 if m.woke else 0) for _, m in with_cramps if m.long]
    added += axes.plot(
        [x for x, _ in long], [y + o for (_, y), o in zip(long, offset, strict=True)],
        linestyle="none", marker="*", markersize=marker_size * 1.5, color=VERMILION,
        markeredgecolor="black", markeredgewidth=1.0, zorder=5,
    )  # fmt: skip
    return added


class _Frame:
    """A chart's frame drawn once, dates included, and the pixels of it kept to stamp the
    nights onto. Everybody asking on the same day shares the same dates, and text is the
    dearest part of a drawing: five date labels cost half as much again as all the nights."""

    def __init__(self, n: int, words: ChartWords, dates: tuple[str, ...]) -> None:
        self.figure, self.axes = _frame(n, words, dates)
        self.figure.canvas.draw()
        self.blank = self.figure.canvas.copy_from_bbox(self.figure.bbox)

    def stamp(self, marks: Sequence[NightMark], factor: str | None) -> bytes:
        from PIL import Image

        canvas = self.figure.canvas
        canvas.restore_region(self.blank)
        added = _nights(self.axes, marks, factor)
        try:
            for artist in added:
                self.axes.draw_artist(artist)
        finally:
            for artist in added:
                artist.remove()
        width, height = canvas.get_width_height()
        pixels = canvas.buffer_rgba()
        # Read as RGBX (the JPEG encoder skips the fourth byte): no copy converted to RGB.
        image = Image.frombuffer("RGBX", (width, height), pixels, "raw", "RGBX", 0, 1)
        out = io.BytesIO()
        # No chroma subsampling: the thin coloured marks and the text keep sharp edges.
        image.save(out, format="jpeg", quality=JPEG_QUALITY, subsampling=0)
        return out.getvalue()


# A few MB of pixels each: the last four frames drawn, by length, wording and dates.
_kept_frame = functools.lru_cache(maxsize=4)(_Frame)
# The kept frames' canvases are drawn on: one photo at a time in a process.
_STAMPING = threading.Lock()
