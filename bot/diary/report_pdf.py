"""cramp-report.pdf: one page for the doctor, from the diary, the warnings and the last
questionnaire.

Pure and Telegram-free, in two steps: `report_blocks` turns what storage returned into plain
text blocks (every word from the content texts), `report_pdf` lays them out with the chart on
one A4 page whose text also fits a US Letter sheet (fpdf2, imported on first use). The page
is black on white and the chart tells its marks apart by shape, so a grey-scale printout
loses nothing. No name: the bot never asks for one, so the page has a line to write it on.
"""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any

from bot.content.model import Content
from bot.diary.chart import ChartWords, chart_nights, chart_png, count_nights
from bot.diary.rules import LONGEST, WARNING_LEVELS, DiaryRecord, Texts, had_twitch, longest_rank
from bot.questionnaire.logic import Result
from bot.storage import Assessment

REPORT_NIGHTS = 90  # a doctor looks at the last three months
MAX_WARNINGS = 8  # the newest; older ones are counted in one line
PRINT_DPI = 100  # 1080 px across some 12 cm: over 200 dots per inch on paper


HEADING = "heading"
LINE = "line"
BULLET = "bullet"
SMALL = "small"
CHART = "chart"


@dataclass(frozen=True)
class PageTexts:
    """The content's templates as written, which is all the page needs (it is plain text,
    not Telegram HTML); unlike the Content, this pickles, so a worker process can draw."""

    templates: Mapping[str, str]

    @classmethod
    def of(cls, content: Content) -> PageTexts:
        return cls(dict(content.texts))

    def raw_text(self, key: str, /) -> str:
        return self.templates[key]

    def text(self, key: str, /, **values: Any) -> str:
        return self.templates[key].format(**values)


@dataclass(frozen=True)
class Block:
    kind: str  # HEADING | LINE | BULLET | SMALL | CHART
    text: str = ""


@dataclass(frozen=True)
class Questionnaire:
    """The last finished questionnaire, already in words."""

    finished: date
    level: str  # the level's title
    causes: tuple[tuple[str, tuple[str, ...]], ...]  # (name, evidence lines)
    answers: tuple[str, ...]  # "Medicines: A water tablet (diuretic)"


@dataclass(frozen=True)
class Report:
    blocks: tuple[Block, ...]
    chart: bytes  # PNG, drawn for print
    counts: dict[str, int] = field(default_factory=dict)  # what the page says, for tests


def _day(day: date) -> str:
    return f"{day.day} {day:%b %Y}"


def report_blocks(
    texts: Texts,
    *,
    entries: Iterable[DiaryRecord],
    nudges: Sequence[Mapping[str, Any]],
    questionnaire: Questionnaire | None,
    today: date,
    zone: tzinfo,
) -> tuple[list[Block], int, dict[str, int]]:
    """The page's text, the number of nights its chart shows, and the counts it states."""
    entries = list(entries)
    last = today - timedelta(days=1)
    earliest = min((e.night for e in entries), default=last)
    first = max(earliest, last - timedelta(days=REPORT_NIGHTS - 1))
    days = (last - first).days + 1
    shown = [e for e in entries if first <= e.night <= last]
    marks = chart_nights(shown, last, days)
    counts = count_nights(marks)
    t = texts.raw_text

    blocks = [
        Block(HEADING, t("report.title")),
        Block(SMALL, t("report.made").format(date=_day(today))),
        Block(LINE, t("report.name")),
        Block(HEADING, t("report.section.nights")),
        Block(LINE, _period(t, "report.period", first, last, days)),
    ]
    numbers = {"recorded": counts.recorded, "cramp_nights": counts.cramp_nights}
    if counts.recorded == 0:
        blocks.append(Block(LINE, t("report.no_diary")))
    else:
        recorded = [m for m in marks if m.recorded]
        answers = {e.night: e.answers for e in shown}
        longest = max(
            (longest_rank(answers[m.night]) for m in recorded if m.cramps > 0), default=-1
        )
        twitch = sum(1 for m in recorded if had_twitch(answers[m.night]))
        numbers |= {"woken": counts.woken, "long": counts.long, "twitch": twitch}
        blocks += [
            Block(BULLET, t("report.recorded").format(count=counts.recorded, days=days)),
            Block(BULLET, t("report.cramp_nights").format(count=counts.cramp_nights)),
            Block(BULLET, t("report.woken").format(count=counts.woken)),
            Block(BULLET, t("report.long").format(count=counts.long)),
        ]
        if longest >= 0:
            value = t(f"checkin.longest.{LONGEST[longest]}")
            blocks.append(Block(BULLET, t("report.longest").format(value=value)))
        else:
            blocks.append(Block(BULLET, t("report.longest.none")))
        blocks.append(Block(BULLET, t("report.twitch").format(count=twitch)))
        # The chart's heading is page text made from the period line's own dates, and the
        # chart shows exactly those nights, so the two cannot disagree.
        blocks.append(Block(LINE, _period(t, "report.chart", first, last, days)))
        blocks.append(Block(CHART))

    blocks.append(Block(HEADING, t("report.section.warnings")))
    warnings = []
    for nudge in nudges:
        reason, sent = str(nudge.get("reason")), nudge.get("sent_at")
        level = WARNING_LEVELS.get(reason)
        if level is None or not isinstance(sent, datetime):
            continue
        shown_on = sent.astimezone(zone).date()
        if shown_on >= first:
            warnings.append((shown_on, level, reason))
    numbers["warnings"] = len(warnings)
    if not warnings:
        blocks.append(Block(LINE, t("report.warnings.none")))
    for shown_on, level, reason in warnings[-MAX_WARNINGS:]:
        line = t("report.warning").format(
            date=_day(shown_on),
            level=t(f"report.level.{level}"),
            what=t(f"report.reason.{reason}"),
        )
        blocks.append(Block(BULLET, line))
    if len(warnings) > MAX_WARNINGS:
        more = len(warnings) - MAX_WARNINGS
        blocks.append(Block(SMALL, t("report.warnings.earlier").format(count=more)))

    blocks.append(Block(HEADING, t("report.section.questionnaire")))
    if questionnaire is None:
        blocks.append(Block(LINE, t("report.questionnaire.none")))
    else:
        q = questionnaire
        blocks.append(
            Block(
                LINE, t("report.questionnaire.when").format(date=_day(q.finished), level=q.level)
            )
        )
        if q.causes:
            blocks.append(Block(LINE, t("report.causes")))
            for name, evidence in q.causes:
                because = "; ".join(evidence)
                key = "report.cause" if because else "report.cause.bare"
                blocks.append(Block(BULLET, t(key).format(name=name, evidence=because)))
        else:
            blocks.append(Block(LINE, t("report.causes.none")))
        if q.answers:
            blocks.append(Block(LINE, t("report.answers")))
            blocks.extend(Block(BULLET, answer) for answer in q.answers)

    blocks.append(Block(HEADING, t("report.section.about")))
    blocks.append(Block(SMALL, t("report.disclaimer")))
    return blocks, days, numbers


