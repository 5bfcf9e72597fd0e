"""The text-key registry: every text the code shows, where it is shown and what it is given.

What lives here: TextSpec and TEXTS (declared once, so a missing or misspelt text stops the bot
at start), plus the checks of the `texts:` mappings against it (placeholders, Telegram's limits
as sent). It may import the content model, the YAML reader and the features' vocabularies (the
diary steps and factors, the time-zone regions), never a renderer or Telegram.
"""

from __future__ import annotations

import difflib
import html
import re
import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from bot.content.model import DIARY_FILE, SELF_CARE, TEXT_FILE
from bot.content.reader import Problems, Reader
from bot.diary.checkin import STEPS, TOGGLES
from bot.diary.rules import CRAMP_COUNTS, FACTORS, LEVELS, LONGEST, TWITCH, WARNING_LEVELS
from bot.diary.timezones import REGIONS
from bot.ui import (
    COMMANDS,
    MAX_BUTTON,
    MAX_CALLBACK_ANSWER,
    MAX_CAPTION,
    MAX_COMMAND_DESCRIPTION,
    MAX_MESSAGE,
)

MAX_PICTURE_LABEL = 40  # at the chart's type size, a legend row of this fits 1080 px
MAX_REPORT_LINE = 600
CHART_LEGEND = ("cramps", "woke", "long", "none", "gap")

TEXT_KEY_RE = re.compile(r"^[a-z0-9_]+(\.[a-z0-9_]+)*$")

# How a text reaches Telegram decides its limit and how it is counted: messages go out as HTML
# (escaped), everything else as plain text, exactly as written.
MESSAGE = "message"
BUTTON = "button"
POPUP = "popup"  # a callback-query answer (toast or alert)
COMMAND = "command"  # a command description in the menu (setMyCommands)
CAPTION = "caption"  # a file's or a photo's caption
PICTURE = "picture"  # drawn in the /history chart: short, or it runs out of the picture
REPORT = "report"  # a line of the PDF report: plain text, wrapped on the page

_LIMITS = {
    MESSAGE: (MAX_MESSAGE, "a message"),
    BUTTON: (MAX_BUTTON, "a button label"),
    POPUP: (MAX_CALLBACK_ANSWER, "a button answer"),
    COMMAND: (MAX_COMMAND_DESCRIPTION, "a command description"),
    CAPTION: (MAX_CAPTION, "a file caption"),
    PICTURE: (MAX_PICTURE_LABEL, "a label in the chart"),
    REPORT: (MAX_REPORT_LINE, "a line of the PDF report"),
}


@dataclass(frozen=True)
class TextSpec:
    """What the code does with one text key: where it is shown, which names it is given."""

    file: str
    shown_as: str = MESSAGE
    placeholders: frozenset[str] = frozenset()
    # The placeholders are filled with the texts under this key prefix (e.g. a tick box around
    # a factor's label), so the longest of those counts against the limit.
    filled_from: str = ""


def _texts(file: str, shown_as: str, *keys: str, given: Iterable[str] = ()) -> dict[str, TextSpec]:
    return {key: TextSpec(file, shown_as, frozenset(given)) for key in keys}


