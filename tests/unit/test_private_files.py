"""Files that hold health data are private (0600, folders 0700) whatever the umask, and what
/delete removes does not linger in the database file or its -wal."""

from __future__ import annotations

import io
import os
import stat
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.fakeapi.emulator import BotApiEmulator
from bot.storage import Storage
from bot.tryout.run import check_files_dir
from bot.tryout.transcript import Transcript

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
SECRET = "Pacific/Chatham-unique-answer-7f3a"


def on_disk(db: Path) -> bytes:
    wal = Path(f"{db}-wal")
    return db.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask() -> Iterator[None]:
    """The loosest umask: whatever gets created, the bot alone decides its mode."""
    old = os.umask(0)
    yield
    os.umask(old)


@pytest.mark.usefixtures("open_umask")
async def test_database_and_its_wal_and_shm_are_0600(tmp_path: Path) -> None:
    db = tmp_path / "cramp.db"
    storage = await Storage.open(db)
    await storage.upsert_user(1, 1, NOW)
    try:
        for name in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
            assert name.exists(), name
            assert mode(name) == 0o600, (name, oct(mode(name)))
    finally:
        await storage.close()


async def test_an_older_world_readable_database_is_tightened(tmp_path: Path) -> None:
    db = tmp_path / "cramp.db"
    storage = await Storage.open(db)
    await storage.close()
    db.chmod(0o644)
    storage = await Storage.open(db)
    await storage.close()
    assert mode(db) == 0o600


@pytest.mark.usefixtures("open_umask")
def test_try_files_folder_is_0700_and_files_0600(tmp_path: Path) -> None:
    folder = tmp_path / "exports" / "mine"
    check_files_dir(folder)
    assert mode(folder) == 0o700
    assert mode(folder.parent) == 0o700
    transcript = Transcript(BotApiEmulator(), 7, io.StringIO(), False, lambda: folder)
    saved = transcript._save("diary.csv", b"night\n", 1)
    assert mode(saved) == 0o600


async def test_deleted_rows_leave_no_trace_in_the_file_or_the_wal(tmp_path: Path) -> None:
    db = tmp_path / "cramp.db"
    storage = await Storage.open(db)
    try:
        await storage.upsert_user(1, 1, NOW)
        await storage.upsert_user(2, 2, NOW)
        await storage.set_reminder(1, reminder_time="07:30", timezone=SECRET, next_at=NOW)
        await storage.set_awaiting(2, "keep-me")
        await storage.delete_user(1)
        assert SECRET.encode() not in on_disk(db)
        assert await storage.get_user(2) is not None  # the others stay
    finally:
        await storage.close()
