"""The morning check-in: one message, edited in place, all buttons, about thirty seconds.

Pure and Telegram-free. The handler keeps the night's answers in storage and, on each press:
`parse_checkin_data` (None: forged or garbled -> "out of date"), `apply_press` (unchanged
answers: a stale or repeated press), store, `render_checkin` for the same message.

Callback data: `d1:<night YYYYMMDD>:<item>:<value>`, ASCII, far below 64 bytes.
    cramps 0|1|2|4    longest lt1|1_5|5_10|gt10    now 1    woke y|n    twitch none|one|many
    <factor> 1|0 (the wanted tick state, so a press delivered twice is harmless)
    calf y|n (after a cramp over 10 minutes: one calf swollen, red or warm?)
    factors done      urine y|n    weak y|n
    snooze 1 | skip 1 (first step only; the handler acts on them, the answers do not change)
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.diary.rules import (
    CRAMP_COUNTS,
    FACTORS,
    LEVELS,
    LONGEST,
    NO_FACTOR,
    TWITCH,
    DiaryWarning,
    Html,
    Texts,
    cramp_count,
    factors_of,
    fill,
    had_cramps,
    immediate_warnings,
    label,
    short_date,
)
from bot.ui import MAX_CALLBACK_DATA, Button, Screen

PREFIX = "d1"
YES_NO = ("y", "n")
TOGGLES = (*FACTORS, NO_FACTOR)
ACTIONS = ("snooze", "skip")

# item -> the values its buttons may carry
CHECKIN_ITEMS: Mapping[str, tuple[str, ...]] = {
    "cramps": tuple(str(n) for n in CRAMP_COUNTS),
    "longest": LONGEST,
    "now": ("1",),
    "woke": YES_NO,
    "calf": YES_NO,
    "twitch": TWITCH,
    **dict.fromkeys(TOGGLES, ("1", "0")),
    "factors": ("done",),
    "urine": YES_NO,
    "weak": YES_NO,
    "snooze": ("1",),
    "skip": ("1",),
}
# The steps in the order they are asked; some only when they apply (see next_step).
STEPS: tuple[str, ...] = (
    "cramps",
    "longest",
    "woke",
    "calf",
    "twitch",
    "factors",
    "urine",
    "weak",
)

_DATA_RE = re.compile(r"d1:([0-9]{8}):([a-z0-9_]{1,16}):([a-z0-9_]{1,8})")


@dataclass(frozen=True)
class CheckinPress:
    night: date
    item: str
    value: str

    @property
    def is_action(self) -> bool:
        """Snooze or Skip: the handler acts; the answers stay as they are."""
        return self.item in ACTIONS

    def data(self) -> str:
        return checkin_data(self.night, self.item, self.value)


def checkin_data(night: date, item: str, value: str) -> str:
    data = f"{PREFIX}:{night:%Y%m%d}:{item}:{value}"
    if value not in CHECKIN_ITEMS.get(item, ()) or len(data.encode()) > MAX_CALLBACK_DATA:
        raise ValueError(f"not a check-in button: {data!r}")
    return data


def parse_checkin_data(data: str) -> CheckinPress | None:
    """The press, or None for anything that this module did not make (forged, garbled, too
    long, an impossible date, an unknown item or value)."""
    if not data.isascii() or len(data.encode()) > MAX_CALLBACK_DATA:
        return None
    match = _DATA_RE.fullmatch(data)
    if match is None:
        return None
    stamp, item, value = match.groups()
    if value not in CHECKIN_ITEMS.get(item, ()):
        return None
    try:
        night = date(int(stamp[:4]), int(stamp[4:6]), int(stamp[6:]))
    except ValueError:  # 20250230 and the like
        return None
    return CheckinPress(night=night, item=item, value=value)


def needs_urine_question(answers: Mapping[str, Any]) -> bool:
    """4+ cramps, or cramps after hard exercise: muscle breakdown is worth one question."""
    count = cramp_count(answers) or 0
    return count >= 4 or (count > 0 and "exercise" in factors_of(answers))


def needs_calf_question(answers: Mapping[str, Any]) -> bool:
    """A cramp over 10 minutes: one question about a swollen, red or warm calf (a clot can
    feel like a cramp that will not ease)."""
    return (cramp_count(answers) or 0) > 0 and answers.get("longest") == "gt10"


def next_step(answers: Mapping[str, Any], *, ask_weakness: bool) -> str | None:
    """The item to ask next; None when the check-in is complete."""
    count = cramp_count(answers)
    if count is None:
        return "cramps"
    if count > 0:
        if answers.get("longest") not in LONGEST:
            return "longest"
        if not isinstance(answers.get("woke"), bool):
            return "woke"
        if needs_calf_question(answers) and not isinstance(answers.get("calf"), bool):
            return "calf"
    if answers.get("twitch") not in TWITCH:
        return "twitch"
    if answers.get("factors_done") is not True:
        return "factors"
    if needs_urine_question(answers):
        if not isinstance(answers.get("urine"), bool):
            return "urine"
        if answers["urine"]:
            return None  # an emergency ends the check-in: nothing else under that advice
    if ask_weakness and not isinstance(answers.get("weak"), bool):
        return "weak"
    return None


def is_complete(answers: Mapping[str, Any], *, ask_weakness: bool) -> bool:
    return next_step(answers, ask_weakness=ask_weakness) is None


def _ticks(answers: Mapping[str, Any]) -> set[str]:
    value = answers.get("factors")
    return {t for t in value if t in TOGGLES} if isinstance(value, list | tuple) else set()


def apply_press(answers: Mapping[str, Any], press: CheckinPress) -> dict[str, Any]:
    """The answers after `press` (a new dict; the input is not changed).

    Only a press for the step being asked counts; anything else (an old button, a press
    delivered twice after it moved the check-in on) leaves the answers equal to the input,
    which the handler can take as "out of date". `weak` is accepted once everything else is
    answered: it is only ever shown then.
    """
    new: dict[str, Any] = {k: (list(v) if isinstance(v, list) else v) for k, v in answers.items()}
    current = {
        next_step(answers, ask_weakness=False),
        next_step(answers, ask_weakness=True),
    }
    item, value = press.item, press.value
    if press.is_action:
        return new
    if item in TOGGLES or item == "factors":
        if "factors" not in current:
            return new
        ticked = _ticks(new)
        if item == "factors":
            new["factors"] = sorted(ticked)
            new["factors_done"] = True
            return new
        if value == "1" and item == NO_FACTOR and not ticked - {NO_FACTOR}:
            # Nothing ticked yet: "None of these" is one tap, as in the questionnaire.
            new["factors"] = [NO_FACTOR]
            new["factors_done"] = True
            return new
        if value == "1":
            # "None of these" and the factors exclude each other; after ticks, the swap is
            # shown and Done confirms it, so no tick is dropped unseen.
            ticked = {item} if item == NO_FACTOR else (ticked - {NO_FACTOR}) | {item}
        else:
            ticked.discard(item)
        new["factors"] = sorted(ticked)
        return new
    if item == "now":
        # "Still going after 10 minutes" answers the longest-cramp question too.
        if "longest" in current:
            new["now"] = True
            new["longest"] = "gt10"
        return new
    if item not in current:
        return new
    if item == "cramps":
        new["cramps"] = int(value)
    elif item in ("woke", "calf", "urine", "weak"):
        new[item] = value == "y"
    else:
        new[item] = value
    return new


# --- rendering ----------------------------------------------------------------------------------


def _planned_steps(answers: Mapping[str, Any], *, ask_weakness: bool) -> list[str]:
    """The steps this check-in asks, as far as the answers so far tell."""
    steps = ["cramps"]
    if cramp_count(answers) != 0:
        steps += ["longest", "woke"]
        if needs_calf_question(answers):
            steps.append("calf")
    steps += ["twitch", "factors"]
    if needs_urine_question(answers):
        steps.append("urine")
    if ask_weakness and answers.get("urine") is not True:
        steps.append("weak")
    return steps


def _button(texts: Texts, night: date, label_key: str, item: str, value: str) -> Button:
    # Button labels are plain text for Telegram: the raw template, not escaped HTML.
    return Button(texts.raw_text(label_key), checkin_data(night, item, value))


def _yes_no(texts: Texts, night: date, item: str) -> tuple[tuple[Button, ...], ...]:
    return (
        (
            _button(texts, night, "checkin.yes", item, "y"),
            _button(texts, night, "checkin.no", item, "n"),
        ),
    )


def _step_buttons(
    texts: Texts, night: date, step: str, answers: Mapping[str, Any]
) -> tuple[tuple[Button, ...], ...]:
    if step == "cramps":
        return (
            tuple(
                _button(texts, night, f"checkin.cramps.{v}", "cramps", v)
                for v in CHECKIN_ITEMS["cramps"]
            ),
            (
                _button(texts, night, "checkin.snooze", "snooze", "1"),
                _button(texts, night, "checkin.skip", "skip", "1"),
            ),
        )
    if step == "longest":
        rows: list[tuple[Button, ...]] = [
            tuple(_button(texts, night, f"checkin.longest.{v}", "longest", v) for v in pair)
            for pair in (LONGEST[:2], LONGEST[2:])
        ]
        if answers.get("now") is not True:
            rows.append((_button(texts, night, "checkin.now.button", "now", "1"),))
        return tuple(rows)
    if step == "twitch":
        return tuple((_button(texts, night, f"checkin.twitch.{v}", "twitch", v),) for v in TWITCH)
    if step == "factors":
        ticked = _ticks(answers)
        toggles = []
        for toggle in TOGGLES:
            name = texts.raw_text(f"checkin.factor.{toggle}")
            on = toggle in ticked
            # Boxes like the questionnaire's lists, so ticking looks the same everywhere.
            box = "checkin.ticked" if on else "checkin.unticked"
            text = texts.raw_text(box).format(label=name)
            # the button carries the state it asks for: pressing a ticked one unticks it
            toggles.append(Button(text, checkin_data(night, toggle, "0" if on else "1")))
        # One per row: the longer labels would be cut off in half-width buttons on a phone.
        rows = [(toggle,) for toggle in toggles]
        rows.append((_button(texts, night, "checkin.done", "factors", "done"),))
        return tuple(rows)
    return _yes_no(texts, night, step)  # woke, calf, urine, weak


def _summary(texts: Texts, answers: Mapping[str, Any]) -> list[str]:
    count = cramp_count(answers)
    lines = [fill(texts, "checkin.summary.cramps", value=label(texts, f"checkin.cramps.{count}"))]
    if had_cramps(answers):
        longest = label(texts, f"checkin.longest.{answers.get('longest')}")
        lines.append(fill(texts, "checkin.summary.longest", value=longest))
        woke = label(texts, "checkin.yes" if answers.get("woke") is True else "checkin.no")
        lines.append(fill(texts, "checkin.summary.woke", value=woke))
    twitch = label(texts, f"checkin.twitch.{answers.get('twitch')}")
    lines.append(fill(texts, "checkin.summary.twitch", value=twitch))
    factors = [f for f in FACTORS if f in factors_of(answers)]
    listed = (
        Html(", ".join(texts.text(f"checkin.factor.{f}") for f in factors))
        if factors
        else label(texts, "checkin.summary.nofactors")
    )
    lines.append(fill(texts, "checkin.summary.factors", value=listed))
    return lines


def render_checkin(
    texts: Texts,
    night: date,
    answers: Mapping[str, Any],
    *,
    ask_weakness: bool,
    warnings: Sequence[DiaryWarning] = (),
    held: date | None = None,
) -> Screen:
    """The check-in message for its current step; once complete, a short thank-you with a
    summary and `warnings` (from bot.diary.rules, already filtered for repeats) or a calm line.

    A cramp going on right now (urgent) and dark urine (emergency) are shown from the answers
    themselves, whether or not the caller passed them in `warnings`. `held`: a warning sign
    is there but was shown in the last week (on that local day), so the calm line would be
    wrong.
    """
    step = next_step(answers, ask_weakness=ask_weakness)
    if step is None:
        return _render_done(texts, night, answers, warnings, held)

    parts = [f"<b>{fill(texts, 'checkin.header', night=short_date(night))}</b>"]
    if answers.get("now") is True:
        # Until the check-in is finished, the advice for a cramp that will not ease stays up.
        urgent = texts.text("diary.level.urgent")
        parts.append(f"<b>{urgent}</b>\n{texts.text('checkin.now.advice')}")
        parts.append(texts.text("checkin.now.later"))
    steps = _planned_steps(answers, ask_weakness=ask_weakness)
    position = steps.index(step) + 1 if step in steps else len(steps)
    progress = texts.text("checkin.progress", step=position, total=len(steps))
    parts.append(f"<i>{progress}</i>\n{texts.text(f'checkin.ask.{step}')}")
    return Screen("\n\n".join(parts), _step_buttons(texts, night, step, answers))


def _render_done(
    texts: Texts,
    night: date,
    answers: Mapping[str, Any],
    warnings: Sequence[DiaryWarning],
    held: date | None,
) -> Screen:
    shown = list(warnings)
    reasons = {w.reason for w in shown}
    shown += [w for w in immediate_warnings(answers, texts=texts) if w.reason not in reasons]
    shown.sort(key=lambda w: LEVELS.index(w.level), reverse=True)
    thanks = f"<b>{fill(texts, 'checkin.thanks', night=short_date(night))}</b>"
    if shown and shown[0].level == "emergency":
        # the emergency advice stands alone at the top: nothing should distract from it
        return Screen("\n\n".join([w.text for w in shown if w.level == "emergency"] + [thanks]))
    parts = [thanks, "\n".join(_summary(texts, answers))]
    if shown:
        # One heading per level: two "see a doctor" signs read as one piece of advice.
        headed: set[str] = set()
        for warning in shown:
            again = warning.level in headed and warning.body
            parts.append(warning.body if again else warning.text)
            headed.add(warning.level)
    elif held is not None:
        parts.append(texts.text("checkin.calm.held", date=short_date(held)))
    else:
        parts.append(
            texts.text("checkin.calm.cramps" if had_cramps(answers) else "checkin.calm.quiet")
        )
    return Screen("\n\n".join(parts))