def _general() -> dict[str, TextSpec]:
    f = TEXT_FILE
    return {
        **_texts(
            f,
            MESSAGE,
            "start.welcome",
            "start.resume",
            "start.restarted",
            "start.moved",
            "start.abandoned",
        ),
        **_texts(f, BUTTON, "start.agree_button", "start.continue_button", "start.restart_button"),
        **_texts(f, MESSAGE, "help.text"),
        **_texts(f, MESSAGE, "privacy.text", given=("days",)),
        **_texts(
            f,
            MESSAGE,
            "delete.confirm",
            "delete.done",
            "delete.cancelled",
            "delete.expired",
            "delete.nothing",
        ),
        **_texts(f, BUTTON, "delete.yes_button", "delete.no_button"),
        **_texts(f, MESSAGE, "group.private_only", "error.generic", "stale.updated"),
        **_texts(f, MESSAGE, "error.busy"),
        **_texts(f, POPUP, "error.busy_short"),
        **_texts(
            f,
            MESSAGE,
            "hint.use_buttons",
            "hint.cramp_now",
            "hint.checkin_buttons",
            "hint.unknown_command",
            "hint.no_questionnaire",
            "hint.type_time",
            "hint.type_zone",
            "hint.edited",
        ),
        **_texts(
            f,
            POPUP,
            "start.consent_first",
            "group.private_only_short",
            "stale.button",
            "stale.button_only",
            "stale.not_yours",
            "stale.nothing_open",
            "q.pick_one",
            "q.pick_some",
        ),
        **_texts(f, BUTTON, "stale.updated_button", "q.back", "q.done"),
        **_texts(f, COMMAND, *(f"commands.{name}" for name in COMMANDS)),
        **_texts(f, MESSAGE, "q.progress", given=("n", "m")),
        **_texts(f, MESSAGE, "q.multi_hint", "q.multi_hint_none"),
        **_texts(f, MESSAGE, "q.clear_ticks", given=("ticked", "label")),
        **_texts(f, BUTTON, "q.clear_yes", "q.clear_no"),
        **_texts(
            f,
            MESSAGE,
            "result.do.see_doctor",
            "result.do.self_care",
            "result.causes_heading",
            "result.more",
            "result.tips_heading",
            "result.no_cause",
            "result.no_cause_twitch",
            "result.no_cause_flagged",
            "result.safety_net",
            "result.not_diagnosis",
        ),
        **_texts(f, MESSAGE, "result.cause_title", given=("n", "name")),
        **_texts(f, MESSAGE, "result.cause_line", given=("n", "name", "items")),
        **_texts(f, MESSAGE, "result.evidence", given=("items",)),
        **_texts(f, MESSAGE, "result.headline", given=("title",)),
        **_texts(
            f,
            MESSAGE,
            "result.because",
            "result.stopped_because",
            "result.also_tell",
            given=("reasons",),
        ),
        **_texts(f, BUTTON, "result.cause_button", given=("n", "name")),
        **_texts(
            f,
            BUTTON,
            "result.restart_button",
            "result.reminders_button",
            "result.back_button",
            "result.notes_button",
            "result.undo_button",
        ),
        **_texts(f, POPUP, "result.undone", "result.undo_stale"),
    }


