"""The entry point of `cramp-bot try`: open the session, then run a script or the terminal."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
import tempfile
from pathlib import Path
from typing import Any, TextIO

from bot.content.model import ContentError
from bot.fakeapi.records import HarnessTimeout
from bot.storage import PRIVATE_DIR, StorageError
from bot.tryout.repl import interact
from bot.tryout.script import parse_script, run_steps
from bot.tryout.session import (
    FIRST_NAME,
    TryError,
    describe,
    describe_error,
    open_session,
    parse_moment,
)

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
