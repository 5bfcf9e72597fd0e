"""`cramp-bot run` refuses bad settings with one line and exit code 2, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

TOKEN = "123456789:AAEhBP0av28KdGPN7k9xQ3rUb8TqYcZxWvE"


def run_bot(env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "CRAMP_BOT_"))}
    # A port nothing listens on: should a check ever pass by mistake, the bot still cannot
    # reach the real Telegram from a test.
    clean["TELEGRAM_API_BASE_URL"] = "http://127.0.0.1:9/bot"
    clean.update(env)
    return subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        env=clean,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("env", "fragment"),
    [
        ({}, "TELEGRAM_BOT_TOKEN is not set"),
        ({"TELEGRAM_BOT_TOKEN": "12345"}, "does not look like a bot token"),
        (
            {"TELEGRAM_BOT_TOKEN": TOKEN, "CRAMP_BOT_DB": "/nonexistent-dir/sub/cramp.db"},
            "does not exist",
        ),
    ],
)
def test_bad_settings_exit_2_without_traceback(
    tmp_path: Path, env: dict[str, str], fragment: str
) -> None:
    result = run_bot(env, tmp_path)
    assert result.returncode == 2, result.stderr
    assert fragment in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert TOKEN not in result.stderr + result.stdout


def test_database_path_that_is_a_directory(tmp_path: Path) -> None:
    folder = tmp_path / "db-folder"
    folder.mkdir()
    result = run_bot({"TELEGRAM_BOT_TOKEN": TOKEN, "CRAMP_BOT_DB": str(folder)}, tmp_path)
    assert result.returncode == 2
    assert "directory" in result.stderr
    assert "Traceback" not in result.stderr


def test_database_file_that_is_not_sqlite(tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not a database, just some words " * 100)
    result = run_bot({"TELEGRAM_BOT_TOKEN": TOKEN, "CRAMP_BOT_DB": str(junk)}, tmp_path)
    assert result.returncode == 2
    assert "cannot use the database" in result.stderr and "not a database" in result.stderr
    assert "Traceback" not in result.stderr


def test_token_refused_by_telegram_exits_2(tmp_path: Path) -> None:
    """The Bot API answers 401 for a well-formed but unknown token: one line, exit 2."""
    import asyncio
    import threading

    from bot.fakeapi.emulator import BotApiEmulator
    from bot.fakeapi.http import FakeBotApiServer

    ready = threading.Event()
    holder: dict[str, object] = {}
    stop = threading.Event()

    def serve() -> None:
        async def main() -> None:
            async with FakeBotApiServer(BotApiEmulator()) as server:
                holder["url"] = server.base_url
                ready.set()
                await asyncio.to_thread(stop.wait)

        asyncio.run(main())

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        assert ready.wait(10)
        result = run_bot(
            {
                "TELEGRAM_BOT_TOKEN": TOKEN,  # not the emulator's token
                "TELEGRAM_API_BASE_URL": str(holder["url"]),
                "CRAMP_BOT_DB": str(tmp_path / "x.db"),
            },
            tmp_path,
        )
    finally:
        stop.set()
        thread.join(10)
    assert result.returncode == 2, result.stderr
    assert "refused the token" in result.stderr
    assert "Traceback" not in result.stderr
    assert TOKEN not in result.stderr


def test_broken_content_stops_run_with_one_line_per_problem(tmp_path: Path) -> None:
    import shutil

    from bot.content.load import default_content_dir

    broken = tmp_path / "content"
    shutil.copytree(default_content_dir(), broken)
    questions = broken / "questions.yaml"
    questions.write_text(
        questions.read_text(encoding="utf-8").replace(
            "flags: [chest_pain]", "flags: [chest_pian]"
        ),
        encoding="utf-8",
    )
    result = run_bot(
        {
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "CRAMP_BOT_DB": str(tmp_path / "x.db"),
            "CRAMP_BOT_CONTENT": str(broken),
        },
        tmp_path,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines
    assert all(line.startswith("content/") and ".yaml: " in line for line in lines), lines
    assert lines[0] == (
        "content/questions.yaml: questions[0].options[0].flags: unknown flag 'chest_pian'"
    )
