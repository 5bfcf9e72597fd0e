"""Every SQL statement of cramp-bot: one aiosqlite connection to one SQLite file.

Schema (migrations numbered with PRAGMA user_version; WAL; foreign keys on):

    users        user_id PK, chat_id, created_at, consented_at, timezone, reminder_time 'HH:MM',
                 reminders_on 0/1, paused_until, next_reminder_at INTEGER, reminder_slot_at
                 INTEGER, last_checkin_night 'YYYY-MM-DD', blocked_at
                 + partial index on next_reminder_at (only rows that have one)
    assessments  id PK, user_id FK, started_at, finished_at, status 'open'|'finished'|'abandoned',
                 current_question, message_id, content_version, level, result JSON
                 + index (user_id, status)
    answers      assessment_id FK, question_id, value JSON list, answered_at;
                 PK (assessment_id, question_id)
    diary        user_id FK, night 'YYYY-MM-DD', answers JSON object, complete 0/1, recorded_at,
                 updated_at, checkin_message_id; PK (user_id, night)
    nudges       user_id FK, reason, sent_at + index (user_id, reason, sent_at)

Migration 2 adds users.awaiting: which typed input the bot waits for from this person (a
reminder time, a time zone), or NULL. A row rather than memory, so "7:30" typed after a restart
is still understood.

Migration 3 adds `service`, key/value facts about the running bot rather than about a person:
`tick` is when the once-a-minute job last finished, read by `cramp-bot health` and /healthz.

Every foreign key cascades on delete. Times are aware UTC datetimes in the API and UTC ISO-8601
text in the file, except `next_reminder_at` and `reminder_slot_at`: integer UTC epoch seconds, so
the once-a-minute "who is due" query is a range scan of a small integer index, fast at a million
users. `next_reminder_at` is NULL whenever no reminder is scheduled (off, blocked), which keeps
those users out of the index entirely.

Reminder invariants: `reminder_slot_at` is the morning slot the pending send belongs to;
`next_reminder_at` equals it except while a failed send waits for its retry (then it is the
retry time, later than the slot). `last_checkin_night` is the "sent" mark, written in the same
committed transaction that moves `next_reminder_at` on (claim_reminder), before the message
leaves.

One connection serves the whole bot; an asyncio lock makes each method (and each transaction)
run alone on it, because interleaved coroutines on one connection would share a transaction.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import sqlite3
from collections.abc import AsyncIterator, Callable, Collection, Iterable, Sequence
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

import aiosqlite

__all__ = [
    "SERVICE_TABLES",
    "Assessment",
    "DiaryEntry",
    "Storage",
    "StorageError",
    "UsageCounts",
    "User",
]


class StorageError(Exception):
    """The database cannot be used (path, permissions, not a database, newer schema)."""


@dataclass(frozen=True)
class User:
    user_id: int
    chat_id: int
    created_at: datetime
    consented_at: datetime | None
    timezone: str | None
    reminder_time: str | None
    reminders_on: bool
    paused_until: datetime | None
    next_reminder_at: datetime | None
    reminder_slot_at: datetime | None
    last_checkin_night: date | None
    blocked_at: datetime | None
    awaiting: str | None = None


@dataclass(frozen=True)
class Assessment:
    id: int
    user_id: int
    started_at: datetime
    finished_at: datetime | None
    status: str
    current_question: str | None
    message_id: int | None
    content_version: str
    level: str | None
    result: dict[str, Any] | None


@dataclass(frozen=True)
class DiaryEntry:
    user_id: int
    night: date
    answers: dict[str, Any]
    complete: bool
    recorded_at: datetime
    updated_at: datetime
    checkin_message_id: int | None


_T = TypeVar("_T")


@dataclass(frozen=True)
class UsageCounts:
    """Aggregate counts for the operator (`cramp-bot stats`, /stats); nothing about one person.

    Windows end at `now`: `finished_7d`/`finished_30d` count questionnaires finished in the last
    7/30 days, `levels_30d` their urgency levels; check-ins count nights of the last 30 days."""

    people: int
    consented: int
    blocked: int
    reminders_on: int
    finished_7d: int
    finished_30d: int
    levels_30d: dict[str, int]
    checkins_sent_30d: int
    checkins_answered_30d: int
    checkins_skipped_30d: int


# Each migration is applied in one transaction together with its PRAGMA user_version bump.
_MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE users (
            user_id            INTEGER PRIMARY KEY,
            chat_id            INTEGER NOT NULL,
            created_at         TEXT    NOT NULL,
            consented_at       TEXT,
            timezone           TEXT,
            reminder_time      TEXT,
            reminders_on       INTEGER NOT NULL DEFAULT 0,
            paused_until       TEXT,
            next_reminder_at   INTEGER,
            reminder_slot_at   INTEGER,
            last_checkin_night TEXT,
            blocked_at         TEXT
        )""",
        """CREATE INDEX users_next_reminder ON users (next_reminder_at)
            WHERE next_reminder_at IS NOT NULL""",
        """CREATE TABLE assessments (
            id               INTEGER PRIMARY KEY AUTOINCREMENT,
            user_id          INTEGER NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
            started_at       TEXT    NOT NULL,
            finished_at      TEXT,
            status           TEXT    NOT NULL DEFAULT 'open'
                             CHECK (status IN ('open', 'finished', 'abandoned')),
            current_question TEXT,
            message_id       INTEGER,
            content_version  TEXT    NOT NULL,
            level            TEXT,
            result           TEXT
        )""",
        "CREATE INDEX assessments_user_status ON assessments (user_id, status)",
        """CREATE TABLE answers (
            assessment_id INTEGER NOT NULL REFERENCES assessments (id) ON DELETE CASCADE,
            question_id   TEXT    NOT NULL,
            value         TEXT    NOT NULL,
            answered_at   TEXT    NOT NULL,
            PRIMARY KEY (assessment_id, question_id)
        )""",
        """CREATE TABLE diary (
            user_id            INTEGER NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
            night              TEXT    NOT NULL,
            answers            TEXT    NOT NULL DEFAULT '{}',
            complete           INTEGER NOT NULL DEFAULT 0,
            recorded_at        TEXT    NOT NULL,
            updated_at         TEXT    NOT NULL,
            checkin_message_id INTEGER,
            PRIMARY KEY (user_id, night)
        )""",
        """CREATE TABLE nudges (
            user_id INTEGER NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
            reason  TEXT    NOT NULL,
            sent_at TEXT    NOT NULL
        )""",
        "CREATE INDEX nudges_user_reason ON nudges (user_id, reason, sent_at)",
    ),
    ("ALTER TABLE users ADD COLUMN awaiting TEXT",),
    # Facts about the running service, not about people: the minute tick's heartbeat.
    ("CREATE TABLE service (key TEXT PRIMARY KEY, value TEXT NOT NULL)",),
)
SCHEMA_VERSION = len(_MIGRATIONS)
# Tables with nothing about any person in them: /delete and count_user_rows pass them by.
SERVICE_TABLES = frozenset({"service"})

