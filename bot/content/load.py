"""Load content/*.yaml once, validate all of it, and hand out frozen dataclasses.

Nothing else in the bot reads YAML. A broken file never produces a traceback: every problem is
collected and reported as one line, `content/<file>.yaml: <key.path[3]>: <what is wrong>`, in a
single ContentError, so an author fixes them all in one go. `load_content` is the one entry
point; the checks across files live in bot.content.validate.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from bot.content.conditions import Condition
from bot.content.model import (
    CAUSE_FILE,
    DIARY_FILE,
    LEVEL_RANKS,
    QUESTION_FILE,
    TEXT_FILE,
    TRIAGE_FILE,
    Cause,
    Content,
    ContentError,
    Level,
    Option,
    Question,
    QuestionKind,
    Rule,
)
from bot.content.reachability import satisfiable
from bot.content.reader import (
    ID_RE,
    Problems,
    Reader,
    read_yaml,
    rel_path,
    shown_dir,
    yes_no_problem,
)
from bot.content.texts import check_texts, parse_texts
from bot.content.validate import (
    check_composed,
    check_condition_refs,
    check_flags_used,
    check_stops,
    max_points,
)
from bot.questionnaire import callbacks
from bot.ui import MAX_BUTTON


def default_content_dir() -> Path:
    configured = os.environ.get("CRAMP_BOT_CONTENT")
    if configured:
        return Path(configured)
    import content as content_package

    return Path(content_package.__file__).resolve().parent


# --------------------------------------------------------------------------------------------
# Parsing each file


def _parse_causes(data: Any, r: Reader) -> tuple[list[Cause], dict[str, str]]:
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


def _text_list(data: Any, where: str, r: Reader, max_items: int | None = None) -> list[str]:
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


def _parse_triage_top(data: Any, r: Reader) -> _Triage:
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
        item = r.mapping(
            raw, where, ["id", "level", "when"], ["text", "unless_shown", "downgrade"]
        )
        if item is None:
            continue
        rule_ids.append((f"{where}.id", r.ident(item, where)))
        result.raw_rules.append((where, item))
    r.duplicates(rule_ids, "rule")
    return result


def _parse_questions(
    data: Any, r: Reader, cause_ids: set[str], flag_ids: set[str]
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
            raw, where, ["id", "kind", "text", "short", "options"], ["hint", "ask_if", "order"]
        )
        if item is None:
            continue
        qid = r.ident(item, where)
        ids.append((f"{where}.id", qid))
        raw_kind = item.get("kind")
        kind: QuestionKind = "multi" if raw_kind == "multi" else "single"
        if "kind" in item and raw_kind not in ("single", "multi"):
            r.error(f"{where}.kind", f"must be single or multi, not {raw_kind!r}")
        options = _parse_options(
            item.get("options"), f"{where}.options", kind, r, cause_ids, flag_ids
        )
        if kind == "multi" and options and all(option.exclusive for option in options):
            r.error(f"{where}.options", "a multi-select needs options that can be ticked")
        questions.append(
            Question(
                id=qid,
                kind=kind,
                text=r.text(item, "text", where),
                short=r.text(item, "short", where),
                options=tuple(options),
                hint=r.text(item, "hint", where, optional=True) or None,
                order=_parse_order(item, where, str(kind), options, r),
            )
        )
        raw_ask_if.append((where, item.get("ask_if")))
    r.duplicates(ids, "question")
    return str(version or ""), questions, raw_ask_if


def _parse_order(
    item: dict[str, Any], where: str, kind: str, options: list[Option], r: Reader
) -> tuple[tuple[str, ...], ...]:
    """`order: [none, weekly, [recent, most]]`: tiers from the least to the most worrying."""
    if "order" not in item:
        return ()
    at = f"{where}.order"
    if kind != "single":
        r.error(at, "only single-choice questions have an order (ticking a box always adds)")
        return ()
    raw = item["order"]
    if not isinstance(raw, list) or len(raw) < 2:
        r.error(at, "must list at least two tiers, from the least to the most worrying")
        return ()
    known = {option.id for option in options}
    seen: set[str] = set()
    tiers: list[tuple[str, ...]] = []
    for i, tier in enumerate(raw):
        members = tier if isinstance(tier, list) else [tier]
        ids: list[str] = []
        for oid in members:
            if isinstance(oid, bool):
                r.error(f"{at}[{i}]", yes_no_problem(oid))
            elif not isinstance(oid, str) or oid not in known:
                r.error(f"{at}[{i}]", f"unknown option {oid!r}")
            elif oid in seen:
                r.error(f"{at}[{i}]", f"option '{oid}' is listed twice")
            else:
                seen.add(oid)
                ids.append(oid)
        if ids:
            tiers.append(tuple(ids))
    return tuple(tiers)


def _parse_options(
    data: Any, where: str, kind: str, r: Reader, cause_ids: set[str], flag_ids: set[str]
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
    problems = Problems()
    if not directory.is_dir():
        raise ContentError([f"{shown_dir(directory) or '.'}: content directory not found"])

    names = {
        name: rel_path(directory, name)
        for name in (QUESTION_FILE, CAUSE_FILE, TRIAGE_FILE, TEXT_FILE)
    }
    raw = {name: read_yaml(directory / name, file, problems) for name, file in names.items()}
    text_files: list[tuple[str, Any]] = []
    for path in sorted(directory.glob("*.yaml")):
        if path.name in raw:
            data = raw[path.name]
        else:
            data = read_yaml(path, rel_path(directory, path.name), problems)
        if isinstance(data, dict) and "texts" in data:
            text_files.append((rel_path(directory, path.name), data))
    if problems.lines:
        # Structure errors (syntax, missing files) make every later message noise.
        raise ContentError(problems.lines)
    if not any(file == names[TEXT_FILE] for file, _ in text_files):
        problems.add(names[TEXT_FILE], "", "missing key 'texts'")

    cr = Reader(names[CAUSE_FILE], problems)
    causes, cause_where = _parse_causes(raw[CAUSE_FILE], cr)
    tr = Reader(names[TRIAGE_FILE], problems)
    triage = _parse_triage_top(raw[TRIAGE_FILE], tr)
    qr = Reader(names[QUESTION_FILE], problems)
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
        check_condition_refs(condition, f"{where}.ask_if", qr, questions, flag_ids, before=i)
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
        check_condition_refs(condition, f"{where}.when", tr, questions, flag_ids)
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
                downgrade=tr.text(item, "downgrade", where, optional=True),
            )
        )

    if len(problems.lines) == before_rules:
        # With a broken rule, "no rule fires for this stop" would only repeat the same problem.
        check_stops(questions, rules, qr)
    check_flags_used(questions, triage.flags, tr)
    for cause in causes:
        if cause.id and max_points(questions, cause.id) < cause.min_score:
            cr.error(
                cause_where.get(cause.id, "causes"),
                f"no answers can reach min_score {cause.min_score} "
                f"(at most {max_points(questions, cause.id)} points)",
            )
    for i, question in enumerate(questions):
        for j, option in enumerate(question.options):
            too_long = callbacks.widest(question.id, option.id)
            if too_long is not None:
                qr.error(f"questions[{i}].options[{j}].id", too_long)
            # The renderer prefixes a mark such as "✓ " to a chosen option.
            if len(option.label) + 2 > MAX_BUTTON:
                qr.error(
                    f"questions[{i}].options[{j}].label",
                    f"{len(option.label)} characters, over the {MAX_BUTTON - 2} that fit a button",
                )

    texts, origin = parse_texts(text_files, problems)
    present = {file for file, _ in text_files}
    check_texts(
        texts, origin, problems, {**names, DIARY_FILE: rel_path(directory, DIARY_FILE)}, present
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
    check_composed(content, names, problems, triage.level_where)
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
        order=question.order,
    )
