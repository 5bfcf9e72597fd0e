"""`cramp-bot backup FILE` while the bot writes, and restoring from it."""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

from bot.storage import Storage

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def backup(db: Path, target: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "CRAMP_BOT_"))}
    env["CRAMP_BOT_DB"] = str(db)
    return subprocess.run(
        [sys.executable, "-m", "bot", "backup", str(target)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def wal_size(db: Path) -> int:
    return Path(f"{db}-wal").stat().st_size


def check_copy(saved: Path) -> None:
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    assert not Path(f"{saved}-wal").exists()
    assert [p.name for p in saved.parent.iterdir() if p.name.endswith(".part")] == []
    with closing(sqlite3.connect(saved)) as check:
        assert check.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def restore(saved: Path, db: Path) -> None:
    """As the operator guide says: stop the bot, put the copy in place, start again."""
    for leftover in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
        leftover.unlink(missing_ok=True)
    saved.replace(db)


async def test_backup_while_running_then_restore(tmp_path: Path) -> None:
    db = tmp_path / "cramp.db"
    storage = await Storage.open(db)
    try:
        await storage.upsert_user(1, 1, NOW)
        await storage.set_consent(1, NOW)
        started = await storage.start_assessment(1, "v1", "em_now", NOW)
        await storage.save_answer(started.id, "em_now", ("none",), NOW, current_question="x")
        # These commits sit in the -wal (not checkpointed): the backup must include them.
        assert wal_size(db) > 0
        old = os.umask(0)  # the loosest umask; the backup is 0600 anyway
        try:
            result = backup(db, tmp_path / "saved.db")
        finally:
            os.umask(old)
        assert result.returncode == 0, result.stderr
        assert "integrity check ok" in result.stdout
        await storage.save_answer(started.id, "em_today", ("none",), NOW, current_question="y")
    finally:
        await storage.close()

    check_copy(tmp_path / "saved.db")
    restore(tmp_path / "saved.db", db)
    restored = await Storage.open(db)
    try:
        user = await restored.get_user(1)
        assert user is not None and user.consented_at == NOW
        assert await restored.get_answers(started.id) == {"em_now": ("none",)}
    finally:
        await restored.close()


def test_backup_of_a_missing_database_exits_2_without_creating_it(tmp_path: Path) -> None:
    result = backup(tmp_path / "nope.db", tmp_path / "saved.db")
    assert result.returncode == 2
    assert "no database" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "nope.db").exists()
    assert not (tmp_path / "saved.db").exists()


def test_backup_onto_the_database_itself_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "cramp.db"
    with closing(sqlite3.connect(db)) as raw:
        raw.execute("CREATE TABLE t (x)")
    result = backup(db, db)
    assert result.returncode == 2
    assert "the database itself" in result.stderr