_USER_COLUMNS = (
    "user_id, chat_id, created_at, consented_at, timezone, reminder_time, reminders_on, "
    "paused_until, next_reminder_at, reminder_slot_at, last_checkin_night, blocked_at, awaiting"
)
_ASSESSMENT_COLUMNS = (
    "id, user_id, started_at, finished_at, status, current_question, message_id, "
    "content_version, level, result"
)
_DIARY_COLUMNS = "user_id, night, answers, complete, recorded_at, updated_at, checkin_message_id"
# A night's empty diary row, made when its check-in is claimed or sent; + what to do if it exists.
_NEW_NIGHT = (
    f"INSERT INTO diary ({_DIARY_COLUMNS}) VALUES (?, ?, '{{}}', 0, ?, ?, ?) "
    "ON CONFLICT (user_id, night) DO "
)


# --- conversions -------------------------------------------------------------------------------


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("storage times must be timezone-aware")
    return moment.astimezone(UTC)


def _iso(moment: datetime) -> str:
    # Fixed width, so ISO strings of one table sort like the instants they name.
    return _utc(moment).isoformat(timespec="microseconds")


def _from_iso(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def _from_iso_or_none(text: str | None) -> datetime | None:
    return None if text is None else _from_iso(text)


def _epoch(moment: datetime) -> int:
    # Whole seconds: the compare-and-set in claim_reminder compares these integers exactly.
    return math.floor(_utc(moment).timestamp())


def _from_epoch_or_none(seconds: int | None) -> datetime | None:
    return None if seconds is None else datetime.fromtimestamp(seconds, UTC)


def _user(row: sqlite3.Row) -> User:
    return User(
        user_id=row["user_id"],
        chat_id=row["chat_id"],
        created_at=_from_iso(row["created_at"]),
        consented_at=_from_iso_or_none(row["consented_at"]),
        timezone=row["timezone"],
        reminder_time=row["reminder_time"],
        reminders_on=bool(row["reminders_on"]),
        paused_until=_from_iso_or_none(row["paused_until"]),
        next_reminder_at=_from_epoch_or_none(row["next_reminder_at"]),
        reminder_slot_at=_from_epoch_or_none(row["reminder_slot_at"]),
        last_checkin_night=(
            None
            if row["last_checkin_night"] is None
            else date.fromisoformat(row["last_checkin_night"])
        ),
        blocked_at=_from_iso_or_none(row["blocked_at"]),
        awaiting=row["awaiting"],
    )


def _assessment(row: sqlite3.Row) -> Assessment:
    return Assessment(
        id=row["id"],
        user_id=row["user_id"],
        started_at=_from_iso(row["started_at"]),
        finished_at=_from_iso_or_none(row["finished_at"]),
        status=row["status"],
        current_question=row["current_question"],
        message_id=row["message_id"],
        content_version=row["content_version"],
        level=row["level"],
        result=None if row["result"] is None else json.loads(row["result"]),
    )


def _diary(row: sqlite3.Row) -> DiaryEntry:
    return DiaryEntry(
        user_id=row["user_id"],
        night=date.fromisoformat(row["night"]),
        answers=json.loads(row["answers"]),
        complete=bool(row["complete"]),
        recorded_at=_from_iso(row["recorded_at"]),
        updated_at=_from_iso(row["updated_at"]),
        checkin_message_id=row["checkin_message_id"],
    )


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


# --- files -------------------------------------------------------------------------------------

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700


def create_private(path: Path) -> None:
    """Create `path` (if missing) readable by its owner only, whatever the umask."""
    with suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))
        path.chmod(PRIVATE_FILE)


def private_files(path: Path) -> None:
    """The database and its -wal/-shm: health data, for their owner's eyes only. SQLite
    gives new -wal/-shm files the database's mode; files of an older version are tightened."""
    for name in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        with suppress(OSError):  # missing, or owned by someone else: nothing to tighten
            if name.stat().st_mode & 0o077:
                name.chmod(PRIVATE_FILE)


def _file_identity(path: Path) -> tuple[int, int]:
    info = path.stat()
    return info.st_dev, info.st_ino


# --- the store ---------------------------------------------------------------------------------


def probe_database(path: Path) -> None:
    """Fail early, in one line, when the database cannot be created or opened.

    Synchronous on purpose: when aiosqlite's connect fails, its worker thread can outlive the
    event loop and fail later, far from the cause. `cramp-bot run` calls it before anything
    starts; Storage.open calls it again.
    """
    if path.is_dir():
        raise StorageError(f"cannot open the database {path}: it is a directory")
    if not path.parent.is_dir():
        raise StorageError(
            f"cannot open the database {path}: the directory {path.parent} does not exist"
        )
    try:
        # Made private before SQLite touches it: the file will hold health data.
        create_private(path)
    except OSError as error:
        raise StorageError(f"cannot create the database {path}: {error.strerror}") from error
    try:
        connection = sqlite3.connect(path)
    except sqlite3.Error as error:
        raise StorageError(f"cannot open the database {path}: {error}") from error
    try:
        connection.execute("PRAGMA user_version").fetchone()
    except sqlite3.Error as error:
        raise StorageError(f"cannot use the database {path}: {error}") from error
    finally:
        connection.close()


