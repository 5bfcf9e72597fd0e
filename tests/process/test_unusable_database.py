"""Databases the bot cannot use stop `cramp-bot run` at start: exit 2, one line, no hang."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import stat
import subprocess
import tempfile
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.storage import Storage, StorageError
from tests.process.test_cli_errors import TOKEN, run_bot

NOBODY = 65534


def make_database(path: Path) -> None:
    """A database as the bot leaves it: migrated, one person in it."""

    async def build() -> None:
        storage = await Storage.open(path)
        await storage.upsert_user(7, 7, datetime(2026, 1, 1, tzinfo=UTC))
        await storage.close()

    asyncio.run(build())


def one_line_exit_2(result: subprocess.CompletedProcess[str], fragment: str) -> None:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert fragment in lines[0]


def test_impossible_schema_version_exits_2(tmp_path: Path) -> None:
    db = tmp_path / "cramp.db"
    make_database(db)
    with closing(sqlite3.connect(db)) as connection:
        connection.execute("PRAGMA user_version = -3")
        connection.commit()
    result = run_bot({"TELEGRAM_BOT_TOKEN": TOKEN, "CRAMP_BOT_DB": str(db)}, tmp_path)
    one_line_exit_2(result, "schema version -3")


async def test_failed_start_closes_the_connection(tmp_path: Path) -> None:
    db = tmp_path / "cramp.db"
    await asyncio.to_thread(make_database, db)
    with closing(sqlite3.connect(db)) as connection:
        connection.execute("PRAGMA user_version = -7")
        connection.commit()
    with pytest.raises(StorageError, match="-7"):  # before: IndexError, and a hung process
        await Storage.open(db)
    # The event loop closes after this test: a connection thread left running would hang it.


def test_damaged_page_behind_a_valid_header_exits_2(tmp_path: Path) -> None:
    db = tmp_path / "cramp.db"
    make_database(db)
    with closing(sqlite3.connect(db)) as connection:
        connection.execute("PRAGMA journal_mode = DELETE")
        page = connection.execute("PRAGMA page_size").fetchone()[0]
        pages = connection.execute("PRAGMA page_count").fetchone()[0]
    assert pages >= 3
    with db.open("r+b") as raw:
        raw.seek(page * (pages - 1))  # the last page: a table or index page, not the header
        raw.write(b"\xff" * page)
    result = run_bot({"TELEGRAM_BOT_TOKEN": TOKEN, "CRAMP_BOT_DB": str(db)}, tmp_path)
    one_line_exit_2(result, "damaged")


def open_as_another_user(db: Path) -> str:
    """Storage.open(db) in a child process whose user does not own `db` (as root: nobody,
    since root may write any file); what it raised, or "opened"."""
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os.close(reader)
        outcome = "opened"
        try:
            if os.geteuid() == 0:
                os.setgid(NOBODY)
                os.setuid(NOBODY)

            async def attempt() -> None:
                storage = await Storage.open(db)
                await storage.close()

            asyncio.run(attempt())
        except BaseException as error:
            outcome = f"{type(error).__name__}: {error}"
        os.write(writer, outcome.encode())
        os._exit(0)
    os.close(writer)
    with os.fdopen(reader, "rb") as pipe:
        got = pipe.read().decode()
    os.waitpid(pid, 0)
    return got


def test_read_only_database_is_refused_at_start() -> None:
    # Under /tmp itself: pytest's tmp_path sits in a folder only its owner may enter.
    folder = Path(tempfile.mkdtemp(prefix="cramp-ro-"))
    try:
        folder.chmod(0o777)  # the folder writable for everybody: only the file is read-only
        db = folder / "cramp.db"
        make_database(db)
        db.chmod(0o444)
        got = open_as_another_user(db)
        assert got.startswith("StorageError"), got
        assert "write" in got
        assert stat.S_IMODE(db.stat().st_mode) == 0o444
    finally:
        for child in folder.iterdir():
            child.unlink()
        folder.rmdir()
