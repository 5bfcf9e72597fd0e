"""`cramp-bot`: run the bot, check the content, try it in the terminal, or operate it."""

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
    run = sub.add_parser(
        "run", help="run the bot: long polling, or a webhook with CRAMP_BOT_WEBHOOK_URL"
    )
    mode = run.add_mutually_exclusive_group()
    mode.add_argument(
        "--webhook",
        action="store_true",
        help="receive updates by webhook (needs CRAMP_BOT_WEBHOOK_URL; on when it is set)",
    )
    mode.add_argument(
        "--polling",
        action="store_true",
        help="long polling even when CRAMP_BOT_WEBHOOK_URL is set (deletes the webhook)",
    )
    sub.add_parser(
        "health",
        help="exit 0 when the database answers and the minute tick ran in the last 3 minutes",
    )
    sub.add_parser("stats", help="usage counts from the database (aggregates only)")
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


async def _serve(settings: Settings, *, webhook_secret: str | None = None) -> int:
    from telegram.error import BadRequest, InvalidToken, NetworkError, RetryAfter

    from bot.clock import SystemClock
    from bot.content.load import load_content
    from bot.content.model import ContentError
    from bot.logs import event
    from bot.operator.health import check, notify_systemd
    from bot.storage import Storage, StorageError
    from bot.wiring.app import build_application, running
    from bot.wiring.deps import Deps
    from bot.wiring.retry_after import retry_seconds
    from bot.wiring.webhook import ListenError, running_webhook

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
    clock = SystemClock()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    mode = "webhook" if webhook_secret is not None else "polling"
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
            deps = Deps(settings, content, storage, clock)
            deps.stop_with = stop_with
            application = build_application(deps)
            receiving: contextlib.AbstractAsyncContextManager[object]
            if webhook_secret is not None:
                assert settings.webhook_url is not None
                receiving = running_webhook(
                    application,
                    webhook_url=settings.webhook_url,
                    secret=webhook_secret,
                    listen=settings.listen,
                    health=lambda: check(storage, clock.now()),
                )
            else:
                receiving = running(application, poll_timeout=10)
            try:
                async with receiving:
                    event(log, "started", mode=mode, content=content.version)
                    notify_systemd("READY=1")
                    delay = 1.0
                    await stop.wait()
                    notify_systemd("STOPPING=1")
                    event(log, "stopping", mode=mode)
            except InvalidToken:
                print(f"cramp-bot: Telegram refused the token. {TOKEN_HELP}", file=sys.stderr)
                return EXIT_CONFIG
            except ListenError as error:
                print(f"CRAMP_BOT_LISTEN: {error}.", file=sys.stderr)
                return EXIT_CONFIG
            except RetryAfter as error:
                # Flood control while starting: wait as told (at least), then start again.
                wait = max(retry_seconds(error), delay)
                event(log, "start_flood_wait", level=logging.WARNING, seconds=round(wait))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=wait)
                delay = min(delay * 2, 60.0)
            except NetworkError as error:
                if isinstance(error, BadRequest):
                    if webhook_secret is not None:
                        # setWebhook refused (an http:// URL, a port Telegram does not
                        # deliver to, a name it cannot resolve): a setting to fix.
                        print(
                            f"CRAMP_BOT_WEBHOOK_URL: Telegram refused it: {error.message}",
                            file=sys.stderr,
                        )
                        return EXIT_CONFIG
                    raise
                # Telegram (or the configured Bot API server) is not reachable yet: keep
                # trying, more slowly each time, until it is or we are told to stop.
                event(
                    log,
                    "api_unreachable",
                    level=logging.WARNING,
                    error=type(error).__name__,
                    retry_in=round(delay),
                )
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=delay)
                delay = min(delay * 2, 60.0)
    finally:
        await storage.close()
    return exit_code


def run_command(args: argparse.Namespace) -> int:
    from bot.logs import setup_logging
    from bot.wiring.webhook import new_secret

    try:
        settings = load_settings()
        check_database_path(settings.db_path)
        webhook = args.webhook or (settings.webhook_url is not None and not args.polling)
        if webhook and settings.webhook_url is None:
            raise ConfigError(
                "--webhook needs CRAMP_BOT_WEBHOOK_URL, the public https:// address that "
                "Telegram should deliver updates to."
            )
    except ConfigError as error:
        print(f"cramp-bot: {error}", file=sys.stderr)
        return EXIT_CONFIG
    secret = (settings.webhook_secret or new_secret()) if webhook else None
    setup_logging(
        token=settings.token, secrets=[secret] if secret else [], level=settings.log_level
    )
    return asyncio.run(_serve(settings, webhook_secret=secret))


def _operator_settings() -> Settings:
    settings = load_settings(need_token=False)
    if not settings.db_path.is_file():
        raise ConfigError(f"CRAMP_BOT_DB: there is no database at {settings.db_path}.")
    return settings


def health_command() -> int:
    from datetime import UTC, datetime

    from bot.operator.health import check_file

    try:
        settings = _operator_settings()
    except ConfigError as error:
        print(f"unhealthy: {error}")
        return 1
    health = asyncio.run(check_file(settings.db_path, datetime.now(UTC)))
    print(health.line)
    return 0 if health.ok else 1


def stats_command() -> int:
    from datetime import UTC, datetime

    from bot.operator.stats import render
    from bot.storage import Storage, StorageError

    async def counts() -> list[str]:
        storage = await Storage.open_readonly(settings.db_path)
        try:
            return render(await storage.usage_counts(datetime.now(UTC)))
        finally:
            await storage.close()

    try:
        settings = _operator_settings()
        lines = asyncio.run(counts())
    except (ConfigError, StorageError) as error:
        print(f"cramp-bot: {error}", file=sys.stderr)
        return EXIT_CONFIG
    print("\n".join(lines))
    return 0


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
        return run_command(args)
    if args.command == "backup":
        return backup_command(args)
    if args.command == "health":
        return health_command()
    if args.command == "stats":
        return stats_command()
    command = check_command if args.command == "check-content" else try_command
    try:
        return command(args)
    except BrokenPipeError:
        # `cramp-bot check-content | head`: the reader left; no traceback for that.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


if __name__ == "__main__":
    sys.exit(main())
