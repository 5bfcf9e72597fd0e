"""One try session: the production bot, an in-process Bot API, a movable clock and one
person ("Alex", user 1001) in a private chat.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import traceback
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.clock import MovableClock
from bot.config import Settings
from bot.content.load import load_content
from bot.fakeapi.conversation import Conversation, NoSuchButton, application_idle
from bot.fakeapi.emulator import BotApiEmulator
from bot.fakeapi.inprocess import InProcessRequest
from bot.fakeapi.records import HarnessTimeout
from bot.storage import Storage
from bot.tryout.transcript import Transcript
from bot.wiring.app import build_application, running
from bot.wiring.deps import Deps

WAIT_SECONDS = 30.0
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


# ---------------------------------------------------------------------- the session

# Check-ins one `:advance` stops at, at most (one a day: a year and a little more).
_MAX_STOPS = 400


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
        """Moves the clock on, stopping at each morning check-in due on the way: a real bot
        runs all along, so `:advance 1d` at midday brings the next morning's check-in rather
        than passing its window by."""
        self.transcript.start_action()
        target = self.clock.now() + delta
        for _ in range(_MAX_STOPS):
            known = await self.deps.storage.get_user(self.conversation.user_id)
            due = known.next_reminder_at if known is not None else None
            if due is None or not self.clock.now() < due <= target:
                break
            self.clock.advance(due - self.clock.now())
            self.transcript.note(f"(the clock now says {describe(self.clock.now())})")
            await self._until_handled(self._send_due_check_ins())
        self.clock.advance(target - self.clock.now())
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
            emulator,
            USER_ID,
            first_name=FIRST_NAME,
            idle_check=application_idle(app),
            # The first chart or PDF also imports the drawing libraries: seconds on a busy
            # machine, which is slow, not stuck.
            timeout=WAIT_SECONDS,
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