def _diary() -> dict[str, TextSpec]:
    # The families of keys follow the code's own tuples, so a new step, factor or region
    # needs its text before the bot starts.
    f = DIARY_FILE
    counted = ("count",)
    return {
        # --- the morning check-in
        **_texts(f, MESSAGE, "checkin.header", "checkin.thanks", given=("night",)),
        **_texts(f, MESSAGE, "checkin.now_done", given=("night",)),
        **_texts(f, MESSAGE, "checkin.progress", given=("step", "total")),
        **_texts(f, MESSAGE, *(f"checkin.ask.{step}" for step in STEPS)),
        # Answer labels are buttons first; the summary shows them in a message too.
        **_texts(f, BUTTON, *(f"checkin.cramps.{n}" for n in CRAMP_COUNTS)),
        **_texts(f, BUTTON, *(f"checkin.longest.{v}" for v in LONGEST)),
        **_texts(f, BUTTON, *(f"checkin.twitch.{v}" for v in TWITCH)),
        **_texts(f, BUTTON, *(f"checkin.factor.{v}" for v in TOGGLES)),
        **{
            key: TextSpec(f, BUTTON, frozenset({"label"}), filled_from="checkin.factor.")
            for key in ("checkin.ticked", "checkin.unticked")
        },
        **_texts(
            f,
            BUTTON,
            "checkin.yes",
            "checkin.no",
            "checkin.done",
            "checkin.back",
            "checkin.now.button",
            "checkin.snooze",
            "checkin.skip",
        ),
        **_texts(
            f,
            MESSAGE,
            "checkin.now.advice",
            "checkin.now.later",
            "checkin.summary.nofactors",
            "checkin.calm.quiet",
            "checkin.calm.cramps",
            "checkin.skipped",
            "checkin.snooze_unavailable",
            "checkin.moved",
        ),
        **_texts(
            f,
            MESSAGE,
            *(f"checkin.summary.{item}" for item in ("cramps", "longest", "woke", "twitch")),
            "checkin.summary.factors",
            given=("value",),
        ),
        **_texts(f, MESSAGE, "checkin.snoozed_until", given=("time",)),
        **_texts(f, MESSAGE, "checkin.calm.held", given=("date",)),
        **_texts(f, POPUP, "checkin.stale", "checkin.too_old"),
        # --- warning signs found in the diary (self_care never gets a warning)
        **_texts(f, MESSAGE, *(f"diary.level.{lv}" for lv in LEVELS if lv != SELF_CARE)),
        **_texts(
            f,
            MESSAGE,
            "diary.warn.dark_urine",
            "diary.warn.calf",
            "diary.warn.cramp_now",
            "diary.warn.long_cramp",
            "diary.warn.weakness",
            "diary.warn.new_medicine",
        ),
        **_texts(f, MESSAGE, "diary.warn.frequent", given=("cramp_nights", "nights")),
        **_texts(f, MESSAGE, "diary.warn.woken", given=("woken", "nights")),
        **_texts(f, MESSAGE, "diary.warn.twitch_many", given=("days",)),
        **_texts(f, MESSAGE, "diary.warn.twitch", given=("days", "first", "last")),
        # --- /history
        **_texts(f, MESSAGE, "history.title", "history.legend", "history.empty"),
        **_texts(f, MESSAGE, "history.longest.none"),
        **_texts(f, MESSAGE, "history.row", given=("start", "end")),
        **_texts(
            f,
            MESSAGE,
            "history.recorded",
            "history.cramp_nights",
            "history.woken",
            "history.twitch_days",
            "history.trend.few",
            given=counted,
        ),
        **_texts(f, MESSAGE, "history.longest", given=("value",)),
        **_texts(
            f,
            MESSAGE,
            *(f"history.trend.{way}" for way in ("better", "worse", "same")),
            given=("recent", "before"),
        ),
        # --- /history: the chart
        **_texts(f, PICTURE, "chart.axis", *(f"chart.legend.{k}" for k in CHART_LEGEND)),
        **_texts(f, PICTURE, "chart.title", given=("days",)),
        "chart.legend.factor": TextSpec(
            f, PICTURE, frozenset({"factor"}), filled_from="checkin.factor."
        ),
        **_texts(f, CAPTION, "chart.caption", given=("cramp_nights", "days", "woken")),
        **_texts(f, CAPTION, "chart.caption.recorded", given=("recorded",)),
        **_texts(f, CAPTION, "chart.caption.long", given=("count",)),
        **_texts(f, CAPTION, "chart.caption.factor", given=("factor", "count")),
        **_texts(f, BUTTON, "chart.button.days", given=("days",)),
        "chart.button.shaded": TextSpec(
            f, BUTTON, frozenset({"label"}), filled_from="checkin.factor."
        ),
        **_texts(f, MESSAGE, "chart.later", given=("more", "needed")),
        **_texts(f, MESSAGE, "chart.later.date", given=("date",)),
        **_texts(f, MESSAGE, "chart.later.reminders"),
        **_texts(f, POPUP, "chart.stale"),
        # --- /export: the PDF report for the doctor
        **_texts(f, CAPTION, "export.caption.report"),
        **_texts(
            f,
            REPORT,
            "report.title",
            "report.name",
            "report.section.nights",
            "report.no_diary",
            "report.longest.none",
            "report.section.warnings",
            "report.warnings.none",
            "report.section.questionnaire",
            "report.questionnaire.none",
            "report.causes",
            "report.causes.none",
            "report.answers",
            "report.section.about",
            "report.disclaimer",
            *(f"report.level.{level}" for level in LEVELS),
            *(f"report.reason.{reason}" for reason in WARNING_LEVELS),
        ),
        **_texts(f, REPORT, "report.made", given=("date",)),
        **_texts(f, REPORT, "report.period", given=("first", "last", "days")),
        **_texts(f, REPORT, "report.period.one", "report.chart.one", given=("last",)),
        **_texts(f, REPORT, "report.chart", given=("first", "last")),
        **_texts(f, REPORT, "report.recorded", given=("count", "days")),
        **_texts(
            f,
            REPORT,
            "report.cramp_nights",
            "report.woken",
            "report.long",
            "report.twitch",
            "report.warnings.earlier",
            given=("count",),
        ),
        **_texts(f, REPORT, "report.longest", given=("value",)),
        **_texts(f, REPORT, "report.warning", given=("date", "level", "what")),
        **_texts(f, REPORT, "report.questionnaire.when", given=("date", "level")),
        **_texts(f, REPORT, "report.cause", given=("name", "evidence")),
        **_texts(f, REPORT, "report.cause.bare", given=("name",)),
        # --- /insights
        **_texts(f, MESSAGE, "insights.title", "insights.empty", "insights.chance"),
        **_texts(
            f,
            MESSAGE,
            "insights.line",
            given=("with_cramps", "with_nights", "after", "without_cramps", "without_nights"),
        ),
        **_texts(f, MESSAGE, "insights.waiting", given=("factors", "nights")),
        **_texts(f, MESSAGE, *(f"insights.after.{factor}" for factor in FACTORS)),
        # --- /reminders
        **_texts(f, BUTTON, *(f"reminders.region.{region}" for region in REGIONS)),
        **_texts(f, MESSAGE, "reminders.zone.suggest", "reminders.zone.none_close"),
        **_texts(f, MESSAGE, "reminders.zone.unknown", "reminders.bad_time", given=("text",)),
        **_texts(
            f,
            MESSAGE,
            "reminders.title",
            "reminders.about",
            "reminders.status.off",
            "reminders.ask_time",
            "reminders.type_time",
            "reminders.type_zone",
            "reminders.confirm_note",
            "reminders.off_done",
        ),
        **_texts(
            f, MESSAGE, "reminders.status.on", "reminders.status.off_kept", given=("time", "zone")
        ),
        **_texts(f, MESSAGE, "reminders.status.next", "reminders.status.paused", given=("when",)),
        **_texts(
            f,
            BUTTON,
            "reminders.change_time_button",
            "reminders.change_zone_button",
            "reminders.pause3_button",
            "reminders.pause7_button",
            "reminders.off_button",
            "reminders.on_button",
            "reminders.resume_button",
            "reminders.type_time_button",
            "reminders.regions_button",
            "reminders.type_zone_button",
        ),
        **_texts(f, BUTTON, "reminders.keep_zone_button", given=("zone",)),
        **_texts(f, MESSAGE, "reminders.ask_zone", "reminders.pick_city", given=("time",)),
        **_texts(f, MESSAGE, "reminders.confirm", given=("time", "zone", "when")),
        **_texts(f, MESSAGE, "reminders.confirm_paused", given=("time", "zone", "when")),
        **_texts(f, MESSAGE, "reminders.paused_done", given=("days", "when")),
        **_texts(f, MESSAGE, "reminders.zone.got_time", given=("time",)),
        **_texts(f, MESSAGE, "reminders.not_morning"),
        # Every "when" text is formatted with both names, whichever it uses.
        **_texts(
            f,
            MESSAGE,
            *(f"reminders.when.{day}" for day in ("today", "tomorrow", "later")),
            given=("date", "time"),
        ),
        # --- /export
        **_texts(f, CAPTION, "export.caption.csv", "export.caption.everything"),
        **_texts(f, MESSAGE, "export.nothing", "export.no_diary", "export.no_answered_nights"),
        **_texts(
            f,
            MESSAGE,
            *(f"reminders.zone.why.{why}" for why in ("abbreviation", "offset", "country")),
            given=("text",),
        ),
    }


