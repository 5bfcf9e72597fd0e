"""Pure diary logic: warning signs in the diary, the /history strip and trend, /insights.

No I/O and no Telegram. Entries are anything with `.night` and `.answers` (storage's
`DiaryEntry` fits); texts come from any object with `.text(key, **values)` (content's
`Content` fits), so this module depends on neither.

A night is dated by its evening, as in storage: the check-in on the morning of 4 March is
about the night of 3 March.

The answers of one night (written by bot/checkin.py):
    cramps: int 0 | 1 | 2 (two or three) | 4 (four or more)
    longest: "lt1" | "1_5" | "5_10" | "gt10"      (only when cramps > 0)
    woke: bool                                     (only when cramps > 0)
    now: bool                                      (a cramp going on while answering)
    twitch: "none" | "one" | "many"
    factors: list of FACTORS ids;  factors_done: bool
    calf: bool  (one calf swollen, red or warm; asked after a cramp over 10 minutes)
    urine: bool  (dark or cola-coloured urine)     weak: bool  (new weakness or numbness)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from bot.content.model import LEVEL_RANKS

# --- vocabulary shared with bot/checkin.py and bot/export.py -----------------------------------

CRAMP_COUNTS: tuple[int, ...] = (0, 1, 2, 4)
LONGEST: tuple[str, ...] = ("lt1", "1_5", "5_10", "gt10")  # shortest first: the order matters
TWITCH: tuple[str, ...] = ("none", "one", "many")
FACTORS: tuple[str, ...] = ("caffeine", "alcohol", "exercise", "stress", "lowfluid", "newmed")
NO_FACTOR = "none"  # the exclusive "none of these" toggle; never counted as a factor

# The urgency ladder of the questionnaire, low to high: a diary warning speaks the same levels.
LEVELS: tuple[str, ...] = tuple(sorted(LEVEL_RANKS, key=LEVEL_RANKS.__getitem__))
# Every warning reason the diary can give, with its urgency (the PDF report names them too).
WARNING_LEVELS: Mapping[str, str] = {
    "dark_urine": "emergency",
    "cramp_now": "urgent",
    "calf_swollen": "urgent",
    "long_cramp": "see_doctor",
    "woken_often": "see_doctor",
    "twitch_many": "see_doctor",
    "frequent_cramps": "see_doctor",
    "long_twitching": "see_doctor",
    "weakness": "see_doctor",
    "new_medicine": "see_doctor",
}
ALWAYS_SHOWN_LEVELS = frozenset({"urgent", "emergency"})

HISTORY_NIGHTS = 30
FREQUENT_WINDOW = 14  # recorded nights looked at
FREQUENT_MIN_CRAMP_NIGHTS = 8
FREQUENT_MIN_RECORDED = 10
# Woken by cramps on most of the last 7 recorded nights: the questionnaire's "they wake me
# most nights", which leads to a doctor.
WOKEN_WINDOW = 7
WOKEN_MIN_NIGHTS = 4
# Twitching in several places, on more than one day in the last two weeks: the
# questionnaire's "twitches in many places".
TWITCH_MANY_WINDOW_DAYS = 14
TWITCH_MANY_MIN_DAYS = 2
TWITCH_MIN_DAYS = 10
# "More than two weeks": first and last twitch day 14 days apart span 15 calendar days.
TWITCH_MIN_SPAN_DAYS = 14
TWITCH_WINDOW_DAYS = 42  # only recent twitching counts; an episode months ago is over
WEAKNESS_WINDOW = 7
WEAKNESS_MIN_NIGHTS = 3
WEAKNESS_EVERY = timedelta(days=7)
REPEAT_EVERY = timedelta(days=7)
TREND_WINDOW = 7
TREND_MIN_CHANGE = 2  # one night more or less in a week is noise, not a trend
INSIGHT_MIN_NIGHTS = 3


class Texts(Protocol):
    """What this module needs from the content (bot.content.load.Content fits)."""

    def text(self, key: str, /, **values: Any) -> str:
        """The template as Telegram HTML, template and values escaped."""
        ...

    def raw_text(self, key: str, /) -> str:
        """The template as written: for button labels, which Telegram shows as plain text."""
        ...


class DiaryRecord(Protocol):
    @property
    def night(self) -> date: ...

    @property
    def answers(self) -> Mapping[str, Any]: ...


class Html(str):
    """A value that is already escaped HTML (a label from `texts`): `fill` puts it in as is."""

    __slots__ = ()


def fill(texts: Texts, key: str, /, **values: Any) -> str:
    """`texts.text(key, **values)`, except that `Html` values are not escaped a second time."""
    raw = {name: value for name, value in values.items() if isinstance(value, Html)}
    # NUL survives html.escape and never occurs in content, so it makes a safe placeholder
    marks = {name: f"\x00{i}\x00" for i, name in enumerate(raw)}
    out = texts.text(key, **{**values, **marks})
    for name, mark in marks.items():
        out = out.replace(mark, raw[name])
    return out


def label(texts: Texts, key: str, /, **values: Any) -> Html:
    return Html(texts.text(key, **values))


@dataclass(frozen=True)
class DiaryWarning:
    reason: str  # stable id: the same reason is not repeated within a week
    level: str  # one of LEVELS
    text: str  # HTML, escaped: the level's heading, then `body`
    body: str = ""  # HTML, escaped: the advice without the heading


# --- reading one night's answers ----------------------------------------------------------------


def cramp_count(answers: Mapping[str, Any]) -> int | None:
    value = answers.get("cramps")
    # bool is an int subclass; a stored True must not pass for "1 cramp"
    if isinstance(value, int) and not isinstance(value, bool) and value in CRAMP_COUNTS:
        return value
    return None


def had_cramps(answers: Mapping[str, Any]) -> bool:
    return (cramp_count(answers) or 0) > 0


def had_twitch(answers: Mapping[str, Any]) -> bool:
    return answers.get("twitch") in ("one", "many")


def factors_of(answers: Mapping[str, Any]) -> frozenset[str]:
    value = answers.get("factors")
    if not isinstance(value, list | tuple):
        return frozenset()
    return frozenset(f for f in value if f in FACTORS)


def longest_rank(answers: Mapping[str, Any]) -> int:
    """-1 when unknown, else the index in LONGEST."""
    value = answers.get("longest")
    return LONGEST.index(value) if value in LONGEST else -1


def is_bad_night(answers: Mapping[str, Any]) -> bool:
    return (cramp_count(answers) or 0) >= 4 or answers.get("longest") == "gt10"


def _upto(entries: Iterable[DiaryRecord], night: date) -> list[DiaryRecord]:
    """Entries up to and including `night`, oldest first, one per night (the last one wins)."""
    by_night = {e.night: e for e in entries if e.night <= night}
    return [by_night[n] for n in sorted(by_night)]


def _with_cramp_answer(entries: Iterable[DiaryRecord]) -> list[DiaryRecord]:
    return [e for e in entries if cramp_count(e.answers) is not None]


# --- warning signs ------------------------------------------------------------------------------


def _warning(texts: Texts, reason: str, key: str, **values: Any) -> DiaryWarning:
    level = WARNING_LEVELS[reason]
    heading = texts.text(f"diary.level.{level}")
    body = texts.text(key, **values)
    return DiaryWarning(reason=reason, level=level, text=f"<b>{heading}</b>\n{body}", body=body)


def immediate_warnings(answers: Mapping[str, Any], *, texts: Texts) -> list[DiaryWarning]:
    """The signs that need care now, from one night's answers alone (the check-in shows
    these even if the caller passed no warnings)."""
    found = []
    if answers.get("urine") is True:
        found.append(_warning(texts, "dark_urine", "diary.warn.dark_urine"))
    if answers.get("now") is True:
        found.append(_warning(texts, "cramp_now", "diary.warn.cramp_now"))
    if answers.get("calf") is True:
        found.append(_warning(texts, "calf_swollen", "diary.warn.calf"))
    return found


def warnings_for(
    entries: Iterable[DiaryRecord], night: date, *, texts: Texts
) -> list[DiaryWarning]:
    """Warning signs after the check-in for `night` (its entry must be among `entries`), the
    most serious first. Empty when nothing is flagged, which is the usual case."""
    history = _upto(entries, night)
    tonight = history[-1].answers if history and history[-1].night == night else {}
    found = immediate_warnings(tonight, texts=texts)
    # A cramp still going on is urgent (immediate_warnings); "see a doctor in the next days"
    # under it would only blur that.
    if tonight.get("longest") == "gt10" and had_cramps(tonight) and tonight.get("now") is not True:
        found.append(_warning(texts, "long_cramp", "diary.warn.long_cramp"))

    recorded = _with_cramp_answer(history)
    if len(recorded) >= FREQUENT_MIN_RECORDED:
        window = recorded[-FREQUENT_WINDOW:]
        cramp_nights = sum(had_cramps(e.answers) for e in window)
        if cramp_nights >= FREQUENT_MIN_CRAMP_NIGHTS:
            found.append(
                _warning(
                    texts,
                    "frequent_cramps",
                    "diary.warn.frequent",
                    cramp_nights=cramp_nights,
                    nights=len(window),
                )
            )

    woken = _woken_nights(recorded[-WOKEN_WINDOW:])
    if woken >= WOKEN_MIN_NIGHTS:
        found.append(
            _warning(
                texts,
                "woken_often",
                "diary.warn.woken",
                woken=woken,
                nights=len(recorded[-WOKEN_WINDOW:]),
            )
        )

    recent = night - timedelta(days=TWITCH_MANY_WINDOW_DAYS - 1)
    many_days = [
        e.night for e in history if e.night >= recent and e.answers.get("twitch") == "many"
    ]
    if len(many_days) >= TWITCH_MANY_MIN_DAYS:
        found.append(_warning(texts, "twitch_many", "diary.warn.twitch_many", days=len(many_days)))

    since = night - timedelta(days=TWITCH_WINDOW_DAYS - 1)
    twitch_days = [e.night for e in history if e.night >= since and had_twitch(e.answers)]
    if len(twitch_days) >= TWITCH_MIN_DAYS:
        first, last = twitch_days[0], twitch_days[-1]
        if (last - first).days >= TWITCH_MIN_SPAN_DAYS:
            found.append(
                _warning(
                    texts,
                    "long_twitching",
                    "diary.warn.twitch",
                    days=len(twitch_days),
                    first=short_date(first),
                    last=short_date(last),
                )
            )

    if tonight.get("weak") is True:
        found.append(_warning(texts, "weakness", "diary.warn.weakness"))
    if had_cramps(tonight) and "newmed" in factors_of(tonight):
        found.append(_warning(texts, "new_medicine", "diary.warn.new_medicine"))

    found.sort(key=lambda w: LEVELS.index(w.level), reverse=True)  # stable: rule order kept
    return found


def _woken_nights(entries: Sequence[DiaryRecord]) -> int:
    return sum(1 for e in entries if had_cramps(e.answers) and e.answers.get("woke") is True)


def filter_repeats(
    warnings: Iterable[DiaryWarning],
    last_sent: Mapping[str, datetime | None],
    now: datetime,
) -> list[DiaryWarning]:
    """Drop a warning whose reason was already shown less than a week ago. Emergency and
    urgent ones are about right now, so they are always shown."""
    kept = []
    for warning in warnings:
        sent = last_sent.get(warning.reason)
        if warning.level in ALWAYS_SHOWN_LEVELS or sent is None or now - sent >= REPEAT_EVERY:
            kept.append(warning)
    return kept


def should_ask_weakness(
    entries: Iterable[DiaryRecord], night: date, last_asked: date | None = None
) -> bool:
    """Ask about new weakness or numbness when cramps or twitches appear on 3 of the last 7
    entries (up to `night`, tonight's answers so far included), at most once a week.

    The last night that has a `weak` answer also counts as asked, so the caller need not keep
    track; asking again for the same night (a check-in still in progress) stays True.
    """
    history = _upto(entries, night)
    asked = [e.night for e in history if "weak" in e.answers and e.night != night]
    if last_asked is not None and last_asked != night:
        asked.append(last_asked)
    if asked and night - max(asked) < WEAKNESS_EVERY:
        return False
    # Entries are nights with an answer: a check-in sent but left unanswered, or skipped,
    # says nothing either way and must not push real cramp nights out of the window.
    answered = [e for e in history if e.night == night or cramp_count(e.answers) is not None]
    recent = answered[-WEAKNESS_WINDOW:]
    flagged = sum(had_cramps(e.answers) or had_twitch(e.answers) for e in recent)
    return flagged >= WEAKNESS_MIN_NIGHTS


# --- /history -----------------------------------------------------------------------------------

SYMBOL_NO_ENTRY = "·"
SYMBOL_NO_CRAMPS = "○"
SYMBOL_CRAMPS = "●"
SYMBOL_BAD = "◉"


def night_symbol(answers: Mapping[str, Any] | None) -> str:
    if answers is None or cramp_count(answers) is None:
        return SYMBOL_NO_ENTRY
    if is_bad_night(answers):
        return SYMBOL_BAD
    return SYMBOL_CRAMPS if had_cramps(answers) else SYMBOL_NO_CRAMPS


def short_date(day: date) -> str:
    return f"{day.day} {day:%b}"


def trend(entries: Iterable[DiaryRecord], upto: date) -> tuple[str, int, int, int]:
    """("better" | "worse" | "same" | "few", cramp nights in the last 7 recorded nights,
    in the 7 before, recorded nights so far)."""
    recorded = _with_cramp_answer(_upto(entries, upto))
    if len(recorded) < 2 * TREND_WINDOW:
        return "few", 0, 0, len(recorded)
    recent = sum(had_cramps(e.answers) for e in recorded[-TREND_WINDOW:])
    before = sum(had_cramps(e.answers) for e in recorded[-2 * TREND_WINDOW : -TREND_WINDOW])
    if recent <= before - TREND_MIN_CHANGE:
        direction = "better"
    elif recent >= before + TREND_MIN_CHANGE:
        direction = "worse"
    else:
        direction = "same"
    return direction, recent, before, len(recorded)


def history_view(entries: Iterable[DiaryRecord], today: date, *, texts: Texts) -> str:
    """HTML for /history: the 30 nights before `today` (the latest is last night) in rows of
    a week, oldest first, then a legend, counts and the trend."""
    entries = list(entries)
    last_night = today - timedelta(days=1)
    first_night = last_night - timedelta(days=HISTORY_NIGHTS - 1)
    shown = {e.night: e.answers for e in _upto(entries, last_night) if e.night >= first_night}
    recorded = {n: a for n, a in shown.items() if cramp_count(a) is not None}

    lines = [f"<b>{texts.text('history.title')}</b>"]
    if not recorded:
        lines.append(texts.text("history.empty"))
        return "\n".join(lines)

    # Rows end on last night, so the newest week is always complete and the short row is the
    # oldest one.
    nights = [first_night + timedelta(days=i) for i in range(HISTORY_NIGHTS)]
    first_row = HISTORY_NIGHTS % 7 or 7
    rows = [nights[:first_row]] + [nights[i : i + 7] for i in range(first_row, HISTORY_NIGHTS, 7)]
    for row in rows:
        strip = "".join(night_symbol(shown.get(n)) for n in row)
        dates = texts.text("history.row", start=short_date(row[0]), end=short_date(row[-1]))
        lines.append(f"<code>{strip}</code>  {dates}")
    lines.append(texts.text("history.legend"))
    lines.append("")

    answers = list(recorded.values())
    lines.append(texts.text("history.recorded", count=len(recorded)))
    lines.append(texts.text("history.cramp_nights", count=sum(map(had_cramps, answers))))
    longest = max((longest_rank(a) for a in answers if had_cramps(a)), default=-1)
    if longest >= 0:
        value = label(texts, f"checkin.longest.{LONGEST[longest]}")
        lines.append(fill(texts, "history.longest", value=value))
    else:
        lines.append(texts.text("history.longest.none"))
    woken = sum(1 for a in answers if had_cramps(a) and a.get("woke") is True)
    lines.append(texts.text("history.woken", count=woken))
    twitch_days = sum(1 for a in shown.values() if had_twitch(a))
    if twitch_days:
        lines.append(texts.text("history.twitch_days", count=twitch_days))

    direction, recent, before, count = trend(entries, last_night)
    if direction == "few":
        lines.append(texts.text("history.trend.few", count=count))
    else:
        lines.append(texts.text(f"history.trend.{direction}", recent=recent, before=before))
    return "\n".join(lines)


# --- /insights ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FactorCounts:
    factor: str
    with_nights: int
    with_cramps: int
    without_nights: int
    without_cramps: int

    @property
    def enough(self) -> bool:
        return min(self.with_nights, self.without_nights) >= INSIGHT_MIN_NIGHTS


def factor_counts(entries: Iterable[DiaryRecord]) -> list[FactorCounts]:
    """Per factor, cramp nights with and without it, over nights whose factors were answered."""
    nights = {
        e.night: e.answers
        for e in entries
        if cramp_count(e.answers) is not None and e.answers.get("factors_done") is True
    }
    counts = []
    for factor in FACTORS:
        with_f = [a for a in nights.values() if factor in factors_of(a)]
        without_f = [a for a in nights.values() if factor not in factors_of(a)]
        counts.append(
            FactorCounts(
                factor=factor,
                with_nights=len(with_f),
                with_cramps=sum(map(had_cramps, with_f)),
                without_nights=len(without_f),
                without_cramps=sum(map(had_cramps, without_f)),
            )
        )
    return counts


def insights_view(entries: Iterable[DiaryRecord], *, texts: Texts) -> str:
    """HTML for /insights: cautious counts per factor, never a cause."""
    counts = factor_counts(entries)
    lines = [f"<b>{texts.text('insights.title')}</b>"]
    if all(c.with_nights + c.without_nights == 0 for c in counts):
        lines.append(texts.text("insights.empty"))
        lines.append("")
        lines.append(f"<i>{texts.text('insights.chance')}</i>")
        return "\n".join(lines)
    # Factors with enough nights first: they are the answer the person came for.
    for c in sorted(counts, key=lambda c: not c.enough):
        if c.enough:
            lines.append(
                "• "
                + fill(
                    texts,
                    "insights.line",
                    with_cramps=c.with_cramps,
                    with_nights=c.with_nights,
                    after=label(texts, f"insights.after.{c.factor}"),
                    without_cramps=c.without_cramps,
                    without_nights=c.without_nights,
                )
            )
        else:
            more_with = max(0, INSIGHT_MIN_NIGHTS - c.with_nights)
            more_without = max(0, INSIGHT_MIN_NIGHTS - c.without_nights)
            variant = "both" if more_with and more_without else "with" if more_with else "without"
            lines.append(
                "• "
                + fill(
                    texts,
                    f"insights.waiting.{variant}",
                    factor=label(texts, f"checkin.factor.{c.factor}"),
                    more_with=more_with,
                    more_without=more_without,
                    with_nights=c.with_nights,
                    without_nights=c.without_nights,
                )
            )
    lines.append("")
    lines.append(f"<i>{texts.text('insights.chance')}</i>")
    return "\n".join(lines)
