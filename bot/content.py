"""Load content/*.yaml once, validate all of it, and hand out frozen dataclasses.

Nothing else in the bot reads YAML. A broken file never produces a traceback: every problem is
collected and reported as one line, `content/<file>.yaml: <key.path[3]>: <what is wrong>`, in a
single ContentError, so an author fixes them all in one go.
"""

from __future__ import annotations

import contextlib
import difflib
import hashlib
import html
import itertools
import os
import re
import string
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:
    from bot.assessment import Result

from bot import conditions as cond
from bot.checkin import STEPS, TOGGLES
from bot.conditions import Condition, ConditionSyntaxError, parse_condition
from bot.diary import CRAMP_COUNTS, FACTORS, LEVELS, LONGEST, TWITCH
from bot.timezones import REGIONS

ID_RE = re.compile(r"^[a-z0-9_]{1,16}$")
TEXT_KEY_RE = re.compile(r"^[a-z0-9_]+(\.[a-z0-9_]+)*$")

MAX_MESSAGE = 4096
MAX_CALLBACK_ANSWER = 200
MAX_CALLBACK_DATA = 64
MAX_BUTTON = 64
MAX_COMMAND_DESCRIPTION = 256
# The widest assessment id the storage can hand out in practice (SQLite rowid as decimal).
WIDEST_ASSESSMENT_ID = 9_999_999_999

LEVEL_RANKS = {"emergency": 3, "urgent": 2, "see_doctor": 1, "self_care": 0}
SELF_CARE = "self_care"

COMMANDS = (
    "start",
    "check",
    "help",
    "privacy",
    "delete",
    "reminders",
    "checkin",
    "history",
    "insights",
    "export",
)

MAX_CAPTION = 1024

QUESTION_FILE = "questions.yaml"
CAUSE_FILE = "causes.yaml"
TRIAGE_FILE = "triage.yaml"
TEXT_FILE = "texts.yaml"
DIARY_FILE = "diary.yaml"

# How a text reaches Telegram decides its limit and how it is counted: messages go out as HTML
# (escaped), everything else as plain text, exactly as written.
MESSAGE = "message"
BUTTON = "button"
POPUP = "popup"  # a callback-query answer (toast or alert)
COMMAND = "command"  # a command description in the menu (setMyCommands)
CAPTION = "caption"  # a file's caption

_LIMITS = {
    MESSAGE: (MAX_MESSAGE, "a message"),
    BUTTON: (MAX_BUTTON, "a button label"),
    POPUP: (MAX_CALLBACK_ANSWER, "a button answer"),
    COMMAND: (MAX_COMMAND_DESCRIPTION, "a command description"),
    CAPTION: (MAX_CAPTION, "a file caption"),
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
            "stale.not_yours",
            "stale.nothing_open",
            "q.pick_one",
            "q.pick_some",
            "q.exclusive_swapped",
        ),
        **_texts(f, BUTTON, "stale.updated_button", "q.back", "q.done"),
        **_texts(f, COMMAND, *(f"commands.{name}" for name in COMMANDS)),
        **_texts(f, MESSAGE, "q.progress", given=("n", "m")),
        **_texts(f, MESSAGE, "q.multi_hint"),
        **_texts(
            f,
            MESSAGE,
            "result.title",
            "result.causes_heading",
            "result.causes_intro",
            "result.tips_heading",
            "result.no_cause",
            "result.no_cause_flagged",
            "result.calm",
            "result.safety_net",
            "result.not_diagnosis",
        ),
        **_texts(f, MESSAGE, "result.cause_title", given=("n", "name")),
        **_texts(f, MESSAGE, "result.evidence", given=("items",)),
        **_texts(f, MESSAGE, "result.level_heading", "result.in_short", given=("title",)),
        **_texts(f, MESSAGE, "result.because", "result.stopped_because", given=("reasons",)),
        **_texts(f, BUTTON, "result.restart_button", "result.reminders_button"),
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
            "diary.warn.cramp_now",
            "diary.warn.long_cramp",
            "diary.warn.weakness",
            "diary.warn.new_medicine",
        ),
        **_texts(f, MESSAGE, "diary.warn.frequent", given=("cramp_nights", "nights")),
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
        # --- /insights
        **_texts(f, MESSAGE, "insights.title", "insights.empty", "insights.chance"),
        **_texts(
            f,
            MESSAGE,
            "insights.line",
            given=("with_cramps", "with_nights", "after", "without_cramps", "without_nights"),
        ),
        **_texts(
            f,
            MESSAGE,
            *(f"insights.waiting.{which}" for which in ("both", "with", "without")),
            given=("factor", "more_with", "more_without", "with_nights", "without_nights"),
        ),
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
# tests/test_content.py scans the source for text keys to keep this table complete.
TEXTS: Mapping[str, TextSpec] = MappingProxyType({**_general(), **_diary()})