# Every text key the code asks for, with where it is shown and the values it is given. All are
# required, so a missing or misspelt text stops the bot at start, not in front of a person.
# tests/unit/content/test_content.py scans the source for text keys to keep this table complete.
TEXTS: Mapping[str, TextSpec] = MappingProxyType({**_general(), **_diary()})


# --------------------------------------------------------------------------------------------
# Texts


def _template_fields(template: str) -> set[str] | str:
    """The placeholder names in a template, or a message when it is malformed."""
    names: set[str] = set()
    try:
        for _, name, spec, conversion in string.Formatter().parse(template):
            if name is None:
                continue
            if not name or not name.isidentifier():
                return f"placeholder {{{name}}} must be a name like {{count}}"
            if spec or conversion:
                return f"placeholder {{{name}}} must be plain, without ':' or '!'"
            names.add(name)
    except ValueError as error:
        return f"broken braces ({error}); write {{{{ or }}}} for a literal brace"
    return names


def parse_texts(
    files: list[tuple[str, Any]], problems: Problems
) -> tuple[dict[str, str], dict[str, str]]:
    """Merge the `texts:` mapping of every file; returns texts and the file of each key."""
    texts: dict[str, str] = {}
    origin: dict[str, str] = {}
    for file, data in files:
        r = Reader(file, problems)
        mapping = data.get("texts")
        if not isinstance(mapping, dict):
            r.error("texts", "must be a mapping of key: text")
            continue
        for key, value in mapping.items():
            where = f"texts.{key}"
            if not isinstance(key, str) or not TEXT_KEY_RE.match(key):
                r.error(where, "bad text key: use lower-case words joined by dots")
                continue
            if key in texts:
                r.error(where, f"duplicate text key, already in {origin[key]}")
                continue
            if not isinstance(value, str) or not value.strip():
                r.error(where, "must be non-empty text")
                continue
            texts[key] = value.strip()
            origin[key] = file
    return texts, origin


