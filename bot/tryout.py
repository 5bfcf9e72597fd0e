"""`cramp-bot try`: talk to the bot in the terminal, with no token and no network.

The bot is the production one: `build_application` with the real handlers, content and SQLite
storage; only the Bot API is replaced, by the in-process emulator (no sockets at all). The
person is "Alex" (user 1001) in a private chat.

What the terminal shows:

- Every bot message as the person would see it: Telegram HTML rendered to plain text (bold,
  italic and underline as ANSI styles only when stdout is a terminal), links followed by their
  address, buttons numbered `[1] ...`. A number always presses a button of the NEWEST message
  that has buttons, like the keyboard under the last question.
- An edit replaces the message. On a terminal the conversation tail is cleared and redrawn; when
  stdout is not a terminal (a pipe, a file, a script run) the edited message is printed again,
  marked "(edited)", because printed lines cannot change.
- A button's short answer (Telegram's toast) as `(notice: ...)`.
- Files (from /export) are written to a folder (--files, else a new temporary folder that is
  kept after the session) and their path printed.

Time: one MovableClock is shared by storage, handlers and the reminder dispatcher. With
`--now "2026-11-26 08:00"` it is frozen at that moment (UTC unless a zone follows, e.g.
`2026-11-26 08:00 Europe/Berlin` or `2026-11-26T08:00+01:00`) and moves only when told to;
without --now it follows the real time (`:now` freezes it too). The reminder dispatcher runs
once right after start-up and once after every move (`:now`, `:advance`), so a morning check-in
that is due arrives at once; while the clock is frozen the once-a-minute reminder job is paused
(see `hold_timed_jobs`).

A handler that crashes ends the wait for the bot at once (the error handler registered here
sees it): the person is told "the bot failed: KeyError: ..." instead of waiting out a timeout,
and the log line on stderr has no traceback (see `quiet_logging`).

Scripted mode (`--script FILE`): see `parse_script`; a failed `expect` names the file and line
and shows what the bot showed instead, and the run exits 1.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import shlex
import shutil
import sys
import tempfile
import threading
import traceback
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.app import Deps, build_application, running
from bot.clock import MovableClock
from bot.config import Settings
from bot.content import ContentError, load_content
from bot.fakeapi.conversation import Conversation, NoSuchButton, application_idle
from bot.fakeapi.emulator import BotApiEmulator, HarnessTimeout, HistoryEvent, SentMessage
from bot.fakeapi.inprocess import InProcessRequest
from bot.storage import PRIVATE_DIR, PRIVATE_FILE, Storage, StorageError

USER_ID = 1001
FIRST_NAME = "Alex"

HELP = """\
Type to talk to the bot:
  /start, /help, ...     send a command (or any text) as a message
  1, 2, ...              press that button of the newest message with buttons
  :send TEXT             send TEXT as a message even if it looks like a number
  :now 2026-11-26 08:00  set the clock (UTC, or add a zone: ... 08:00 Europe/Berlin)
  :advance 1d            move the clock forward (d, h, m; e.g. 2h, 1d12h, 30m)
  :help                  this list
  Ctrl-D                 leave (the throw-away database is deleted unless --db was given)"""

_BOLD, _ITALIC, _UNDERLINE, _STRIKE = "1", "3", "4", "9"
_ANSI_STYLES = {
    "bold": _BOLD,
    "italic": _ITALIC,
    "underline": _UNDERLINE,
    "strikethrough": _STRIKE,
    "text_link": _UNDERLINE,
}
_DURATION_RE = re.compile(r"(\d+)\s*([dhm])")


class TryError(Exception):
    """Something the person asked for cannot be done; the message says why, in one line."""


class BotFailed(TryError):
    """A handler of the bot raised while handling what the person did."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(f"the bot failed: {describe_error(error)}")


def describe_error(error: BaseException) -> str:
    """`KeyError: 'q.back' (bot/render.py:75)`: type, message and where it was raised."""
    text = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
    frames = traceback.extract_tb(error.__traceback__)
    if frames:
        where = Path(frames[-1].filename)
        text += f" ({where.parent.name}/{where.name}:{frames[-1].lineno})"
    return text