class ContentError(Exception):
    """Content is unusable. `problems` holds one readable line per problem; `warnings` the
    lines about content that works but is probably not what was meant."""

    def __init__(self, problems: list[str], warnings: Iterable[str] = ()) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems
        self.warnings = list(warnings)


@dataclass(frozen=True)
class Option:
    id: str
    label: str
    points: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    flags: tuple[str, ...] = ()
    stop: bool = False
    exclusive: bool = False


@dataclass(frozen=True)
class Question:
    id: str
    kind: str  # "single" | "multi"
    text: str
    short: str
    options: tuple[Option, ...]
    ask_if: Condition | None = None
    hint: str | None = None

    def option(self, oid: str) -> Option | None:
        for option in self.options:
            if option.id == oid:
                return option
        return None


@dataclass(frozen=True)
class Cause:
    id: str
    name: str
    explanation: str
    tips: tuple[str, ...]
    min_score: int
    sources: tuple[str, ...]


@dataclass(frozen=True)
class Level:
    id: str
    rank: int
    title: str
    advice: str


@dataclass(frozen=True)
class Rule:
    id: str
    level: str
    when: Condition
    text: str | None = None
    # Causes whose block already says the same thing: while one of them is shown in the
    # result, this rule's text is left out there (the rule still counts for the level).
    unless_shown: tuple[str, ...] = ()


@dataclass(frozen=True)
class Content:
    version: str
    questions: tuple[Question, ...]
    causes: tuple[Cause, ...]
    levels: tuple[Level, ...]
    flags: Mapping[str, str]
    rules: tuple[Rule, ...]
    texts: Mapping[str, str]
    # Found while loading: valid, but probably not what the author meant (check-content shows
    # them).
    warnings: tuple[str, ...] = ()

    def question(self, qid: str) -> Question | None:
        for question in self.questions:
            if question.id == qid:
                return question
        return None

    def question_index(self, qid: str) -> int:
        for index, question in enumerate(self.questions):
            if question.id == qid:
                return index
        return -1

    def cause(self, cid: str) -> Cause | None:
        for cause in self.causes:
            if cause.id == cid:
                return cause
        return None

    def level(self, lid: str) -> Level:
        for level in self.levels:
            if level.id == lid:
                return level
        raise KeyError(lid)

    def rule(self, rid: str) -> Rule | None:
        for rule in self.rules:
            if rule.id == rid:
                return rule
        return None

    def raw_text(self, key: str, /) -> str:
        """The template as written: for button labels and callback answers (not HTML)."""
        return self.texts[key]

    def text(self, key: str, /, **values: object) -> str:
        """The template as Telegram HTML: the template and every value are escaped."""
        # Telegram HTML needs only <, > and & escaped; quotes stay readable (and short).
        escaped = {name: html.escape(str(value), quote=False) for name, value in values.items()}
        return html.escape(self.texts[key], quote=False).format(**escaped)


def default_content_dir() -> Path:
    configured = os.environ.get("CRAMP_BOT_CONTENT")
    if configured:
        return Path(configured)
    import content as content_package

    return Path(content_package.__file__).resolve().parent


# --------------------------------------------------------------------------------------------
# Reading YAML


class _UniqueKeyLoader(yaml.SafeLoader):
    """PyYAML keeps the last of two equal keys silently; an author needs to hear about it."""


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key '{key}'", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node)


_UniqueKeyLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _construct_mapping,
)


def yes_no_problem(value: bool, key: str = "") -> str:
    """YAML 1.1 turns a bare yes/no/on/off into true/false; the author wrote a word."""
    word = "yes" if value else "no"
    return f'read as a yes/no value, not as text: put it in quotes, e.g. {key}"{word}"'


class _Problems:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.warnings: list[str] = []

    def add(self, file: str, where: str, message: str) -> None:
        self.lines.append(_line(file, where, message))

    def warn(self, file: str, where: str, message: str) -> None:
        self.warnings.append(_line(file, where, message))

    def fail(self) -> ContentError:
        return ContentError(self.lines, self.warnings)


def _line(file: str, where: str, message: str) -> str:
    return f"{file}: {where}: {message}" if where else f"{file}: {message}"