async def _open_new(
    tx: aiosqlite.Connection, user_id: int, question_id: str, content_version: str, now: datetime
) -> int:
    """A new open assessment waiting at `question_id`; an open one of the user is abandoned
    (finished ones stay). Runs inside the caller's transaction."""
    await tx.execute(
        "UPDATE assessments SET status = 'abandoned' WHERE user_id = ? AND status = 'open'",
        (user_id,),
    )
    cursor = await tx.execute(
        "INSERT INTO assessments (user_id, started_at, status, current_question, "
        "content_version) VALUES (?, ?, 'open', ?, ?)",
        (user_id, _iso(now), question_id, content_version),
    )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


class Storage:
    def __init__(self, db: aiosqlite.Connection, path: Path) -> None:
        self._db = db
        self._lock = asyncio.Lock()
        self.path = path
        self._identity: tuple[int, int] | None = None

    @classmethod
    async def open(cls, path: str | Path, *, busy_timeout_ms: int = 5000) -> Storage:
        """Open (creating the file, not its directory) and migrate the database. A write
        lock held elsewhere is waited for up to `busy_timeout_ms`, then "database is locked"
        is raised and the transaction never began."""
        path = Path(path)
        probe_database(path)
        try:
            db = await aiosqlite.connect(path, isolation_level=None)
        except sqlite3.Error as error:
            raise StorageError(f"cannot open the database {path}: {error}") from error
        db.row_factory = sqlite3.Row
        storage = cls(db, path)
        try:
            await db.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms):d}")
            await storage._prepare()
            storage._identity = _file_identity(path)
        except BaseException as error:
            # Whatever went wrong, the connection's thread must end, or the process hangs.
            await db.close()
            if isinstance(error, StorageError):
                raise
            if isinstance(error, sqlite3.Error | ValueError | IndexError | OSError):
                raise StorageError(f"cannot use the database {path}: {error}") from error
            raise
        return storage

    @classmethod
    async def open_readonly(cls, path: str | Path) -> Storage:
        """Open an existing database without writing to it or migrating it, for the operator's
        commands that run beside the bot (`cramp-bot health`, `cramp-bot stats`)."""
        path = Path(path)
        if not path.is_file():
            raise StorageError(f"there is no database at {path}")
        uri = f"file:{quote(str(path.resolve()))}?mode=ro"
        try:
            db = await aiosqlite.connect(uri, uri=True, isolation_level=None)
        except sqlite3.Error as error:
            raise StorageError(f"cannot open the database {path}: {error}") from error
        db.row_factory = sqlite3.Row
        try:
            await db.execute("PRAGMA busy_timeout = 2000")
            rows = list(await db.execute_fetchall("PRAGMA user_version"))
            version = int(rows[0][0])
        except sqlite3.Error as error:
            await db.close()
            raise StorageError(f"cannot read the database {path}: {error}") from error
        if version != SCHEMA_VERSION:
            await db.close()
            raise StorageError(
                f"the database {path} has schema version {version}, this cramp-bot expects "
                f"{SCHEMA_VERSION}; start the bot (it migrates at start) or use a matching version"
            )
        return cls(db, path)

    async def _prepare(self) -> None:
        db = self._db
        # WAL: readers never wait for the writer; NORMAL is durable across process crashes
        # in WAL mode (only an OS crash can lose the last commits).
        await db.execute("PRAGMA journal_mode = WAL")
        await db.execute("PRAGMA synchronous = NORMAL")
        await db.execute("PRAGMA foreign_keys = ON")
        # Deleted rows are overwritten with zeros, so /delete leaves no health data in free
        # pages (set explicitly: the compile-time default differs between builds).
        await db.execute("PRAGMA secure_delete = ON")
        rows = await db.execute_fetchall("PRAGMA user_version")
        version = int(next(iter(rows))[0])
        if version > SCHEMA_VERSION:
            raise StorageError(
                f"the database {self.path} has schema version {version}, newer than this "
                f"cramp-bot knows ({SCHEMA_VERSION}); upgrade cramp-bot"
            )
        if version < 0:
            raise StorageError(
                f"the database {self.path} has schema version {version}, which no cramp-bot "
                "ever wrote; restore it from a backup"
            )
        checked = [str(row[0]) for row in await db.execute_fetchall("PRAGMA quick_check")]
        if checked != ["ok"]:
            raise StorageError(
                f"the database {self.path} is damaged ({' '.join(checked[0].split())[:160]}); "
                "restore it from a backup (see `cramp-bot backup`)"
            )
        await self._probe_write(version)
        private_files(self.path)
        for number in range(version + 1, SCHEMA_VERSION + 1):
            async with self._transaction() as tx:
                for statement in _MIGRATIONS[number - 1]:
                    await tx.execute(statement)
                await tx.execute(f"PRAGMA user_version = {number:d}")

    async def _probe_write(self, version: int) -> None:
        """Fail at start, not on the first answer, when the file cannot be written (read-only,
        owned by someone else): a write in a transaction that is rolled back."""
        try:
            await self._db.execute("BEGIN IMMEDIATE")
            try:
                await self._db.execute(f"PRAGMA user_version = {version:d}")
            finally:
                await self._db.execute("ROLLBACK")
        except sqlite3.Error as error:
            raise StorageError(f"cannot write to the database {self.path}: {error}") from error

    def file_replaced(self) -> str | None:
        """Why the file this connection writes to is no longer the one at the path (deleted,
        moved away, replaced), or None when it still is. Writes would go to a file nobody sees."""
        try:
            now = _file_identity(self.path)
        except FileNotFoundError:
            return f"the database {self.path} was deleted"
        except OSError as error:
            return f"the database {self.path} cannot be checked ({error.strerror})"
        if self._identity is not None and now != self._identity:
            return f"the database {self.path} was replaced by another file"
        return None

    async def close(self) -> None:
        async with self._lock:
            await self._db.close()

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        async with self._lock:
            await self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                with suppress(sqlite3.Error):
                    await self._db.execute("ROLLBACK")
                raise
            await self._db.execute("COMMIT")

    async def _in_one_trip(self, work: Callable[[sqlite3.Connection], _T]) -> _T:
        """Run `work` as one transaction (BEGIN IMMEDIATE ... COMMIT, rolled back if it raises)
        in a single trip to the database thread.

        Each awaited aiosqlite call is a hand-off to its thread and back (70-100 µs, more on a
        busy event loop), and `_transaction` holds the lock across all of them; on the path of
        every button press that adds up. aiosqlite has no public call for "run this function
        on the connection's thread", so this uses the one its own execute() is built on. The
        press tests run through it, so a change in aiosqlite shows there at once. Work that
        is already queued finishes even if the awaiting task is cancelled, and the next
        statement waits behind it on the same thread, so the lock's guarantee holds."""
        db = self._db

        def transaction() -> _T:
            connection: sqlite3.Connection = db._conn
            connection.execute("BEGIN IMMEDIATE")
            try:
                result = work(connection)
            except BaseException:
                with suppress(sqlite3.Error):
                    connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")
            return result

        async with self._lock:
            done: _T = await db._execute(transaction)
            return done

    async def _fetch(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        async with self._lock:
            return list(await self._db.execute_fetchall(sql, params))

    async def _fetch_one(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Row | None:
        rows = await self._fetch(sql, params)
        return rows[0] if rows else None

    # --- users ---------------------------------------------------------------------------------

    async def upsert_user(self, user_id: int, chat_id: int, now: datetime) -> User:
        """Create the user, or refresh their chat id. Never touches consent."""
        async with self._transaction() as tx:
            await tx.execute(
                "INSERT INTO users (user_id, chat_id, created_at) VALUES (?, ?, ?) "
                "ON CONFLICT (user_id) DO UPDATE SET chat_id = excluded.chat_id",
                (user_id, chat_id, _iso(now)),
            )
            rows = await tx.execute_fetchall(
                f"SELECT {_USER_COLUMNS} FROM users WHERE user_id = ?", (user_id,)
            )
        return _user(next(iter(rows)))

    async def get_user(self, user_id: int) -> User | None:
        row = await self._fetch_one(
            f"SELECT {_USER_COLUMNS} FROM users WHERE user_id = ?", (user_id,)
        )
        return None if row is None else _user(row)

    async def set_consent(self, user_id: int, now: datetime) -> None:
        async with self._transaction() as tx:
            await tx.execute(
                "UPDATE users SET consented_at = ? WHERE user_id = ?", (_iso(now), user_id)
            )

    async def set_awaiting(self, user_id: int, what: str | None) -> None:
        """Remember which typed input the bot waits for from this person (None: nothing)."""
        async with self._transaction() as tx:
            await tx.execute("UPDATE users SET awaiting = ? WHERE user_id = ?", (what, user_id))

    async def delete_user(self, user_id: int) -> None:
        """Remove every row of this user from every table, in one transaction."""
        # Explicit deletes rather than trusting the cascade alone: /delete must leave nothing.
        async with self._transaction() as tx:
            await tx.execute("DELETE FROM nudges WHERE user_id = ?", (user_id,))
            await tx.execute("DELETE FROM diary WHERE user_id = ?", (user_id,))
            await tx.execute(
                "DELETE FROM answers WHERE assessment_id IN "
                "(SELECT id FROM assessments WHERE user_id = ?)",
                (user_id,),
            )
            await tx.execute("DELETE FROM assessments WHERE user_id = ?", (user_id,))
            await tx.execute("DELETE FROM users WHERE user_id = ?", (user_id,))
        await self.checkpoint()

    async def checkpoint(self) -> None:
        """Copy the -wal into the database and empty it, so deleted rows (zeroed in the file
        by secure_delete) do not linger in the -wal's old page images."""
        async with self._lock:
            await self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    async def purge_inactive(
        self, *, unconsented_before: datetime, blocked_before: datetime
    ) -> int:
        """Remove people who never consented (first seen before `unconsented_before`) or who
        blocked the bot before `blocked_before` and never came back; how many were removed."""
        who = (
            "SELECT user_id FROM users WHERE (consented_at IS NULL AND created_at < ?) "
            "OR (blocked_at IS NOT NULL AND blocked_at < ?)"
        )
        bounds = (_iso(unconsented_before), _iso(blocked_before))
        async with self._transaction() as tx:
            rows = list(await tx.execute_fetchall(who, bounds))
            if not rows:
                return 0
            await tx.execute(f"DELETE FROM nudges WHERE user_id IN ({who})", bounds)
            await tx.execute(f"DELETE FROM diary WHERE user_id IN ({who})", bounds)
            await tx.execute(
                "DELETE FROM answers WHERE assessment_id IN (SELECT id FROM assessments "
                f"WHERE user_id IN ({who}))",
                bounds,
            )
            await tx.execute(f"DELETE FROM assessments WHERE user_id IN ({who})", bounds)
            await tx.execute(f"DELETE FROM users WHERE user_id IN ({who})", bounds)
        await self.checkpoint()
        return len(rows)

    async def count_user_rows(self, user_id: int) -> dict[str, int]:
        row = await self._fetch_one(
            "SELECT "
            "(SELECT count(*) FROM users WHERE user_id = ?) AS users, "
            "(SELECT count(*) FROM assessments WHERE user_id = ?) AS assessments, "
            "(SELECT count(*) FROM answers WHERE assessment_id IN "
            "  (SELECT id FROM assessments WHERE user_id = ?)) AS answers, "
            "(SELECT count(*) FROM diary WHERE user_id = ?) AS diary, "
            "(SELECT count(*) FROM nudges WHERE user_id = ?) AS nudges",
            # Plain ? five times: Python 3.12+ warns about ?1 bound from a sequence.
            (user_id,) * 5,
        )
        assert row is not None
        tables = ("users", "assessments", "answers", "diary", "nudges")
        return {table: int(row[table]) for table in tables}

    # --- assessments ---------------------------------------------------------------------------

    async def start_assessment(
        self, user_id: int, content_version: str, first_question: str, now: datetime
    ) -> Assessment:
        """A new open assessment; any open one of this user becomes 'abandoned'. Finished ones
        stay as they are."""
        async with self._transaction() as tx:
            new_id = await _open_new(tx, user_id, first_question, content_version, now)
            rows = await tx.execute_fetchall(
                f"SELECT {_ASSESSMENT_COLUMNS} FROM assessments WHERE id = ?", (new_id,)
            )
        return _assessment(next(iter(rows)))

    async def get_open_assessment(self, user_id: int) -> Assessment | None:
        row = await self._fetch_one(
            f"SELECT {_ASSESSMENT_COLUMNS} FROM assessments "
            "WHERE user_id = ? AND status = 'open' ORDER BY id DESC LIMIT 1",
            (user_id,),
        )
        return None if row is None else _assessment(row)

    async def get_assessment(self, assessment_id: int) -> Assessment | None:
        row = await self._fetch_one(
            f"SELECT {_ASSESSMENT_COLUMNS} FROM assessments WHERE id = ?", (assessment_id,)
        )
        return None if row is None else _assessment(row)

    async def get_press_state(
        self, assessment_id: int
    ) -> tuple[Assessment, dict[str, tuple[str, ...]]] | None:
        """An assessment and its answers (ordered as get_answers orders them) in one query:
        what every button press is checked against. None if there is no such assessment."""
        rows = await self._fetch(
            f"SELECT {_ASSESSMENT_COLUMNS}, answers.question_id AS answer_question, "
            "answers.value AS answer_value FROM assessments "
            "LEFT JOIN answers ON answers.assessment_id = assessments.id "
            "WHERE assessments.id = ? ORDER BY answers.answered_at, answers.question_id",
            (assessment_id,),
        )
        if not rows:
            return None
        answers = {
            row["answer_question"]: tuple(json.loads(row["answer_value"]))
            for row in rows
            if row["answer_question"] is not None
        }
        return _assessment(rows[0]), answers

    async def set_message_id(self, assessment_id: int, message_id: int) -> None:
        async with self._transaction() as tx:
            await tx.execute(
                "UPDATE assessments SET message_id = ? WHERE id = ?", (message_id, assessment_id)
            )

    async def save_answer(
        self,
        assessment_id: int,
        question_id: str,
        value: tuple[str, ...],
        now: datetime,
        *,
        current_question: str | None,
    ) -> bool:
        """Upsert one answer and move current_question, in one transaction (one trip).

        Only an open assessment takes answers: returns False (and changes nothing) otherwise,
        so a late duplicate can never alter a finished result.
        """
        answer = (assessment_id, question_id, _json(list(value)), _iso(now))

        def write(db: sqlite3.Connection) -> bool:
            cursor = db.execute(
                "UPDATE assessments SET current_question = ? WHERE id = ? AND status = 'open'",
                (current_question, assessment_id),
            )
            if cursor.rowcount != 1:
                return False
            db.execute(
                "INSERT INTO answers (assessment_id, question_id, value, answered_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (assessment_id, question_id) "
                "DO UPDATE SET value = excluded.value, answered_at = excluded.answered_at",
                answer,
            )
            return True

        return await self._in_one_trip(write)

    async def set_current_question(self, assessment_id: int, question_id: str) -> None:
        async with self._transaction() as tx:
            await tx.execute(
                "UPDATE assessments SET current_question = ? WHERE id = ? AND status = 'open'",
                (question_id, assessment_id),
            )

    async def get_answers(self, assessment_id: int) -> dict[str, tuple[str, ...]]:
        rows = await self._fetch(
            "SELECT question_id, value FROM answers WHERE assessment_id = ? "
            "ORDER BY answered_at, question_id",
            (assessment_id,),
        )
        return {row["question_id"]: tuple(json.loads(row["value"])) for row in rows}

    async def finish_assessment(
        self,
        assessment_id: int,
        *,
        level: str,
        result: dict[str, Any],
        now: datetime,
        keep: Collection[str] | None = None,
    ) -> bool:
        """Store the result. False, and no change, if the assessment is not open (a duplicate
        delivery of the last button press).

        `keep`: the questions on the final path. Answers to others (a question that a changed
        earlier answer now skips) are removed with the same commit, so what is stored, and
        exported for a doctor, is what the result was made of."""
        async with self._transaction() as tx:
            cursor = await tx.execute(
                "UPDATE assessments SET status = 'finished', finished_at = ?, level = ?, "
                "result = ? WHERE id = ? AND status = 'open'",
                (_iso(now), level, _json(result), assessment_id),
            )
            if cursor.rowcount != 1:
                return False
            if keep is not None:
                marks = ", ".join("?" * len(keep))
                await tx.execute(
                    "DELETE FROM answers WHERE assessment_id = ? "
                    f"AND question_id NOT IN ({marks})",
                    (assessment_id, *keep),
                )
            return True

    async def withdraw_stop(
        self,
        assessment_id: int,
        *,
        content_version: str,
        question_id: str,
        keep: Collection[str],
        now: datetime,
    ) -> Assessment | None:
        """Take back a safety-check answer that ended a questionnaire: the stopped result
        stays, marked `withdrawn_at`, and a new open assessment with the answers in `keep`
        waits at `question_id`. None, and no change, when it was already taken back (a double
        tap) or is not a finished result."""
        async with self._transaction() as tx:
            cursor = await tx.execute(
                "UPDATE assessments SET result = json_set(result, '$.withdrawn_at', ?) "
                "WHERE id = ? AND status = 'finished' AND result IS NOT NULL "
                "AND json_extract(result, '$.withdrawn_at') IS NULL",
                (_iso(now), assessment_id),
            )
            if cursor.rowcount != 1:
                return None
            rows = await tx.execute_fetchall(
                "SELECT user_id FROM assessments WHERE id = ?", (assessment_id,)
            )
            user_id = next(iter(rows))[0]
            new_id = await _open_new(tx, user_id, question_id, content_version, now)
            if keep:
                marks = ", ".join("?" * len(keep))
                await tx.execute(
                    "INSERT INTO answers (assessment_id, question_id, value, answered_at) "
                    "SELECT ?, question_id, value, answered_at FROM answers "
                    f"WHERE assessment_id = ? AND question_id IN ({marks})",
                    (new_id, assessment_id, *keep),
                )
            rows = await tx.execute_fetchall(
                f"SELECT {_ASSESSMENT_COLUMNS} FROM assessments WHERE id = ?", (new_id,)
            )
        return _assessment(next(iter(rows)))

    async def answer_and_finish(
        self,
        assessment_id: int,
        question_id: str,
        value: tuple[str, ...],
        now: datetime,
        *,
        level: str,
        result: dict[str, Any],
        keep: Collection[str],
    ) -> bool:
        """The last answer and the result in one commit, so a crash between the two can never
        leave an open questionnaire without a current question. False, and no change, if the
        assessment is not open."""
        async with self._transaction() as tx:
            cursor = await tx.execute(
                "UPDATE assessments SET status = 'finished', finished_at = ?, level = ?, "
                "result = ?, current_question = NULL WHERE id = ? AND status = 'open'",
                (_iso(now), level, _json(result), assessment_id),
            )
            if cursor.rowcount != 1:
                return False
            await tx.execute(
                "INSERT INTO answers (assessment_id, question_id, value, answered_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (assessment_id, question_id) "
                "DO UPDATE SET value = excluded.value, answered_at = excluded.answered_at",
                (assessment_id, question_id, _json(list(value)), _iso(now)),
            )
            marks = ", ".join("?" * len(keep))
            await tx.execute(
                f"DELETE FROM answers WHERE assessment_id = ? AND question_id NOT IN ({marks})",
                (assessment_id, *keep),
            )
            return True

    async def list_assessments(self, user_id: int) -> list[Assessment]:
        rows = await self._fetch(
            f"SELECT {_ASSESSMENT_COLUMNS} FROM assessments WHERE user_id = ? ORDER BY id",
            (user_id,),
        )
        return [_assessment(row) for row in rows]

    async def list_answers(self, user_id: int) -> list[dict[str, Any]]:
        """For /export: every answer of every assessment of this user.

        Each: {"assessment_id": int, "question_id": str, "value": list[str],
        "answered_at": aware UTC datetime}."""
        rows = await self._fetch(
            "SELECT a.assessment_id, a.question_id, a.value, a.answered_at "
            "FROM answers AS a JOIN assessments AS s ON s.id = a.assessment_id "
            "WHERE s.user_id = ? ORDER BY a.assessment_id, a.answered_at, a.question_id",
            (user_id,),
        )
        return [
            {
                "assessment_id": row["assessment_id"],
                "question_id": row["question_id"],
                "value": list(json.loads(row["value"])),
                "answered_at": _from_iso(row["answered_at"]),
            }
            for row in rows
        ]

    # --- reminders -----------------------------------------------------------------------------

    async def set_reminder(
        self, user_id: int, *, reminder_time: str, timezone: str, next_at: datetime
    ) -> None:
        """Turn reminders on (or change them): the next check-in is due at `next_at`.

        Clears a pause, and blocked_at too: a person who sets a reminder is talking to the bot.
        """
        next_epoch = _epoch(next_at)
        async with self._transaction() as tx:
            await tx.execute(
                "UPDATE users SET reminders_on = 1, reminder_time = ?, timezone = ?, "
                "paused_until = NULL, blocked_at = NULL, next_reminder_at = ?, "
                "reminder_slot_at = ? WHERE user_id = ?",
                (reminder_time, timezone, next_epoch, next_epoch, user_id),
            )

    async def pause_reminders(self, user_id: int, *, until: datetime, next_at: datetime) -> None:
        """Pause until `until`; the first check-in after the pause is due at `next_at`."""
        next_epoch = _epoch(next_at)
        async with self._transaction() as tx:
            await tx.execute(
                "UPDATE users SET paused_until = ?, next_reminder_at = ?, reminder_slot_at = ? "
                "WHERE user_id = ? AND reminders_on = 1 AND blocked_at IS NULL",
                (_iso(until), next_epoch, next_epoch, user_id),
            )

    async def snooze_reminder(
        self, user_id: int, *, at: datetime, slot_at: datetime | None = None
    ) -> bool:
        """Send the check-in again at `at` (the person pressed Snooze). `slot_at` is the
        morning the snoozed check-in belongs to, so the repeat asks about the same night even
        when the hour crosses midnight; afterwards the dispatcher moves on to the next local
        morning after it. False if reminders are off or the user is marked blocked."""
        at_epoch = _epoch(at)
        slot_epoch = _epoch(slot_at) if slot_at is not None else at_epoch
        async with self._transaction() as tx:
            cursor = await tx.execute(
                "UPDATE users SET next_reminder_at = ?, reminder_slot_at = ? "
                "WHERE user_id = ? AND reminders_on = 1 AND blocked_at IS NULL",
                (at_epoch, slot_epoch, user_id),
            )
            return cursor.rowcount == 1

    async def reminders_off(self, user_id: int) -> None:
        """Stop reminders. The chosen time and zone are kept as defaults for turning them on."""
        async with self._transaction() as tx:
            await tx.execute(
                "UPDATE users SET reminders_on = 0, paused_until = NULL, "
                "next_reminder_at = NULL, reminder_slot_at = NULL WHERE user_id = ?",
                (user_id,),
            )

    async def mark_blocked(self, user_id: int, now: datetime) -> None:
        """The user blocked the bot: no more sends. reminders_on stays, so an unblock can
        re-schedule what they had chosen."""
        async with self._transaction() as tx:
            await tx.execute(
                "UPDATE users SET blocked_at = ?, next_reminder_at = NULL, "
                "reminder_slot_at = NULL WHERE user_id = ?",
                (_iso(now), user_id),
            )

    async def mark_unblocked(self, user_id: int, now: datetime) -> None:
        """Clear blocked_at. Reminders do not restart by themselves: when reminders_on, the
        caller re-schedules with set_reminder."""
        del now  # kept in the signature for symmetry with mark_blocked
        async with self._transaction() as tx:
            await tx.execute("UPDATE users SET blocked_at = NULL WHERE user_id = ?", (user_id,))

    async def due_reminders(self, now: datetime, limit: int) -> list[User]:
        """Users whose check-in is due at `now`, earliest first (a range scan of the index)."""
        rows = await self._fetch(
            f"SELECT {_USER_COLUMNS} FROM users INDEXED BY users_next_reminder "
            "WHERE next_reminder_at IS NOT NULL AND next_reminder_at <= ? "
            "AND reminders_on = 1 AND blocked_at IS NULL "
            "ORDER BY next_reminder_at LIMIT ?",
            (_epoch(now), limit),
        )
        return [_user(row) for row in rows]

    async def claim_reminder(
        self,
        user_id: int,
        *,
        expected_next_at: datetime,
        new_next_at: datetime,
        new_slot_at: datetime,
        night: date,
        now: datetime,
    ) -> bool:
        """Compare-and-set, committed before the send: only if next_reminder_at still equals
        `expected_next_at`, move it on and write the "sent" mark (last_checkin_night). False if
        someone else moved it first (another dispatcher, a settings change).

        The night's diary row is created in the same commit, so the buttons of a check-in
        that went out just before a crash (its message id never stored) still work. One trip
        to the database thread: it runs for every check-in of a busy morning, next to presses
        that wait for the same connection."""
        moved = (
            _epoch(new_next_at),
            _epoch(new_slot_at),
            night.isoformat(),
            user_id,
            _epoch(expected_next_at),
        )
        row = (user_id, night.isoformat(), _iso(now), _iso(now), None)

        def claim(db: sqlite3.Connection) -> bool:
            cursor = db.execute(
                "UPDATE users SET next_reminder_at = ?, reminder_slot_at = ?, "
                "last_checkin_night = ?, paused_until = NULL "
                "WHERE user_id = ? AND next_reminder_at = ? "
                "AND reminders_on = 1 AND blocked_at IS NULL",
                moved,
            )
            if cursor.rowcount != 1:
                return False
            db.execute(_NEW_NIGHT + "NOTHING", row)
            return True

        return await self._in_one_trip(claim)

    async def retry_reminder(
        self,
        user_id: int,
        *,
        retry_at: datetime,
        slot_at: datetime,
        expected_next_at: datetime | None = None,
    ) -> None:
        """A send failed (network, 5xx): try again at `retry_at` for the same morning slot.
        With `expected_next_at`, only if nobody changed the schedule since the claim."""
        sql = (
            "UPDATE users SET next_reminder_at = ?, reminder_slot_at = ? "
            "WHERE user_id = ? AND reminders_on = 1 AND blocked_at IS NULL"
        )
        params: list[Any] = [_epoch(retry_at), _epoch(slot_at), user_id]
        if expected_next_at is not None:
            sql += " AND next_reminder_at = ?"
            params.append(_epoch(expected_next_at))
        async with self._transaction() as tx:
            await tx.execute(sql, params)

    async def skip_reminder(
        self, user_id: int, *, new_next_at: datetime, expected_next_at: datetime | None = None
    ) -> None:
        """A morning missed beyond the window: schedule the next one, send nothing now.
        With `expected_next_at`, only if nobody changed the schedule meanwhile."""
        new_epoch = _epoch(new_next_at)
        sql = (
            "UPDATE users SET next_reminder_at = ?, reminder_slot_at = ? "
            "WHERE user_id = ? AND reminders_on = 1 AND blocked_at IS NULL"
        )
        params: list[Any] = [new_epoch, new_epoch, user_id]
        if expected_next_at is not None:
            sql += " AND next_reminder_at = ?"
            params.append(_epoch(expected_next_at))
        async with self._transaction() as tx:
            await tx.execute(sql, params)

    async def add_reminder_users(
        self,
        users: Iterable[tuple[int, int, datetime]],
        *,
        reminder_time: str,
        timezone: str,
        now: datetime,
    ) -> None:
        """Bulk-create consented users with reminders on, from (user_id, chat_id, next_at)
        rows, in one transaction. For benchmarks and tests that need many users fast."""
        created = _iso(now)
        rows = (
            (uid, chat, created, created, timezone, reminder_time, _epoch(at), _epoch(at))
            for uid, chat, at in users
        )
        async with self._transaction() as tx:
            await tx.executemany(
                "INSERT INTO users (user_id, chat_id, created_at, consented_at, timezone, "
                "reminder_time, reminders_on, next_reminder_at, reminder_slot_at) "
                "VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?)",
                rows,
            )

    async def explain_due_query(self) -> str:
        """The query plan of due_reminders, so tests can prove it uses the index."""
        rows = await self._fetch(
            f"EXPLAIN QUERY PLAN SELECT {_USER_COLUMNS} FROM users "
            "INDEXED BY users_next_reminder "
            "WHERE next_reminder_at IS NOT NULL AND next_reminder_at <= ? "
            "AND reminders_on = 1 AND blocked_at IS NULL "
            "ORDER BY next_reminder_at LIMIT ?",
            (0, 1),
        )
        return "\n".join(str(row["detail"]) for row in rows)

    # --- diary ---------------------------------------------------------------------------------

    async def upsert_diary(
        self,
        user_id: int,
        night: date,
        values: dict[str, Any],
        now: datetime,
        *,
        complete: bool | None = None,
        checkin_message_id: int | None = None,
    ) -> DiaryEntry:
        """Merge `values` into this night's answers (one row per user per night: answering
        again replaces keys, never duplicates). `complete` / `checkin_message_id` left as
        None keep what is stored."""
        key = (user_id, night.isoformat())
        async with self._transaction() as tx:
            rows = list(
                await tx.execute_fetchall(
                    f"SELECT {_DIARY_COLUMNS} FROM diary WHERE user_id = ? AND night = ?", key
                )
            )
            if rows:
                old = _diary(rows[0])
                merged = {**old.answers, **values}
                await tx.execute(
                    "UPDATE diary SET answers = ?, complete = ?, updated_at = ?, "
                    "checkin_message_id = ? WHERE user_id = ? AND night = ?",
                    (
                        _json(merged),
                        int(old.complete if complete is None else complete),
                        _iso(now),
                        old.checkin_message_id
                        if checkin_message_id is None
                        else checkin_message_id,
                        *key,
                    ),
                )
            else:
                await tx.execute(
                    "INSERT INTO diary (user_id, night, answers, complete, recorded_at, "
                    "updated_at, checkin_message_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        *key,
                        _json(dict(values)),
                        int(bool(complete)),
                        _iso(now),
                        _iso(now),
                        checkin_message_id,
                    ),
                )
            rows = list(
                await tx.execute_fetchall(
                    f"SELECT {_DIARY_COLUMNS} FROM diary WHERE user_id = ? AND night = ?", key
                )
            )
        return _diary(rows[0])

    async def get_diary_entry(self, user_id: int, night: date) -> DiaryEntry | None:
        row = await self._fetch_one(
            f"SELECT {_DIARY_COLUMNS} FROM diary WHERE user_id = ? AND night = ?",
            (user_id, night.isoformat()),
        )
        return None if row is None else _diary(row)

    async def list_diary(self, user_id: int, *, since: date | None = None) -> list[DiaryEntry]:
        """This user's diary ordered by night; with `since`, only nights on or after it."""
        rows = await self._fetch(
            f"SELECT {_DIARY_COLUMNS} FROM diary WHERE user_id = ? AND night >= ? ORDER BY night",
            (user_id, "" if since is None else since.isoformat()),
        )
        return [_diary(row) for row in rows]

    async def user_and_diary(self, user_id: int) -> tuple[User | None, list[DiaryEntry]]:
        """The user (None if unknown, with no diary then) and their whole diary by night, in
        one trip to the database thread: /history needs both, and twenty people asking at
        once would otherwise queue forty trips in front of everybody's presses."""

        def read(connection: sqlite3.Connection) -> tuple[User | None, list[DiaryEntry]]:
            # fetchall, not fetchone: a statement left unfinished would block the COMMIT.
            users = connection.execute(
                f"SELECT {_USER_COLUMNS} FROM users WHERE user_id = ?", (user_id,)
            ).fetchall()
            if not users:
                return None, []
            nights = connection.execute(
                f"SELECT {_DIARY_COLUMNS} FROM diary WHERE user_id = ? ORDER BY night",
                (user_id,),
            ).fetchall()
            return _user(users[0]), [_diary(night) for night in nights]

        # Reads only, so no transaction (as in _fetch): the one connection is ours under the
        # lock, and the hand-off is the one _in_one_trip uses.
        async with self._lock:
            found: tuple[User | None, list[DiaryEntry]] = await self._db._execute(
                read, self._db._conn
            )
            return found

    async def set_checkin_message(
        self, user_id: int, night: date, message_id: int, now: datetime
    ) -> None:
        """The check-in message of a night just went out: presses must come from it. One
        statement, as it runs for every check-in of a busy morning; the row is normally there
        already (made with the claim), else it is made now."""
        row = (user_id, night.isoformat(), _iso(now), _iso(now), message_id)
        # updated_at stays: it is the time of the last answer, which /export shows.
        await self._in_one_trip(
            lambda db: db.execute(
                _NEW_NIGHT + "UPDATE SET checkin_message_id = excluded.checkin_message_id", row
            )
        )

    async def record_nudge(self, user_id: int, reason: str, now: datetime) -> None:
        async with self._transaction() as tx:
            await tx.execute(
                "INSERT INTO nudges (user_id, reason, sent_at) VALUES (?, ?, ?)",
                (user_id, reason, _iso(now)),
            )

    async def last_nudge_at(self, user_id: int, reason: str) -> datetime | None:
        row = await self._fetch_one(
            "SELECT max(sent_at) AS last FROM nudges WHERE user_id = ? AND reason = ?",
            (user_id, reason),
        )
        return None if row is None or row["last"] is None else _from_iso(row["last"])

    async def list_nudges(self, user_id: int) -> list[dict[str, Any]]:
        """For /export: every warning shown to this user, oldest first.

        Each: {"reason": str, "sent_at": aware UTC datetime}."""
        rows = await self._fetch(
            "SELECT reason, sent_at FROM nudges WHERE user_id = ? ORDER BY sent_at, reason",
            (user_id,),
        )
        return [{"reason": row["reason"], "sent_at": _from_iso(row["sent_at"])} for row in rows]

    # --- the running service (not about people) -------------------------------------------------

    async def record_tick(self, now: datetime) -> None:
        """The minute job's heartbeat; also proves the database still takes writes."""
        async with self._transaction() as tx:
            await tx.execute(
                "INSERT INTO service (key, value) VALUES ('tick', ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (_iso(now),),
            )

    async def last_tick(self) -> datetime | None:
        row = await self._fetch_one("SELECT value FROM service WHERE key = 'tick'")
        return None if row is None else _from_iso(row["value"])

    async def usage_counts(self, now: datetime) -> UsageCounts:
        """Counts only: no row of a person leaves this method."""
        week, month = _iso(now - timedelta(days=7)), _iso(now - timedelta(days=30))
        first_night = (now - timedelta(days=30)).date().isoformat()
        async with self._lock:
            db = self._db
            people = next(
                iter(
                    await db.execute_fetchall(
                        "SELECT count(*), count(consented_at), count(blocked_at), "
                        "coalesce(sum(reminders_on), 0) FROM users"
                    )
                )
            )
            finished = next(
                iter(
                    await db.execute_fetchall(
                        "SELECT count(*) FILTER (WHERE finished_at >= ?), count(*) "
                        "FROM assessments WHERE status = 'finished' AND finished_at >= ?",
                        (week, month),
                    )
                )
            )
            levels = await db.execute_fetchall(
                "SELECT coalesce(level, ''), count(*) FROM assessments "
                "WHERE status = 'finished' AND finished_at >= ? GROUP BY 1",
                (month,),
            )
            checkins = next(
                iter(
                    await db.execute_fetchall(
                        "SELECT count(checkin_message_id), "
                        "count(*) FILTER (WHERE complete = 1), "
                        "count(*) FILTER (WHERE json_extract(answers, '$.skipped') = 1) "
                        "FROM diary WHERE night >= ?",
                        (first_night,),
                    )
                )
            )
        return UsageCounts(
            people=int(people[0]),
            consented=int(people[1]),
            blocked=int(people[2]),
            reminders_on=int(people[3]),
            finished_7d=int(finished[0]),
            finished_30d=int(finished[1]),
            levels_30d={str(row[0]): int(row[1]) for row in levels},
            checkins_sent_30d=int(checkins[0]),
            checkins_answered_30d=int(checkins[1]),
            checkins_skipped_30d=int(checkins[2]),
        )