def check_texts(
    texts: dict[str, str],
    origin: dict[str, str],
    problems: Problems,
    names: dict[str, str],
    present: set[str],
) -> None:
    missing: dict[str, list[str]] = {}
    for key, spec in TEXTS.items():
        if key not in texts:
            missing.setdefault(names[spec.file], []).append(key)
    for file, keys in missing.items():
        if file not in present:
            # One line for a whole missing file, not one per text it should hold.
            problems.add(file, "", f"file is missing (it holds {len(keys)} texts the bot needs)")
            continue
        for key in keys:
            problems.add(file, "texts", f"missing text '{key}'")
    for key, template in texts.items():
        r = Reader(origin[key], problems)
        where = f"texts.{key}"
        fields = _template_fields(template)
        if isinstance(fields, str):
            r.error(where, fields)
            continue
        known = TEXTS.get(key)
        if known is None:
            close = difflib.get_close_matches(key, TEXTS, n=1, cutoff=0)
            problems.warn(
                origin[key],
                where,
                f"unknown text key, never used by the bot; the closest known key is '{close[0]}'",
            )
            # Unknown to the code, so all that can be checked is that it fits a message.
            known = TextSpec(TEXT_FILE, MESSAGE, frozenset(fields))
        spec = known
        unknown = sorted(fields - spec.placeholders)
        for name in unknown:
            given = ", ".join(f"{{{n}}}" for n in sorted(spec.placeholders)) or "none"
            r.error(where, f"unknown placeholder {{{name}}} (this text is given: {given})")
        if unknown:
            continue
        fillings = [("", "9" * 12)]
        if spec.filled_from:
            fillings = [
                (f" with '{other}' filled in", text)
                for other, text in texts.items()
                if other.startswith(spec.filled_from)
            ] or fillings
        length, with_what = max(
            (len(_as_sent(template, spec.shown_as, dict.fromkeys(fields, value))), note)
            for note, value in fillings
        )
        limit, what = _LIMITS[spec.shown_as]
        if length > limit:
            r.error(where, f"{length} characters{with_what}, over the {limit} allowed for {what}")


def _as_sent(template: str, shown_as: str, values: dict[str, str]) -> str:
    """The text as Telegram gets it: only messages are HTML, so only they are escaped."""
    if shown_as == MESSAGE:
        escaped = {name: html.escape(value, quote=False) for name, value in values.items()}
        return html.escape(template, quote=False).format(**escaped)
    return template.format(**values)