def _read_yaml(path: Path, file: str, problems: _Problems) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        problems.add(file, "", "file is missing")
        return None
    except (OSError, UnicodeDecodeError) as error:
        problems.add(file, "", f"cannot be read ({error})")
        return None
    try:
        return yaml.load(text, Loader=_UniqueKeyLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        what = error.problem or error.context or "invalid YAML"
        if mark is None:
            problems.add(file, "", f"YAML syntax error: {what}")
        else:
            problems.add(file, "", f"line {mark.line + 1}, column {mark.column + 1}: {what}")
    except yaml.YAMLError as error:
        problems.add(file, "", f"YAML error: {error}")
    return None


# --------------------------------------------------------------------------------------------
# Small typed readers: each reports the problem and returns a usable fallback.


class _Reader:
    def __init__(self, file: str, problems: _Problems) -> None:
        self.file = file
        self.problems = problems

    def error(self, where: str, message: str) -> None:
        self.problems.add(self.file, where, message)

    def mapping(
        self, data: Any, where: str, required: Iterable[str], optional: Iterable[str] = ()
    ) -> dict[str, Any] | None:
        if not isinstance(data, dict):
            self.error(where, "must be a mapping (key: value lines)")
            return None
        required = tuple(required)
        allowed = set(required) | set(optional)
        for key in data:
            if key not in allowed:
                self.error(where, f"unknown key '{key}'")
        for key in required:
            if key not in data:
                self.error(where, f"missing key '{key}'")
        return data

    def text(self, data: dict[str, Any], key: str, where: str, *, optional: bool = False) -> str:
        value = data.get(key)
        if value is None:
            if not optional and key in data:
                self.error(f"{where}.{key}", "must not be empty")
            return ""
        if not isinstance(value, str) or not value.strip():
            self.error(f"{where}.{key}", "must be non-empty text")
            return ""
        return value.strip()

    def ident(self, data: dict[str, Any], where: str) -> str:
        value = data.get("id")
        if value is None:
            return ""
        if isinstance(value, bool):
            self.error(f"{where}.id", yes_no_problem(value, "id: "))
            return str(value).lower()
        if not isinstance(value, str) or not ID_RE.match(value):
            self.error(f"{where}.id", f"bad id {value!r}: use 1-16 of a-z, 0-9, _")
            return str(value)
        return value

    def boolean(self, data: dict[str, Any], key: str, where: str) -> bool:
        value = data.get(key, False)
        if not isinstance(value, bool):
            self.error(f"{where}.{key}", "must be true or false")
            return False
        return value

    def items(self, data: Any, where: str) -> list[Any]:
        if not isinstance(data, list):
            self.error(where, "must be a list")
            return []
        if not data:
            self.error(where, "must not be empty")
        return data

    def condition(self, data: Any, where: str) -> Condition | None:
        try:
            return parse_condition(data, where)
        except ConditionSyntaxError as error:
            self.error(error.where, error.message)
            return None

    def duplicates(self, ids: list[tuple[str, str]], what: str) -> None:
        seen: set[str] = set()
        for where, ident in ids:
            if ident and ident in seen:
                self.error(where, f"duplicate {what} id '{ident}'")
            seen.add(ident)


# --------------------------------------------------------------------------------------------
# Parsing each file


def _parse_causes(data: Any, r: _Reader) -> tuple[list[Cause], dict[str, str]]:
    top = r.mapping(data, "", ["causes"])
    causes: list[Cause] = []
    where_of: dict[str, str] = {}
    if top is None or "causes" not in top:
        return causes, where_of
    ids: list[tuple[str, str]] = []
    for i, raw in enumerate(r.items(top["causes"], "causes")):
        where = f"causes[{i}]"
        item = r.mapping(raw, where, ["id", "name", "explanation", "tips", "min_score", "sources"])
        if item is None:
            continue
        cid = r.ident(item, where)
        ids.append((f"{where}.id", cid))
        tips = _text_list(item.get("tips"), f"{where}.tips", r, max_items=2)
        sources = _text_list(item.get("sources"), f"{where}.sources", r)
        for j, source in enumerate(sources):
            if not source.startswith(("https://", "http://")):
                r.error(f"{where}.sources[{j}]", "must be a web address (http...)")
        min_score = item.get("min_score", 1)
        if not isinstance(min_score, int) or isinstance(min_score, bool) or min_score < 1:
            r.error(f"{where}.min_score", "must be a whole number of at least 1")
            min_score = 1
        causes.append(
            Cause(
                id=cid,
                name=r.text(item, "name", where),
                explanation=r.text(item, "explanation", where),
                tips=tuple(tips),
                min_score=min_score,
                sources=tuple(sources),
            )
        )
        where_of[cid] = where
    r.duplicates(ids, "cause")
    return causes, where_of


def _text_list(data: Any, where: str, r: _Reader, max_items: int | None = None) -> list[str]:
    if data is None:
        return []
    if not isinstance(data, list) or not data:
        r.error(where, "must be a non-empty list of texts")
        return []
    values: list[str] = []
    for i, value in enumerate(data):
        if not isinstance(value, str) or not value.strip():
            r.error(f"{where}[{i}]", "must be non-empty text")
            continue
        values.append(value.strip())
    if max_items is not None and len(values) > max_items:
        r.error(where, f"at most {max_items} items, please: keep it short")
    return values


@dataclass
class _Triage:
    levels: list[Level]
    flags: dict[str, str]
    raw_rules: list[tuple[str, dict[str, Any]]]
    # Levels are kept sorted by rank; messages need their place in the file.
    level_where: dict[str, str] = field(default_factory=dict)


def _parse_triage_top(data: Any, r: _Reader) -> _Triage:
    top = r.mapping(data, "", ["levels", "flags", "rules"])
    result = _Triage([], {}, [])
    if top is None:
        return result
    ids: list[tuple[str, str]] = []
    for i, raw in enumerate(r.items(top.get("levels"), "levels") if "levels" in top else []):
        where = f"levels[{i}]"
        item = r.mapping(raw, where, ["id", "rank", "title", "advice"])
        if item is None:
            continue
        lid = item.get("id")
        if lid not in LEVEL_RANKS:
            r.error(f"{where}.id", f"unknown level {lid!r}: use {', '.join(LEVEL_RANKS)}")
            continue
        ids.append((f"{where}.id", lid))
        result.level_where[lid] = where
        if item.get("rank") != LEVEL_RANKS[lid]:
            r.error(f"{where}.rank", f"the rank of {lid} is {LEVEL_RANKS[lid]}")
        result.levels.append(
            Level(
                lid, LEVEL_RANKS[lid], r.text(item, "title", where), r.text(item, "advice", where)
            )
        )
    r.duplicates(ids, "level")
    present = {level.id for level in result.levels}
    for lid in LEVEL_RANKS:
        if "levels" in top and lid not in present:
            r.error("levels", f"missing level '{lid}'")
    result.levels.sort(key=lambda level: -level.rank)

    flags = top.get("flags")
    if "flags" in top:
        if not isinstance(flags, dict) or not flags:
            r.error("flags", "must be a mapping of flag id: label")
        else:
            for fid, label in flags.items():
                if isinstance(fid, bool):
                    r.error(f"flags.{str(fid).lower()}", yes_no_problem(fid))
                elif not isinstance(fid, str) or not ID_RE.match(fid):
                    r.error(f"flags.{fid}", f"bad flag id {fid!r}: use 1-16 of a-z, 0-9, _")
                if not isinstance(label, str) or not label.strip():
                    r.error(f"flags.{fid}", "needs a label (used in 'because you said')")
                    continue
                result.flags[str(fid)] = label.strip()

    rule_ids: list[tuple[str, str]] = []
    for i, raw in enumerate(r.items(top.get("rules"), "rules") if "rules" in top else []):
        where = f"rules[{i}]"
        item = r.mapping(raw, where, ["id", "level", "when"], ["text", "unless_shown"])
        if item is None:
            continue
        rule_ids.append((f"{where}.id", r.ident(item, where)))
        result.raw_rules.append((where, item))
    r.duplicates(rule_ids, "rule")
    return result


def _parse_questions(
    data: Any, r: _Reader, cause_ids: set[str], flag_ids: set[str]
) -> tuple[str, list[Question], list[tuple[str, Any]]]:
    """Questions without their ask_if (parsed later, once every question id is known)."""
    top = r.mapping(data, "", ["version", "questions"])
    questions: list[Question] = []
    raw_ask_if: list[tuple[str, Any]] = []
    if top is None:
        return "", questions, raw_ask_if
    version = top.get("version")
    if "version" in top and (not isinstance(version, str) or not version.strip()):
        r.error("version", 'must be text, e.g. version: "3" (with the quotes)')
        version = str(version)
    ids: list[tuple[str, str]] = []
    for i, raw in enumerate(
        r.items(top.get("questions"), "questions") if "questions" in top else []
    ):
        where = f"questions[{i}]"
        item = r.mapping(
            raw, where, ["id", "kind", "text", "short", "options"], ["hint", "ask_if"]
        )
        if item is None:
            continue
        qid = r.ident(item, where)
        ids.append((f"{where}.id", qid))
        kind = item.get("kind")
        if "kind" in item and kind not in ("single", "multi"):
            r.error(f"{where}.kind", f"must be single or multi, not {kind!r}")
            kind = "single"
        options = _parse_options(
            item.get("options"), f"{where}.options", str(kind), r, cause_ids, flag_ids
        )
        if kind == "multi" and options and all(option.exclusive for option in options):
            r.error(f"{where}.options", "a multi-select needs options that can be ticked")
        questions.append(
            Question(
                id=qid,
                kind=str(kind),
                text=r.text(item, "text", where),
                short=r.text(item, "short", where),
                options=tuple(options),
                hint=r.text(item, "hint", where, optional=True) or None,
            )
        )
        raw_ask_if.append((where, item.get("ask_if")))
    r.duplicates(ids, "question")
    return str(version or ""), questions, raw_ask_if


def _parse_options(
    data: Any, where: str, kind: str, r: _Reader, cause_ids: set[str], flag_ids: set[str]
) -> list[Option]:
    options: list[Option] = []
    if data is None:
        return options
    ids: list[tuple[str, str]] = []
    for j, raw in enumerate(r.items(data, where)):
        at = f"{where}[{j}]"
        item = r.mapping(raw, at, ["id", "label"], ["points", "flags", "stop", "exclusive"])
        if item is None:
            continue
        oid = r.ident(item, at)
        ids.append((f"{at}.id", oid))
        points: dict[str, int] = {}
        raw_points = item.get("points")
        if raw_points is not None:
            if not isinstance(raw_points, dict):
                r.error(f"{at}.points", "must be a mapping of cause id: points")
            else:
                for cid, value in raw_points.items():
                    if cid not in cause_ids:
                        r.error(f"{at}.points.{cid}", f"unknown cause '{cid}'")
                    if not isinstance(value, int) or isinstance(value, bool):
                        r.error(f"{at}.points.{cid}", "must be a whole number")
                        continue
                    points[str(cid)] = value
        flags: list[str] = []
        raw_flags = item.get("flags")
        if raw_flags is not None:
            if not isinstance(raw_flags, list) or not all(isinstance(f, str) for f in raw_flags):
                r.error(f"{at}.flags", "must be a list of flag ids")
            else:
                for flag in raw_flags:
                    if flag not in flag_ids:
                        r.error(f"{at}.flags", f"unknown flag '{flag}'")
                    flags.append(flag)
        stop = r.boolean(item, "stop", at)
        exclusive = r.boolean(item, "exclusive", at)
        if stop and kind != "single":
            r.error(f"{at}.stop", "only single-choice questions can stop the questionnaire")
        if exclusive and kind != "multi":
            r.error(f"{at}.exclusive", "only multi-select options can be exclusive")
        if stop and not flags:
            r.error(f"{at}.stop", "a stop option needs a flag that sets the urgency level")
        options.append(
            Option(
                id=oid,
                label=r.text(item, "label", at),
                points=MappingProxyType(points),
                flags=tuple(flags),
                stop=stop,
                exclusive=exclusive,
            )
        )
    r.duplicates(ids, "option")
    return options


# --------------------------------------------------------------------------------------------
# Cross-references and reachability


def _check_condition_refs(
    condition: Condition,
    where: str,
    r: _Reader,
    questions: list[Question],
    flag_ids: set[str],
    *,
    before: int | None = None,
) -> None:
    """Dangling ids; with `before`, also references to this or later questions (ask_if)."""
    index = {q.id: i for i, q in enumerate(questions)}
    for sub, leaf, _ in cond.leaves(condition):
        at = f"{where}{sub}"
        if isinstance(leaf, cond.HasFlag):
            if leaf.flag not in flag_ids:
                r.error(f"{at}.flag", f"unknown flag '{leaf.flag}'")
            elif before is not None:
                setters = [
                    i for i, q in enumerate(questions) for o in q.options if leaf.flag in o.flags
                ]
                if setters and min(setters) >= before:
                    r.error(
                        f"{at}.flag",
                        f"flag '{leaf.flag}' is only set by this or later questions",
                    )
            continue
        if leaf.question not in index:
            r.error(f"{at}.q", f"unknown question '{leaf.question}'")
            continue
        question = questions[index[leaf.question]]
        if before is not None and index[leaf.question] >= before:
            r.error(
                f"{at}.q",
                f"refers to question '{leaf.question}', which is not asked before this one",
            )
        key = "any" if isinstance(leaf, cond.ChoseAny) else "none"
        for oid in leaf.options:
            if question.option(oid) is None:
                r.error(f"{at}.{key}", f"unknown option '{oid}' of question '{leaf.question}'")


# Beyond this many combinations the reachability check gives up (and assumes reachable).
_MAX_COMBINATIONS = 50_000


def candidate_answers(question: Question, *, allow_stop: bool = True) -> list[tuple[str, ...]]:
    """Answers that stand for all the others where conditions are concerned.

    Conditions only ask "was one of these chosen" or "none of these", so each single option,
    and for a multi-select every tickable option together, cover every case that matters.
    """
    options = [o for o in question.options if allow_stop or not o.stop]
    candidates: list[tuple[str, ...]] = [(option.id,) for option in options]
    tickable = tuple(option.id for option in options if not option.exclusive)
    if question.kind == "multi" and len(tickable) > 1:
        candidates.append(tickable)
    return candidates


def satisfiable(
    condition: Condition, questions: Iterable[Question], *, allow_stop: bool = True
) -> bool:
    """Can some answers to `questions` make `condition` true? (Paths are not considered.)

    Only the questions the condition refers to, directly or through a flag, are varied.
    Without `allow_stop`, answers that end the questionnaire are left out: that is the
    question "can this fire in a finished, non-emergency result?".
    """
    wanted_flags = cond.referenced_flags(condition)
    wanted_questions = cond.referenced_questions(condition)
    relevant = [
        q
        for q in questions
        if q.id in wanted_questions or any(wanted_flags & set(o.flags) for o in q.options)
    ]
    choices: list[list[tuple[str, ...] | None]] = [
        [None, *candidate_answers(q, allow_stop=allow_stop)] for q in relevant
    ]
    total = 1
    for options in choices:
        total *= len(options)
    if total > _MAX_COMBINATIONS:
        return True
    for combo in itertools.product(*choices):
        answers = {q.id: chosen for q, chosen in zip(relevant, combo, strict=True) if chosen}
        flags = {
            flag
            for q, chosen in zip(relevant, combo, strict=True)
            for oid in chosen or ()
            for flag in (q.option(oid) or Option(oid, "")).flags
        }
        if cond.evaluate(condition, answers, flags):
            return True
    return False


def _max_points(questions: Iterable[Question], cause_id: str) -> int:
    best = 0
    for question in questions:
        values = [option.points.get(cause_id, 0) for option in question.options]
        if question.kind == "multi":
            tickable = sum(
                max(0, option.points.get(cause_id, 0))
                for option in question.options
                if not option.exclusive
            )
            values.append(tickable)
        best += max(0, *values)
    return best


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


def _parse_texts(
    files: list[tuple[str, Any]], problems: _Problems
) -> tuple[dict[str, str], dict[str, str]]:
    """Merge the `texts:` mapping of every file; returns texts and the file of each key."""
    texts: dict[str, str] = {}
    origin: dict[str, str] = {}
    for file, data in files:
        r = _Reader(file, problems)
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


def _check_texts(
    texts: dict[str, str],
    origin: dict[str, str],
    problems: _Problems,
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
        r = _Reader(origin[key], problems)
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


# --------------------------------------------------------------------------------------------
# Loading


def shown_dir(directory: Path) -> str:
    """The folder as the author would type it: relative to the current directory when it lies
    inside it ("" for the current directory itself), else as given."""
    if directory.is_absolute():
        # A deleted working directory or a folder elsewhere: show the path as given.
        with contextlib.suppress(OSError, ValueError):
            directory = directory.relative_to(Path.cwd())
    text = os.path.normpath(directory)
    return "" if text == "." else text


def _rel(directory: Path, name: str) -> str:
    folder = shown_dir(directory)
    return f"{folder}/{name}" if folder else name


def _fingerprinted(declared: str, directory: Path) -> str:
    """The declared version plus a digest of the questionnaire files.

    Stored with every assessment, it changes whenever a deploy changes questions, causes or
    rules, even if an author forgot to bump `version:`.
    """
    digest = hashlib.sha256()
    for name in (QUESTION_FILE, CAUSE_FILE, TRIAGE_FILE):
        digest.update((directory / name).read_bytes())
    return f"{declared}+{digest.hexdigest()[:8]}"


def load_content(directory: Path | None = None) -> Content:
    directory = Path(directory) if directory is not None else default_content_dir()
    problems = _Problems()
    if not directory.is_dir():
        raise ContentError([f"{shown_dir(directory) or '.'}: content directory not found"])

    names = {
        name: _rel(directory, name) for name in (QUESTION_FILE, CAUSE_FILE, TRIAGE_FILE, TEXT_FILE)
    }
    raw = {name: _read_yaml(directory / name, file, problems) for name, file in names.items()}
    text_files: list[tuple[str, Any]] = []
    for path in sorted(directory.glob("*.yaml")):
        if path.name in raw:
            data = raw[path.name]
        else:
            data = _read_yaml(path, _rel(directory, path.name), problems)
        if isinstance(data, dict) and "texts" in data:
            text_files.append((_rel(directory, path.name), data))
    if problems.lines:
        # Structure errors (syntax, missing files) make every later message noise.
        raise ContentError(problems.lines)
    if not any(file == names[TEXT_FILE] for file, _ in text_files):
        problems.add(names[TEXT_FILE], "", "missing key 'texts'")

    cr = _Reader(names[CAUSE_FILE], problems)
    causes, cause_where = _parse_causes(raw[CAUSE_FILE], cr)
    tr = _Reader(names[TRIAGE_FILE], problems)
    triage = _parse_triage_top(raw[TRIAGE_FILE], tr)
    qr = _Reader(names[QUESTION_FILE], problems)
    version, questions, raw_ask_if = _parse_questions(
        raw[QUESTION_FILE], qr, {c.id for c in causes}, set(triage.flags)
    )
    flag_ids = set(triage.flags)

    # Skip rules: parsed now that every question id is known.
    for i, (where, data) in enumerate(raw_ask_if):
        if data is None:
            continue
        condition = qr.condition(data, f"{where}.ask_if")
        if condition is None:
            continue
        before = len(problems.lines)
        _check_condition_refs(condition, f"{where}.ask_if", qr, questions, flag_ids, before=i)
        if len(problems.lines) == before and not satisfiable(condition, questions[:i]):
            qr.error(f"{where}.ask_if", "can never be true, so this question is never asked")
        questions[i] = _replace_ask_if(questions[i], condition)

    rules: list[Rule] = []
    before_rules = len(problems.lines)
    for where, item in triage.raw_rules:
        level = item.get("level")
        if level not in LEVEL_RANKS:
            tr.error(f"{where}.level", f"unknown level {level!r}")
        condition = tr.condition(item.get("when"), f"{where}.when") if "when" in item else None
        if condition is None:
            continue
        _check_condition_refs(condition, f"{where}.when", tr, questions, flag_ids)
        unless: list[str] = []
        if "unless_shown" in item:
            for j, cid in enumerate(tr.items(item.get("unless_shown"), f"{where}.unless_shown")):
                if cid not in {cause.id for cause in causes}:
                    tr.error(f"{where}.unless_shown[{j}]", f"unknown cause {cid!r}")
                else:
                    unless.append(str(cid))
        rules.append(
            Rule(
                id=str(item.get("id", "")),
                level=str(level),
                when=condition,
                text=tr.text(item, "text", where, optional=True) or None,
                unless_shown=tuple(unless),
            )
        )

    if len(problems.lines) == before_rules:
        # With a broken rule, "no rule fires for this stop" would only repeat the same problem.
        _check_stops(questions, rules, qr)
    _check_flags_used(questions, triage.flags, tr)
    for cause in causes:
        if cause.id and _max_points(questions, cause.id) < cause.min_score:
            cr.error(
                cause_where.get(cause.id, "causes"),
                f"no answers can reach min_score {cause.min_score} "
                f"(at most {_max_points(questions, cause.id)} points)",
            )
    for i, question in enumerate(questions):
        for j, option in enumerate(question.options):
            data = f"q1:{WIDEST_ASSESSMENT_ID}:{question.id}:{option.id}:1"
            if len(data.encode()) > MAX_CALLBACK_DATA:
                qr.error(
                    f"questions[{i}].options[{j}].id",
                    f"callback data '{data}' is {len(data.encode())} bytes, "
                    f"over Telegram's {MAX_CALLBACK_DATA}",
                )
            # The renderer prefixes a mark such as "✓ " to a chosen option.
            if len(option.label) + 2 > MAX_BUTTON:
                qr.error(
                    f"questions[{i}].options[{j}].label",
                    f"{len(option.label)} characters, over the {MAX_BUTTON - 2} that fit a button",
                )

    texts, origin = _parse_texts(text_files, problems)
    present = {file for file, _ in text_files}
    _check_texts(
        texts, origin, problems, {**names, DIARY_FILE: _rel(directory, DIARY_FILE)}, present
    )
    if problems.lines:
        raise problems.fail()

    content = Content(
        version=_fingerprinted(str(version), directory),
        questions=tuple(questions),
        causes=tuple(causes),
        levels=tuple(triage.levels),
        flags=MappingProxyType(dict(triage.flags)),
        rules=tuple(rules),
        texts=MappingProxyType(texts),
        warnings=tuple(problems.warnings),
    )
    _check_composed(content, names, problems, triage.level_where)
    if problems.lines:
        raise problems.fail()
    return content


def _replace_ask_if(question: Question, condition: Condition) -> Question:
    return Question(
        id=question.id,
        kind=question.kind,
        text=question.text,
        short=question.short,
        options=question.options,
        ask_if=condition,
        hint=question.hint,
    )


def _check_flags_used(questions: list[Question], flags: dict[str, str], r: _Reader) -> None:
    set_somewhere = {flag for q in questions for o in q.options for flag in o.flags}
    for fid in flags:
        if fid not in set_somewhere:
            r.error(f"flags.{fid}", "no option sets this flag, so rules using it never fire")


def _check_stops(questions: list[Question], rules: list[Rule], r: _Reader) -> None:
    emergency = [rule for rule in rules if rule.level == "emergency"]
    for i, question in enumerate(questions):
        for j, option in enumerate(question.options):
            if not option.stop:
                # An emergency sign must end the questionnaire at once: ten more questions
                # would only keep someone from calling for help.
                sets_off = [
                    rule.id
                    for rule in emergency
                    if cond.evaluate(rule.when, {}, set(option.flags))
                ]
                if sets_off and question.kind == "single":
                    r.error(
                        f"questions[{i}].options[{j}]",
                        f"sets off the emergency rule '{sets_off[0]}' on its own, so it must end "
                        "the questionnaire: add stop: true",
                    )
                elif sets_off:
                    r.error(
                        f"questions[{i}].options[{j}]",
                        f"sets off the emergency rule '{sets_off[0]}' on its own, but a "
                        "multi-select cannot end the questionnaire: ask it in a single-choice "
                        "safety question with stop: true",
                    )
                continue
            answers = {question.id: (option.id,)}
            fired = [
                rule
                for rule in rules
                if LEVEL_RANKS.get(rule.level, 0) >= LEVEL_RANKS["urgent"]
                and cond.evaluate(rule.when, answers, set(option.flags))
            ]
            if not fired:
                r.error(
                    f"questions[{i}].options[{j}].stop",
                    "ends the questionnaire, but no urgent or emergency rule fires for it",
                )


def _check_composed(
    content: Content, names: dict[str, str], problems: _Problems, level_where: dict[str, str]
) -> None:
    """Render the worst cases: every question screen and the longest possible result."""
    from bot import render

    for i, question in enumerate(content.questions):
        for problem in render.question_screen_problems(content, question):
            problems.add(names[QUESTION_FILE], f"questions[{i}]", problem)
    for problem in render.worst_result_problems(content):
        # The length is the sum of many texts in several files: blame the longest one, where
        # shortening helps most, and say how the rest adds up.
        worst = render.worst_result(content, stopped="emergency-screen" in problem)
        parts = _result_parts(content, worst, names, level_where)
        length, file, where, what, _ = max(parts, key=lambda part: part[0])
        totals: dict[str, int] = {}
        for size, _, _, _, group in parts:
            totals[group] = totals.get(group, 0) + size
        in_all = ", ".join(f"{group} {size}" for group, size in totals.items())
        headline = problem.split(": shorten", 1)[0]
        problems.add(
            file,
            where,
            f"{headline}; the longest part is {what} ({length} characters); "
            f"{in_all} characters in all",
        )


def _result_parts(
    content: Content, result: Result, names: dict[str, str], level_where: dict[str, str]
) -> list[tuple[int, str, str, str, str]]:
    """(length, file, key path, what, group) of each text that goes into a result."""
    parts: list[tuple[int, str, str, str, str]] = []
    for match in result.causes:
        cause = match.cause
        i = content.causes.index(cause)
        parts.append(
            (
                len(cause.explanation) + sum(len(tip) for tip in cause.tips),
                names[CAUSE_FILE],
                f"causes[{i}] ({cause.id})",
                "this cause's explanation and tips",
                "cause texts",
            )
        )
    rule_index = {rule.id: i for i, rule in enumerate(content.rules)}
    for nudge in result.nudges:
        if nudge.text:
            parts.append(
                (
                    len(nudge.text),
                    names[TRIAGE_FILE],
                    f"rules[{rule_index[nudge.rule_id]}] ({nudge.rule_id}).text",
                    "this rule's text",
                    "rule texts",
                )
            )
    parts.append(
        (
            len(result.level.advice),
            names[TRIAGE_FILE],
            f"{level_where[result.level.id]} ({result.level.id}).advice",
            "this level's advice",
            "level advice",
        )
    )
    return parts


def iter_options(content: Content) -> Iterator[tuple[Question, Option]]:
    for question in content.questions:
        for option in question.options:
            yield question, option