def _period(t: Callable[[str], str], key: str, first: date, last: date, days: int) -> str:
    """A line about the nights from `first` to `last`; a single night has words of its own
    (`<key>.one`), never "1 nights"."""
    if days == 1:
        return t(f"{key}.one").format(last=_day(last))
    return t(key).format(first=_day(first), last=_day(last), days=days)


def build_report(
    texts: Texts,
    *,
    entries: Iterable[DiaryRecord],
    nudges: Sequence[Mapping[str, Any]],
    questionnaire: Questionnaire | None,
    today: date,
    zone: tzinfo,
) -> Report:
    """Everything on the page, the chart drawn for print (slow: call it off the event loop)."""
    entries = list(entries)
    blocks, chart_days, numbers = report_blocks(
        texts, entries=entries, nudges=nudges, questionnaire=questionnaire, today=today, zone=zone
    )
    marks = chart_nights(entries, today - timedelta(days=1), chart_days)
    # No title in the picture: the line above it on the page says which nights it shows.
    words = dataclasses.replace(ChartWords.from_texts(texts, chart_days, None), title="")
    png = chart_png(marks, words, dpi=PRINT_DPI)
    return Report(tuple(blocks), png, numbers)


def make_report(
    texts: Texts,
    *,
    entries: Iterable[DiaryRecord],
    nudges: Sequence[Mapping[str, Any]],
    questionnaire: Questionnaire | None,
    today: date,
    zone: tzinfo,
) -> bytes:
    """The PDF's bytes, start to end (slow: call it off the event loop)."""
    report = build_report(
        texts, entries=entries, nudges=nudges, questionnaire=questionnaire, today=today, zone=zone
    )
    return report_pdf(report)


# --- the page -------------------------------------------------------------------------------

# A4 is 210 x 297 mm, US Letter 215.9 x 279.4 mm: the text stays inside both.
PAGE_WIDTH = 210
MARGIN = 14
TOP = 12
LAST_LINE = 266  # mm from the top; Letter paper ends at 279.4
# (body size in pt, chart width in mm), tried in turn until everything fits on one page
SIZES: tuple[tuple[float, float], ...] = ((10, 130), (9.5, 118), (9, 105), (8, 95), (7, 85))


def report_pdf(report: Report) -> bytes:
    """One page, whatever the content: smaller type and chart until it fits, then the last
    lines are left out (a long questionnaire's answers run last, and the CSV has them all)."""
    from PIL import Image

    with Image.open(io.BytesIO(report.chart)) as drawn:
        # RGB, not matplotlib's RGBA: no transparency mask for the PDF to carry and decode.
        chart = drawn.convert("RGB")
    chart_ratio = chart.height / chart.width
    pdf = _new_pdf()
    try:
        blocks = list(report.blocks)
        size, chart_mm = SIZES[0]
        # Measured first, drawn once.
        for size, chart_mm in SIZES:
            if _fits(pdf, blocks, size, chart_mm * chart_ratio):
                break
        else:
            while len(blocks) > 3 and not _fits(pdf, blocks, size, chart_mm * chart_ratio):
                del blocks[-3]  # the disclaimer (the last two blocks) always stays
        _write(pdf, blocks, size, chart_mm, chart)
        return bytes(pdf.output())
    finally:
        # fpdf2 opens each font file lazily and leaves it open until the font is closed.
        for font in pdf.fonts.values():
            close = getattr(font, "close", None)
            if close is not None:
                close()


