"""`cramp-bot backup FILE`: a consistent copy of the database while the bot runs.

SQLite's online backup API copies the pages under a read transaction, so the bot keeps
writing (WAL) and the copy is one moment of the database, -wal contents included. The copy is
written to a private temporary file next to FILE, checked with integrity_check, switched to
a single file (no -wal of its own) and only then renamed to FILE: a failed backup never leaves
a half-written FILE behind.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from contextlib import closing, suppress
from pathlib import Path

from bot.storage import PRIVATE_FILE


class BackupError(Exception):
    """The backup could not be made; the message is one line for the operator."""


def backup_database(db: Path, target: Path) -> int:
    """Copy `db` to `target` (0600); returns its size in bytes."""
    if not db.is_file():
        raise BackupError(f"there is no database at {db}")
    if target.is_dir():
        raise BackupError(f"{target} is a folder; give the backup a file name")
    with suppress(OSError):
        if target.exists() and target.samefile(db):
            raise BackupError(f"{target} is the database itself")
    folder = target.parent if str(target.parent) else Path()
    if not folder.is_dir():
        raise BackupError(f"the folder {folder} does not exist")
    try:
        # mkstemp makes the file 0600 whatever the umask.
        handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=folder)
    except OSError as error:
        raise BackupError(f"cannot write in {folder} ({error.strerror})") from None
    os.close(handle)
    temporary = Path(name)
    try:
        _copy(db, temporary)
        temporary.chmod(PRIVATE_FILE)
        temporary.replace(target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return target.stat().st_size


def _copy(db: Path, temporary: Path) -> None:
    try:
        # Read-only: a mistyped path must not create an empty database.
        with (
            closing(sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)) as source,
            closing(sqlite3.connect(temporary)) as copy,
        ):
            source.execute("PRAGMA busy_timeout = 5000")
            source.backup(copy)
            # One self-contained file: the copy needs no -wal next to it to be restored.
            copy.execute("PRAGMA journal_mode = DELETE")
            checked = [str(row[0]) for row in copy.execute("PRAGMA integrity_check")]
            if checked != ["ok"]:
                raise BackupError(f"the copy failed its integrity check: {checked[0][:160]}")
            copy.commit()
        with temporary.open("rb") as written:
            os.fsync(written.fileno())
    except sqlite3.Error as error:
        raise BackupError(f"cannot back up {db}: {error}") from None
