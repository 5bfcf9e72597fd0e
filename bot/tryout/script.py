"""`--script FILE`: send, press, expect and move the clock, line by line; a failed `expect`
names the file and line.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TextIO

from bot.fakeapi.records import HarnessTimeout
from bot.tryout.session import TryError, TrySession, parse_duration, parse_moment

# ---------------------------------------------------------------------- scripts


@dataclass(frozen=True)
class Step:
    line: int
    verb: str  # send, press, expect, now, advance
    argument: str
    number: int | None = None  # press N
    moment: datetime | None = None
    delta: timedelta | None = None


def parse_script(text: str, name: str) -> list[Step]:
    """Script lines: `send TEXT`, `press N`, `press "Label"` (a label, or part of it),
    `expect WORDS` (case-insensitive, in what the bot sent or edited since the last action),
    `now 2026-11-26 08:00`, `advance 1d`; `#` comments and blank lines are skipped.
    Raises TryError naming `name:line` for anything else."""
    steps: list[Step] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        verb, _, argument = line.partition(" ")
        verb, argument = verb.lower(), argument.strip()
        where = f"{name}:{number}"
        if verb not in ("send", "press", "expect", "now", "advance"):
            raise TryError(
                f"{where}: unknown step {verb!r} (use send, press, expect, now or advance)"
            )
        if not argument:
            raise TryError(f"{where}: {verb} needs something after it")
        try:
            if verb == "press" and argument.isdigit():
                steps.append(Step(number, verb, argument, number=int(argument)))
            elif verb == "press":
                steps.append(Step(number, verb, _unquote(argument)))
            elif verb == "now":
                steps.append(Step(number, verb, argument, moment=parse_moment(argument)))
            elif verb == "advance":
                steps.append(Step(number, verb, argument, delta=parse_duration(argument)))
            else:
                steps.append(Step(number, verb, argument))
        except (TryError, ValueError) as error:
            raise TryError(f"{where}: {error}") from None
    return steps


def _unquote(text: str) -> str:
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        try:
            return shlex.split(text)[0]
        except ValueError:
            return text[1:-1]
    return text


async def run_steps(session: TrySession, steps: list[Step], name: str, err: TextIO) -> int:
    """Runs the steps in order; 0 when every expectation held, 1 at the first problem."""
    for step in steps:
        where = f"{name}:{step.line}"
        try:
            if step.verb == "send":
                await session.send(step.argument)
            elif step.verb == "press" and step.number is not None:
                await session.press_number(step.number)
            elif step.verb == "press":
                await session.press_label(step.argument)
            elif step.verb == "now":
                assert step.moment is not None
                await session.set_now(step.moment)
            elif step.verb == "advance":
                assert step.delta is not None
                await session.advance(step.delta)
            elif not _shown_contains(session.transcript.shown, step.argument):
                shown = "\n".join(session.transcript.shown) or "(nothing)"
                print(
                    f"{where}: expected {step.argument!r}, but since the previous step the bot "
                    f"showed:\n{_indent(shown)}",
                    file=err,
                )
                return 1
        except (TryError, HarnessTimeout) as error:
            print(f"{where}: {step.verb} {step.argument}: {error}", file=err)
            return 1
    return 0


def _shown_contains(shown: list[str], words: str) -> bool:
    wanted = " ".join(words.lower().split())
    return any(wanted in " ".join(text.lower().split()) for text in shown)


def _indent(text: str) -> str:
    return "\n".join(f"  | {line}" for line in text.split("\n"))