# ---------------------------------------------------------------------- time


def parse_moment(text: str) -> datetime:
    """Reads "2026-11-26 08:00" (UTC), "2026-11-26 08:00 Europe/Berlin", or ISO-8601 with an
    offset ("2026-11-26T08:00+01:00", "...Z"); returns an aware UTC datetime."""
    raw = text.strip()
    zone: Any = UTC
    parts = raw.split()
    if len(parts) > 1 and ("/" in parts[-1] or parts[-1].upper() == "UTC" or len(parts) == 3):
        name = parts[-1]
        try:
            zone = UTC if name.upper() == "UTC" else ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise TryError(f"unknown time zone {name!r} (try Europe/Berlin or UTC)") from None
        raw = " ".join(parts[:-1])
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise TryError(
            f'cannot read the time {text.strip()!r}: write it like "2026-11-26 08:00"'
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(UTC)


def parse_duration(text: str) -> timedelta:
    """Reads "1d", "2h", "30m", "1d12h" as a timedelta; TryError otherwise."""
    cleaned = text.strip().lower()
    parts = _DURATION_RE.findall(cleaned)
    if not cleaned or _DURATION_RE.sub("", cleaned).strip():
        raise TryError(f"cannot read the duration {text.strip()!r}: write it like 1d, 2h or 30m")
    units = {"d": timedelta(days=1), "h": timedelta(hours=1), "m": timedelta(minutes=1)}
    return sum((int(amount) * units[unit] for amount, unit in parts), timedelta(0))


# ---------------------------------------------------------------------- rendering


def styled_text(text: str, entities: list[dict[str, Any]], *, ansi: bool) -> str:
    """The visible text with ANSI styles for the formatting entities (when `ansi`) and each
    link's address after its text. Entity offsets count UTF-16 code units."""
    starts: list[int] = []  # UTF-16 offset where each character begins
    position = 0
    for char in text:
        starts.append(position)
        position += 2 if ord(char) > 0xFFFF else 1
    index_of = {offset: index for index, offset in enumerate(starts)}
    index_of[position] = len(text)

    styles: list[set[str]] = [set() for _ in text]
    links: dict[int, list[str]] = {}
    for entity in entities:
        begin = index_of.get(int(entity.get("offset", 0)))
        end = index_of.get(int(entity.get("offset", 0)) + int(entity.get("length", 0)))
        if begin is None or end is None:
            continue
        code = _ANSI_STYLES.get(str(entity.get("type")))
        if code is not None:
            for index in range(begin, end):
                styles[index].add(code)
        if entity.get("type") == "text_link" and entity.get("url"):
            links.setdefault(end, []).append(str(entity["url"]))

    out: list[str] = []
    current: set[str] = set()
    for index, char in enumerate(text):
        for url in links.get(index, []):
            out.append(_switch(current, set(), ansi) + f" <{url}>")
            current = set()
        wanted = styles[index] if ansi else set()
        if wanted != current:
            out.append(_switch(current, wanted, ansi))
            current = wanted
        out.append(char)
    out.append(_switch(current, set(), ansi))
    for url in links.get(len(text), []):
        out.append(f" <{url}>")
    return "".join(out)


def _first_line(text: str, width: int = 50) -> str:
    line = text.strip().split("\n", 1)[0]
    return f"“{line[:width]}…”" if len(line) > width else f"“{line}”"


def _switch(current: set[str], wanted: set[str], ansi: bool) -> str:
    if not ansi or current == wanted:
        return ""
    codes = ";".join(["0", *sorted(wanted)])
    return f"\x1b[{codes}m"


def render_message(
    message: SentMessage, *, ansi: bool, numbered: bool, mark: str = ""
) -> list[str]:
    """A bot message as terminal lines: `bot> ` (and `mark`, e.g. "(edited) ") then the text,
    indented, then the buttons one keyboard row per line (numbered when `numbered`)."""
    prefix = "bot> "
    indent = " " * len(prefix)
    body = styled_text(message.text, message.entities, ansi=ansi) if message.text else ""
    lines = body.split("\n") if body else [""]
    rendered = [prefix + mark + lines[0]] + [indent + line if line else "" for line in lines[1:]]
    number = 0
    for row in message.keyboard:
        cells = []
        for button in row:
            number += 1
            cells.append(f"[{number}] {button.text}" if numbered else f"[ {button.text} ]")
        rendered.append(indent + "   ".join(cells))
    return rendered


@dataclass
class _Entry:
    kind: str  # "you", "bot", "note"
    text: str = ""
    message_id: int = 0


@dataclass
class Transcript:
    """Listens to the emulator and shows the chat; remembers what the bot showed lately (for
    `expect`) and writes documents to `files_dir`."""

    emulator: BotApiEmulator
    chat_id: int
    out: TextIO
    tty: bool
    files_dir: Callable[[], Path]
    entries: list[_Entry] = field(default_factory=list)
    shown: list[str] = field(default_factory=list)  # plain text shown since the last action
    _printed: dict[int, str] = field(default_factory=dict)  # message id -> text last printed

    def start_action(self) -> None:
        self.shown.clear()

    def you(self, text: str, *, echo: bool) -> None:
        self.entries.append(_Entry("you", text))
        if echo:
            self._print([f"you> {text}"])

    def note(self, text: str) -> None:
        self.entries.append(_Entry("note", text))
        self._print([text])

    def on_event(self, event: HistoryEvent) -> None:
        if event.chat_id != self.chat_id:
            return
        message = self.emulator.message(event.chat_id, event.message_id)
        if event.kind == "answered":
            if event.text:
                self.shown.append(event.text)
                self.note(f"(notice: {event.text})")
            return
        if message is None or event.kind not in ("sent", "edited", "deleted", "document"):
            return
        if event.kind == "document":
            self._save_document(message)
            return
        before = self._printed.get(message.message_id)
        self._printed[message.message_id] = message.text
        if event.kind == "sent":
            self.entries.append(_Entry("bot", message_id=message.message_id))
            self.shown.append(self._plain(message))
            self._print(self._render(message))
            return
        if event.kind == "edited" and message.text != before:
            self.shown.append(self._plain(message))
        elif event.kind == "edited" and message.keyboard:
            # Only the buttons are new; the text was there before, so `expect` must not find
            # it again (it would pass on an old message).
            plain = render_message(message, ansi=False, numbered=True)
            self.shown.append("\n".join(plain[-len(message.keyboard) :]))
        if self.tty:
            self._redraw()
        elif event.kind == "edited" and message.text == before:
            # Only the buttons changed (typically taken away after a press): say so briefly
            # instead of repeating a long text the person has just read.
            what = "new buttons" if message.keyboard else "buttons removed"
            self._print([f"bot> (edited: {what}) {_first_line(message.text)}"])
            if message.keyboard:
                self._print(self._render(message)[-len(message.keyboard) :])
        elif event.kind == "edited":
            self._print(self._render(message, mark="(edited) "))
        else:
            self._print([f"bot> (deleted) {_first_line(message.text)}"])

    def _save_document(self, message: SentMessage) -> None:
        document = message.document
        assert document is not None
        folder = self.files_dir()
        name = Path(document.file_name).name or f"file-{message.message_id}"
        path = folder / name
        counter = 1
        while path.exists():
            counter += 1
            path = folder / f"{Path(name).stem}-{counter}{Path(name).suffix}"
        write_private(path, document.data)
        caption = f" {message.text}" if message.text else ""
        line = f"[file {name}, {len(document.data)} bytes, saved to {path}]{caption}"
        self.entries.append(_Entry("note", f"bot> {line}"))
        self.shown.append(f"{name} {message.text}")
        self._print([f"bot> {line}"])

    def _plain(self, message: SentMessage) -> str:
        return "\n".join(render_message(message, ansi=False, numbered=True))

    def _render(self, message: SentMessage, *, mark: str = "") -> list[str]:
        newest = self._newest_keyboard_id()
        numbered = message.message_id == newest
        return render_message(message, ansi=self.tty, numbered=numbered, mark=mark)

    def _newest_keyboard_id(self) -> int | None:
        for message in reversed(self.emulator.messages(self.chat_id)):
            if message.keyboard:
                return message.message_id
        return None

    def _redraw(self) -> None:
        lines: list[str] = []
        for entry in self.entries:
            if entry.kind == "you":
                lines.append(f"you> {entry.text}")
            elif entry.kind == "note":
                lines.append(entry.text)
            else:
                message = self.emulator.message(self.chat_id, entry.message_id)
                if message is not None and not message.deleted:
                    lines.extend(self._render(message))
        height = shutil.get_terminal_size().lines
        self.out.write("\x1b[H\x1b[2J")
        self._print(lines[-max(height - 2, 5) :])

    def _print(self, lines: list[str]) -> None:
        self.out.write("\n".join(lines) + "\n")
        self.out.flush()


# ---------------------------------------------------------------------- the session


@dataclass
class TrySession:
    """The running bot plus one person talking to it; each method is one thing they do."""

    app: Any
    deps: Deps
    clock: MovableClock
    conversation: Conversation
    transcript: Transcript
    errors: list[BaseException]
    echo: bool
    crashed: asyncio.Event = field(default_factory=asyncio.Event)

    def bot_failed(self, error: BaseException) -> None:
        """Called by the application's error handler for every exception a handler raised."""
        self.errors.append(error)
        self.crashed.set()

    async def send(self, text: str) -> None:
        self.transcript.start_action()
        self.transcript.you(text, echo=self.echo)
        await self._until_handled(self.conversation.send(text))

    async def press_number(self, number: int) -> None:
        self.transcript.start_action()
        message = self.conversation.newest_keyboard_message()
        if message is None:
            raise TryError("there are no buttons to press yet")
        buttons = [button for row in message.keyboard for button in row]
        if not 1 <= number <= len(buttons):
            raise TryError(
                f"there is no button {number}: the newest message with buttons has "
                f"{len(buttons)} (1 to {len(buttons)})"
            )
        button = buttons[number - 1]
        if button.callback_data is None:
            raise TryError(f"button {number} opens a link in the browser: {button.url}")
        self.transcript.you(f"[{number}] {button.text}", echo=self.echo)
        await self._until_handled(
            self.conversation.press_data(button.callback_data, message_id=message.message_id)
        )

    async def press_label(self, label: str) -> None:
        self.transcript.start_action()
        message = self.conversation.newest_keyboard_message()
        if message is None:
            raise TryError("there are no buttons to press yet")
        try:
            data = self.conversation.callback_data(label)
        except NoSuchButton as error:
            raise TryError(str(error)) from None
        button = next(b for row in message.keyboard for b in row if b.callback_data == data)
        self.transcript.you(f"[{button.text}]", echo=self.echo)
        await self._until_handled(
            self.conversation.press_data(data, message_id=message.message_id)
        )

    async def set_now(self, moment: datetime) -> None:
        self.transcript.start_action()
        self.clock.set(moment, frozen=True)
        self.hold_timed_jobs()
        self.transcript.note(f"(the clock now says {describe(self.clock.now())})")
        await self._until_handled(self._send_due_check_ins())

    async def advance(self, delta: timedelta) -> None:
        self.transcript.start_action()
        self.clock.advance(delta)
        self.transcript.note(f"(the clock now says {describe(self.clock.now())})")
        await self._until_handled(self._send_due_check_ins())

    async def catch_up(self) -> None:
        """Sends the check-ins already due when the session starts: with a frozen clock the
        reminder job never runs, and even on real time its first tick is up to a minute away."""
        self.transcript.start_action()
        await self._until_handled(self._send_due_check_ins())

    def hold_timed_jobs(self) -> None:
        """While the clock is frozen, PTB's timed jobs (the once-a-minute reminder tick) are
        paused: nothing can fall due without a clock move, and each move runs the dispatcher
        itself. A job tick racing that run could make it return early (a tick already runs)
        while its sends are still on the way, and `expect` would miss them."""
        queue = self.app.job_queue
        if queue is not None and queue.scheduler.running:
            queue.scheduler.pause()

    async def _send_due_check_ins(self) -> None:
        dispatcher = self.deps.dispatcher
        if dispatcher is None:  # pragma: no cover - the bot's start-up always installs it
            raise TryError("the reminder dispatcher did not start")
        try:
            report = await dispatcher.tick()
        except Exception as error:  # shown to the person; the session itself goes on
            raise BotFailed(error) from error
        await self.conversation.wait_idle()
        if report.failed:
            # The dispatcher logged why (one line each) and carries on for everybody else;
            # here there is only one person, so their missing check-in is the news.
            raise TryError(f"{report.failed} due check-in(s) could not be sent (see the log)")

    async def _until_handled(self, work: Awaitable[object]) -> None:
        """Waits for `work` (the bot handling one thing), but a handler crash ends the wait
        at once: the crashed handler may never answer the press, and waiting out the
        conversation's timeout would hide the real error behind "timed out"."""
        self.errors.clear()
        self.crashed.clear()
        waiting = asyncio.ensure_future(work)
        crash = asyncio.ensure_future(self.crashed.wait())
        try:
            await asyncio.wait({waiting, crash}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            crash.cancel()
            if not waiting.done():
                waiting.cancel()
                await asyncio.wait({waiting})
        if not self.errors:
            await waiting  # its TryError or HarnessTimeout, if any
            return
        if not waiting.cancelled():
            # Taken so asyncio does not warn about it: the crash is the cause, and a
            # follow-on error would only confuse.
            waiting.exception()
        # Let the error handler's apology (a message to the person) reach the screen.
        with contextlib.suppress(HarnessTimeout):
            await self.conversation.wait_idle()
        raise BotFailed(self.errors[0])


def describe(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%a %Y-%m-%d %H:%M UTC")


@contextlib.asynccontextmanager
async def open_session(
    *,
    db: Path,
    now: datetime | None,
    out: TextIO,
    tty: bool,
    echo: bool,
    files_dir: Callable[[], Path],
) -> AsyncIterator[TrySession]:
    """The production Application on the in-process emulator, running, with one person."""
    content = load_content()
    clock = MovableClock(now, frozen=True) if now is not None else MovableClock()
    emulator = BotApiEmulator(now=lambda: clock.now().timestamp())
    storage = await Storage.open(db)
    try:
        settings = Settings(token=emulator.token, db_path=db)
        deps = Deps(settings=settings, content=content, storage=storage, clock=clock)
        app = build_application(
            deps,
            request=InProcessRequest(emulator),
            get_updates_request=InProcessRequest(emulator),
        )
        conversation = Conversation(
            emulator, USER_ID, first_name=FIRST_NAME, idle_check=application_idle(app)
        )
        transcript = Transcript(emulator, USER_ID, out, tty, files_dir)
        session = TrySession(app, deps, clock, conversation, transcript, [], echo)

        async def report(update: object, context: Any) -> None:
            if context.error is not None:
                session.bot_failed(context.error)

        # Added after the production handler (handlers/errors.py), so by the time this one
        # runs the person has had the bot's apology; it only tells the session.
        app.add_error_handler(report)
        unsubscribe = emulator.subscribe(transcript.on_event)
        try:
            async with running(app, poll_timeout=10):
                if now is not None:
                    session.hold_timed_jobs()
                yield session
        finally:
            unsubscribe()
    finally:
        await storage.close()


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


# ---------------------------------------------------------------------- entry points


async def try_main(
    *,
    db: Path | None = None,
    now: str | None = None,
    script: Path | None = None,
    files: Path | None = None,
    stdin: TextIO | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """The async core of `cramp-bot try`; returns the exit code."""
    stdin = sys.stdin if stdin is None else stdin
    out = sys.stdout if out is None else out
    err = sys.stderr if err is None else err
    tty = _isatty(out)
    try:
        start = parse_moment(now) if now is not None else None
        steps = None
        if script is not None:
            text = await asyncio.to_thread(script.read_text, encoding="utf-8")
            steps = parse_script(text, str(script))
    except TryError as error:
        print(f"cramp-bot try: {error}", file=err)
        return 2
    except OSError as error:
        print(f"cramp-bot try: cannot read the script: {error}", file=err)
        return 2
    except UnicodeDecodeError as error:
        print(
            f"cramp-bot try: cannot read the script {script}: it is not UTF-8 text "
            f"(byte 0x{error.object[error.start]:02x} at position {error.start})",
            file=err,
        )
        return 2
    if files is not None:
        try:
            await asyncio.to_thread(check_files_dir, files)
        except TryError as error:
            print(f"cramp-bot try: {error}", file=err)
            return 2

    made_files: list[Path] = []

    def files_dir() -> Path:
        if files is not None:
            make_private_dir(files)
            return files
        if not made_files:
            made_files.append(Path(tempfile.mkdtemp(prefix="cramp-bot-files-")))
        return made_files[0]

    with contextlib.ExitStack() as stack:
        if db is None:
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="cramp-bot-")))
            db = folder / "try.db"
        interactive_tty = steps is None and _isatty(stdin)
        try:
            async with open_session(
                db=db,
                now=start,
                out=out,
                tty=tty,
                echo=not interactive_tty,
                files_dir=files_dir,
            ) as session:
                if steps is not None:
                    try:
                        await session.catch_up()
                    except (TryError, HarnessTimeout) as error:
                        print(f"{script}: at the start: {error}", file=err)
                        return 1
                    return await run_steps(session, steps, str(script), err)
                clock = describe(session.clock.now())
                session.transcript.note(
                    f"cramp-bot try: you are {FIRST_NAME}, talking to the real bot with a "
                    f"stand-in for Telegram (clock: {clock}).\n"
                    "Type /start to begin, a number to press a button, :help for more, "
                    "Ctrl-D to leave."
                )
                try:
                    await session.catch_up()
                except (TryError, HarnessTimeout) as error:
                    session.transcript.note(f"(!) {error}")
                return await interact(
                    session, stdin, out, prompt="you> " if interactive_tty else ""
                )
        except ContentError as error:
            for line in error.problems:
                print(line, file=err)
            return 1
        except StorageError as error:
            print(f"cramp-bot try: {db}: {error}", file=err)
            return 2
    return 0  # pragma: no cover - every path above returns


def make_private_dir(folder: Path) -> None:
    """Create `folder` and any missing parents 0700 whatever the umask (exports are health
    data); a folder that already exists is left as its owner set it."""
    missing = [p for p in (folder, *folder.parents) if not p.exists()]
    folder.mkdir(parents=True, exist_ok=True)
    for made in missing:
        made.chmod(PRIVATE_DIR)


def write_private(path: Path, data: bytes) -> None:
    """A new file readable by its owner only, whatever the umask."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    with os.fdopen(fd, "wb") as out:
        os.fchmod(out.fileno(), PRIVATE_FILE)
        out.write(data)


def check_files_dir(folder: Path) -> None:
    """Makes sure files from the bot can be saved in `folder` (creating it), so a bad --files
    is refused at the start, in one line, instead of failing at the first /export."""
    if folder.exists() and not folder.is_dir():
        raise TryError(f"--files {folder}: it is a file, not a folder")
    try:
        make_private_dir(folder)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as error:
        reason = error.strerror or str(error)
        raise TryError(f"--files {folder}: cannot save files there ({reason})") from None


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


class OneLineFormatter(logging.Formatter):
    """A log record as one line: an exception as its type, message and place, never a
    traceback, which would push the conversation off a terminal."""

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        if record.exc_info and record.exc_info[1] is not None:
            line += f": {describe_error(record.exc_info[1])}"
        return line

    def formatException(self, ei: Any) -> str:
        return ""


def quiet_logging() -> None:
    """Warnings and errors only, to stderr, one line each: the terminal is the conversation."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(OneLineFormatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)


def run_try(
    db: Path | None = None,
    now: str | None = None,
    script: Path | None = None,
    files: Path | None = None,
) -> int:
    """`cramp-bot try`: 0 on a clean exit (EOF, or every script expectation met)."""
    quiet_logging()
    try:
        return asyncio.run(try_main(db=db, now=now, script=script, files=files))
    except KeyboardInterrupt:
        print("", file=sys.stderr)
        return 130
