"""Reading content YAML: duplicate keys refused, problems collected as `file: key.path: what`.

What lives here: the YAML loader, Problems (every problem as one readable line) and Reader (small
typed readers that report a problem and return a usable fallback). It imports only the model
and the condition language.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from bot.content.conditions import Condition, ConditionSyntaxError, parse_condition
from bot.content.model import ContentError

ID_RE = re.compile(r"^[a-z0-9_]{1,16}$")


# --------------------------------------------------------------------------------------------
# Reading YAML


class _UniqueKeyLoader(yaml.SafeLoader):
    """PyYAML keeps the last of two equal keys silently; an author needs to hear about it."""


class _FastUniqueKeyLoader(yaml.CSafeLoader if yaml.__with_libyaml__ else yaml.SafeLoader):  # type: ignore[misc]
    """The same, on libyaml's parser (when PyYAML has it): about ten times faster, which is
    most of the bot's start-up. Its error messages are less plain than the pure-Python
    parser's, so a file it rejects is read again by `_UniqueKeyLoader` for the message."""


def _construct_mapping(loader: Any, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key '{key}'", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node)


for _loader in (_UniqueKeyLoader, _FastUniqueKeyLoader):
    _loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def yes_no_problem(value: bool, key: str = "") -> str:
    """YAML 1.1 turns a bare yes/no/on/off into true/false; the author wrote a word."""
    word = "yes" if value else "no"
    return f'read as a yes/no value, not as text: put it in quotes, e.g. {key}"{word}"'


class Problems:
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


# PyYAML's words for the usual slips, and what to do about each, in plain words.
_YAML_FIXES: tuple[tuple[str, str], ...] = (
    (
        "mapping values are not allowed",
        "A text on this line contains ': ': put the whole text in double quotes",
    ),
    ("found character '\\t'", "There is a tab here: indent with spaces only"),
    ("cannot start any token", "There is a tab or odd symbol here: indent with spaces only"),
    (
        "could not find expected ':'",
        "A line here is not 'key: value', or a long text goes on to the next line without "
        "being indented more: check this line and the one above",
    ),
    (
        "expected <block end>",
        "The indentation here does not match the lines above: line it up with its neighbours",
    ),
    ("found unexpected end of stream", "A quote is opened and never closed: add the quote"),
    ("while scanning a quoted scalar", "A quote is opened and never closed: add the quote"),
    ("duplicate key", "The same key appears twice: remove or rename one"),
)


def yaml_fix(what: str) -> str:
    for fragment, fix in _YAML_FIXES:
        if fragment in what:
            return fix + "."
    return "Check the indentation and the quotes on this line and the one above."


def read_yaml(path: Path, file: str, problems: Problems) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        problems.add(file, "", "file is missing")
        return None
    except (OSError, UnicodeDecodeError) as error:
        problems.add(file, "", f"cannot be read ({error})")
        return None
    with contextlib.suppress(yaml.YAMLError):
        return yaml.load(text, Loader=_FastUniqueKeyLoader)
    try:
        return yaml.load(text, Loader=_UniqueKeyLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        what = error.problem or error.context or "invalid YAML"
        fix = yaml_fix(what)
        if mark is None:
            problems.add(file, "", f"YAML syntax error: {what}. {fix}")
        else:
            problems.add(
                file, "", f"line {mark.line + 1}, column {mark.column + 1}: {what}. {fix}"
            )
    except yaml.YAMLError as error:
        problems.add(file, "", f"YAML error: {error}")
    return None


# --------------------------------------------------------------------------------------------
# Small typed readers: each reports the problem and returns a usable fallback.


class Reader:
    def __init__(self, file: str, problems: Problems) -> None:
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


def shown_dir(directory: Path) -> str:
    """The folder as the author would type it: relative to the current directory when it lies
    inside it ("" for the current directory itself), else as given."""
    if directory.is_absolute():
        # A deleted working directory or a folder elsewhere: show the path as given.
        with contextlib.suppress(OSError, ValueError):
            directory = directory.relative_to(Path.cwd())
    text = os.path.normpath(directory)
    return "" if text == "." else text


def rel_path(directory: Path, name: str) -> str:
    folder = shown_dir(directory)
    return f"{folder}/{name}" if folder else name


def read_case_list(path: Path, file: str) -> tuple[Reader, list[Any]]:
    """The `cases:` list of a cases file (triage or diary), with a Reader that reports the
    problems of its items; a file that cannot be read raises ContentError at once."""
    problems = Problems()
    data = read_yaml(path, file, problems)
    if problems.lines:
        raise ContentError(problems.lines)
    r = Reader(file, problems)
    top = r.mapping(data, "", ["cases"])
    items = r.items(top.get("cases"), "cases") if top and "cases" in top else []
    return r, list(items)