def _fits(pdf: Any, blocks: list[Block], size: float, chart_height: float) -> bool:
    """Whether the blocks fit the page, measured with fpdf2's dry runs (nothing is drawn)."""
    width = PAGE_WIDTH - 2 * MARGIN
    line = size * 0.45
    total = 0.0
    for index, block in enumerate(blocks):
        if block.kind == HEADING:
            heading = size * (1.6 if index == 0 else 1.2)
            pdf.set_font("DejaVu", "B", heading)
            total += (line * 0.5 if index else 0) + line * 0.2
            total += _height(pdf, width, heading * 0.5, block.text)
        elif block.kind == CHART:
            total += line * 0.3 + chart_height
        elif block.kind == BULLET:
            pdf.set_font("DejaVu", "", size)
            total += _height(pdf, width - 4, line, f"•  {block.text}")
        else:
            pdf.set_font("DejaVu", "", size * (0.85 if block.kind == SMALL else 1))
            total += _height(pdf, width, line, block.text)
    return TOP + total <= LAST_LINE


def _height(pdf: Any, width: float, line: float, text: str) -> float:
    return float(pdf.multi_cell(width, line, text, dry_run=True, output="HEIGHT"))


def _fonts() -> tuple[Path, Path]:
    # DejaVu Sans comes with matplotlib (the chart uses it too): wide Unicode coverage, so
    # any language's texts print, and no font file of our own to ship.
    from matplotlib import get_data_path

    folder = Path(get_data_path()) / "fonts" / "ttf"
    return folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"


def _new_pdf() -> Any:
    from fpdf import FPDF

    regular, bold = _fonts()
    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    pdf.set_creator("cramp-bot")
    pdf.set_margins(MARGIN, TOP, MARGIN)
    pdf.set_auto_page_break(True, margin=297 - LAST_LINE)
    pdf.add_font("DejaVu", "", str(regular))
    pdf.add_font("DejaVu", "B", str(bold))
    pdf.add_page()
    return pdf


def _write(
    pdf: Any,
    blocks: Sequence[Block],
    size: float,
    chart_mm: float,
    chart: Any,
    *,
    chart_height: float = 0,
) -> None:
    """Every block from the top of the page; without `chart`, only its room is taken."""
    width = PAGE_WIDTH - 2 * MARGIN
    line = size * 0.45  # mm per line at this type size
    for index, block in enumerate(blocks):
        if block.kind == HEADING:
            heading = size * (1.6 if index == 0 else 1.2)
            if index:
                pdf.ln(line * 0.5)
            pdf.set_font("DejaVu", "B", heading)
            pdf.multi_cell(width, heading * 0.5, block.text, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(line * 0.2)
        elif block.kind == CHART:
            pdf.ln(line * 0.3)
            if chart is None:
                pdf.ln(chart_height)
            else:
                pdf.image(chart, x=MARGIN + (width - chart_mm) / 2, w=chart_mm)
        elif block.kind == BULLET:
            pdf.set_font("DejaVu", "", size)
            pdf.set_x(MARGIN + 4)
            pdf.multi_cell(width - 4, line, f"•  {block.text}", new_x="LMARGIN", new_y="NEXT")
        else:
            pdf.set_font("DejaVu", "", size * (0.85 if block.kind == SMALL else 1))
            pdf.multi_cell(width, line, block.text, new_x="LMARGIN", new_y="NEXT")


# --- the last questionnaire, in words -------------------------------------------------------


def last_questionnaire(
    content: Content,
    assessments: Sequence[Assessment],
    answers: Sequence[Mapping[str, Any]],
    zone: tzinfo,
) -> Questionnaire | None:
    """The newest finished questionnaire: its level, the causes it showed with what pointed to
    each, and every answer behind it (medicines included), in the questionnaire's order."""
    finished = [a for a in assessments if a.finished_at is not None and a.result is not None]
    if not finished:
        return None
    last = max(finished, key=lambda a: (a.finished_at, a.id))
    assert last.finished_at is not None and last.result is not None
    result = Result.from_json(content, last.result)
    given = {
        str(row["question_id"]): [str(v) for v in row["value"]]
        for row in answers
        if row.get("assessment_id") == last.id
    }
    lines = []
    for question in content.questions:
        labels = [
            option.label
            for oid in given.get(question.id, ())
            if (option := question.option(oid)) is not None
        ]
        if labels:
            lines.append(f"{question.short}: {', '.join(labels)}")
    return Questionnaire(
        finished=last.finished_at.astimezone(zone).date(),
        level=result.level.title,
        causes=tuple((m.cause.name, m.evidence) for m in result.causes),
        answers=tuple(lines),
    )
