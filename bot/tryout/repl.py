"""Typed lines in a terminal: a number presses a button, `/cmd` or text is sent, `:` lines
control the session.
"""

from __future__ import annotations

import asyncio
import sys
import threading
from typing import TextIO

from bot.fakeapi.records import HarnessTimeout
from bot.tryout.session import HELP, TryError, TrySession, describe, parse_duration, parse_moment

# ---------------------------------------------------------------------- interactive


class LineReader:
    """Reads stdin on a daemon thread, one line when asked, so the bot's event loop keeps
    running while the person types and Ctrl-C / exit never wait for a blocked read."""

    def __init__(self, stdin: TextIO, prompt: str) -> None:
        self._stdin = stdin
        self._prompt = prompt
        self._loop = asyncio.get_running_loop()
        self._lines: asyncio.Queue[str | None] = asyncio.Queue()
        self._want = threading.Event()
        threading.Thread(target=self._run, name="cramp-bot-try-input", daemon=True).start()

    async def readline(self) -> str | None:
        """The next line without its newline, or None at end of input."""
        self._want.set()
        return await self._lines.get()

    def _run(self) -> None:
        while True:
            self._want.wait()
            self._want.clear()
            try:
                if self._prompt and self._stdin is sys.stdin:
                    line: str | None = input(self._prompt)
                else:
                    raw = self._stdin.readline()
                    line = raw.rstrip("\n") if raw else None
            except EOFError:
                line = None
            except Exception:  # a closed or broken stdin ends the session like EOF
                line = None
            self._loop.call_soon_threadsafe(self._lines.put_nowait, line)
            if line is None:
                return


async def interact(session: TrySession, stdin: TextIO, out: TextIO, *, prompt: str) -> int:
    """Reads lines until EOF; each one is a message, a button number or a `:` command."""
    reader = LineReader(stdin, prompt)
    while True:
        line = await reader.readline()
        if line is None:
            print("\nBye.", file=out)
            return 0
        try:
            await handle_line(session, line.strip())
        except TryError as error:
            session.transcript.note(f"(!) {error}")
        except HarnessTimeout as error:
            session.transcript.note(f"(!) the bot did not finish in time: {error}")


async def handle_line(session: TrySession, line: str) -> None:
    if not line:
        return
    if line.isdigit():
        await session.press_number(int(line))
        return
    if not line.startswith(":"):
        await session.send(line)
        return
    command, _, argument = line[1:].partition(" ")
    command, argument = command.lower(), argument.strip()
    if command == "help":
        session.transcript.note(HELP)
    elif command == "send" and argument:
        await session.send(argument)
    elif command == "now" and argument:
        await session.set_now(parse_moment(argument))
    elif command == "now":
        session.transcript.note(f"(the clock says {describe(session.clock.now())})")
    elif command == "advance" and argument:
        await session.advance(parse_duration(argument))
    else:
        raise TryError(f"unknown command {line!r}; type :help for the list")
