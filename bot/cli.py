"""`cramp-bot`: run the bot, check the content, or try it in the terminal."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.config import TOKEN_HELP, ConfigError, Settings, load_settings

log = logging.getLogger("cramp_bot")

EXIT_CONFIG = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cramp-bot",
        description="A Telegram bot for night-time muscle cramps and twitches.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="run the bot with long polling (needs TELEGRAM_BOT_TOKEN)")
    check = sub.add_parser(
        "check-content", help="validate content/*.yaml and run the triage cases"
    )
    check.add_argument("--content", type=Path, default=None, help="content directory to check")
    check.add_argument("--diagram", type=Path, default=None, help="write a Mermaid flow diagram")
    check.add_argument(
        "--simulate", action="store_true", help="where safety answers end, and outcomes past them"
    )
    tryout = sub.add_parser("try", help="talk to the bot in this terminal: no token, no network")
    tryout.add_argument("--db", type=Path, default=None, help="keep the conversation in this file")
    tryout.add_argument(
        "--now",
        default=None,
        help='freeze the clock at "YYYY-MM-DD HH:MM" (UTC; or add a zone: "... Europe/Berlin")',
    )
    tryout.add_argument("--script", type=Path, default=None, help="run a script instead of typing")
    tryout.add_argument(
        "--files", type=Path, default=None, help="save files the bot sends (/export) here"
    )
    backup = sub.add_parser(
        "backup", help="copy the database (CRAMP_BOT_DB) to FILE, also while the bot runs"
    )
    backup.add_argument("file", type=Path, help="where to write the backup (a new file, 0600)")
    backup.add_argument(
        "--db", type=Path, default=None, help="the database to copy (default: CRAMP_BOT_DB)"
    )
    return parser


def backup_command(args: argparse.Namespace) -> int:
    from bot.backup import BackupError, backup_database

    try:
        db = args.db or load_settings(need_token=False).db_path
        size = backup_database(db, args.file)
    except (ConfigError, BackupError) as error:
        print(f"cramp-bot backup: {error}", file=sys.stderr)
        return EXIT_CONFIG
    print(f"backup of {db} written to {args.file} ({size:,} bytes, integrity check ok)")
    return 0


def check_database_path(path: Path) -> None:
    """Fail early, in one line, when the database cannot be created or opened."""
    from bot.storage import StorageError, probe_database

    try:
        probe_database(path)
    except StorageError as error:
        raise ConfigError(f"CRAMP_BOT_DB: {error}") from None


async def _serve(settings: Settings) -> int:
    from telegram.error import BadRequest, InvalidToken, NetworkError, RetryAfter

    from bot.clock import SystemClock
    from bot.content.load import load_content
    from bot.content.model import ContentError
    from bot.storage import Storage, StorageError
    from bot.wiring.app import build_application, running
    from bot.wiring.deps import Deps
    from bot.wiring.retry_after import retry_seconds

    try:
        content = load_content(settings.content_dir)
    except ContentError as error:
        for line in error.problems:
            print(line, file=sys.stderr)
        return 1
    try:
        storage = await Storage.open(settings.db_path)
    except StorageError as error:
        print(f"CRAMP_BOT_DB: {error}", file=sys.stderr)
        return EXIT_CONFIG
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    exit_code = 0

    def stop_with(code: int) -> None:
        nonlocal exit_code
        exit_code = code
        stop.set()

    delay = 1.0
    try:
        while not stop.is_set():
            # A fresh Application per attempt: a half-started one must not register its
            # hooks and jobs twice.
            deps = Deps(settings, content, storage, SystemClock())
            deps.stop_with = stop_with
            application = build_application(deps)
            try:
                async with running(application, poll_timeout=10):
                    log.info("cramp-bot is running (content %s); Ctrl-C to stop", content.version)
                    delay = 1.0
                    await stop.wait()
                    log.info("stopping")
            except InvalidToken:
                print(f"cramp-bot: Telegram refused the token. {TOKEN_HELP}", file=sys.stderr)
                return EXIT_CONFIG
            except RetryAfter as error:
                # Flood control while starting: wait as told (at least), then start again.
                wait = max(retry_seconds(error), delay)
                log.warning("Telegram asked to wait %.0f s before starting; waiting", wait)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=wait)
                delay = min(delay * 2, 60.0)
            except NetworkError as error:
                if isinstance(error, BadRequest):
                    raise
                # Telegram (or the configured Bot API server) is not reachable yet: keep
                # trying, more slowly each time, until it is or we are told to stop.
                log.warning(
                    "cannot reach the Bot API (%s); retrying in %.0f s",
                    type(error).__name__,
                    delay,
                )
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=delay)
                delay = min(delay * 2, 60.0)
    finally:
        await storage.close()
    return exit_code


def run_command() -> int:
    from bot.logs import setup_logging

    try:
        settings = load_settings()
        check_database_path(settings.db_path)
    except ConfigError as error:
        print(f"cramp-bot: {error}", file=sys.stderr)
        return EXIT_CONFIG
    setup_logging(token=settings.token, level=settings.log_level)
    return asyncio.run(_serve(settings))


def check_command(args: argparse.Namespace) -> int:
    from bot.authoring.check import run_check

    return run_check(args.content, out=sys.stdout, diagram=args.diagram, simulate=args.simulate)


def try_command(args: argparse.Namespace) -> int:
    from bot.tryout.run import run_try

    return run_try(db=args.db, now=args.now, script=args.script, files=args.files)


def main(argv: Sequence[str] | None = None) -> int:
    # python-telegram-bot 22 reports durations (RetryAfter.retry_after) as timedelta with this
    # set, and warns about the old int form without it.
    os.environ.setdefault("PTB_TIMEDELTA", "1")
    args = _parser().parse_args(argv)
    if args.command == "run":
        return run_command()
    if args.command == "backup":
        return backup_command(args)
    command = check_command if args.command == "check-content" else try_command
    try:
        return command(args)
    except BrokenPipeError:
        # `cramp-bot check-content | head`: the reader left; no traceback for that.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


if __name__ == "__main__":
    sys.exit(main())
