"""How long the once-a-minute "who is due" query takes with 1,000 and 1,000,000 users, and the
memory of the process that runs it.

    python -m bench.due_query [--sizes 1000 1000000] [--samples 50]

Each size gets its own SQLite file, filled in bulk (Storage.add_reminder_users): reminder
times in twelve zones, most on the half-hour buttons (06:00 ... 09:00) and the rest typed,
any minute from 05:00 to 10:59 local. A fresh child process then measures, so the memory it
reports is that of a process that opened the file and queried it, not of the one that built
it.

The measurement walks through one day in steady state: before each sampled minute, every
reminder due earlier is moved on by a day (what the dispatcher's claims do), so the query at
the end of the minute returns exactly that minute's users, as it would in production.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bench.common import load_now, machine, peak_rss_mib, percentile, rss_mib, table
from bot.diary.schedule import next_local_occurrence, parse_local_time
from bot.storage import Storage

ZONES = (
    "Europe/Berlin",
    "Europe/London",
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "America/Sao_Paulo",
    "Africa/Lagos",
    "Asia/Kolkata",
    "Asia/Shanghai",
    "Asia/Tokyo",
    "Australia/Sydney",
    "Pacific/Chatham",
)
BUTTON_TIMES = ("06:00", "06:30", "07:00", "07:30", "08:00", "08:30", "09:00")
TYPED_SHARE = 0.4
DAY_START = datetime(2026, 11, 25, 0, 0, tzinfo=UTC)  # every first reminder in the next 24 h
QUERY_LIMIT = 1_000_000  # the whole minute, however busy
DISPATCHER_BATCH = 1000  # what ReminderDispatcher asks for at a time (its `batch`)


def reminder_mix(users: int, seed: int) -> Counter[tuple[str, str]]:
    """How many users chose each (local time, zone)."""
    rng = random.Random(seed)
    mix: Counter[tuple[str, str]] = Counter()
    for _ in range(users):
        if rng.random() < TYPED_SHARE:
            minute = rng.randrange(5 * 60, 11 * 60)
            local = f"{minute // 60:02d}:{minute % 60:02d}"
        else:
            local = rng.choice(BUTTON_TIMES)
        mix[(local, rng.choice(ZONES))] += 1
    return mix


async def build(path: Path, users: int, seed: int) -> float:
    """Fills a new database; returns the seconds it took."""
    started = time.perf_counter()
    storage = await Storage.open(path)
    try:
        next_id = 1
        for (local, zone), count in sorted(reminder_mix(users, seed).items()):
            moment = parse_local_time(local)
            assert moment is not None
            due = next_local_occurrence(moment, ZoneInfo(zone), DAY_START)
            ids = range(next_id, next_id + count)
            next_id += count
            await storage.add_reminder_users(
                ((uid, uid, due) for uid in ids), reminder_time=local, timezone=zone, now=DAY_START
            )
    finally:
        await storage.close()
    return time.perf_counter() - started


def busy_minutes(path: Path, samples: int, seed: int) -> list[int]:
    """`samples` minutes (epoch seconds of their start) that have due users, in time order."""
    with closing(sqlite3.connect(path)) as db, db:
        minutes = [
            int(row[0])
            for row in db.execute(
                "SELECT DISTINCT next_reminder_at / 60 * 60 FROM users "
                "WHERE next_reminder_at IS NOT NULL"
            )
        ]
    rng = random.Random(seed)
    return sorted(rng.sample(minutes, min(samples, len(minutes))))


async def measure(path: Path, samples: int, seed: int) -> dict[str, Any]:
    """Runs in the child process: opens the file, walks the day, times each minute's query."""
    minutes = busy_minutes(path, samples, seed)
    storage = await Storage.open(path)
    rss_opened = rss_mib()
    plan = await storage.explain_due_query()
    mover = sqlite3.connect(path, isolation_level=None)
    mover.execute("PRAGMA busy_timeout = 5000")
    timings: list[float] = []
    batch_timings: list[float] = []
    rows: list[int] = []
    try:
        for minute in minutes:
            # Steady state: everything before this minute was sent and moved to tomorrow.
            mover.execute(
                "UPDATE users SET next_reminder_at = next_reminder_at + 86400, "
                "reminder_slot_at = reminder_slot_at + 86400 "
                "WHERE next_reminder_at IS NOT NULL AND next_reminder_at < ?",
                (minute,),
            )
            now = datetime.fromtimestamp(minute + 59, UTC)
            started = time.perf_counter()
            due = await storage.due_reminders(now, QUERY_LIMIT)
            timings.append(time.perf_counter() - started)
            rows.append(len(due))
            started = time.perf_counter()
            await storage.due_reminders(now, DISPATCHER_BATCH)
            batch_timings.append(time.perf_counter() - started)
            # Nobody due before this minute: the steady state held.
            assert all(
                u.next_reminder_at and u.next_reminder_at.timestamp() >= minute for u in due
            )
        rss_after = rss_mib()
        with closing(sqlite3.connect(path)) as db, db:
            total = db.execute("SELECT count(*) FROM users").fetchone()[0]
    finally:
        mover.close()
        await storage.close()
    return {
        "users": total,
        "minutes": len(minutes),
        "median_ms": percentile(timings, 0.5) * 1000,
        "p95_ms": percentile(timings, 0.95) * 1000,
        "max_ms": max(timings) * 1000,
        "batch_median_ms": percentile(batch_timings, 0.5) * 1000,
        "batch_p95_ms": percentile(batch_timings, 0.95) * 1000,
        "rows_median": percentile(rows, 0.5),
        "rows_max": max(rows),
        "rss_opened_mib": rss_opened,
        "rss_after_mib": rss_after,
        "peak_rss_mib": peak_rss_mib(),
        "plan": plan,
    }


def run_child(path: Path, samples: int, seed: int) -> dict[str, Any]:
    command = [sys.executable, "-m", "bench.due_query", "--measure", str(path)]
    command += ["--samples", str(samples), "--seed", str(seed)]
    done = subprocess.run(command, check=True, capture_output=True, text=True, timeout=600)
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 1_000_000])
    parser.add_argument("--samples", type=int, default=50, help="minutes of the day to time")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)  # the child's job
    args = parser.parse_args(argv)
    if args.measure is not None:
        print(json.dumps(asyncio.run(measure(args.measure, args.samples, args.seed))))
        return 0

    print(machine())
    results = []
    with tempfile.TemporaryDirectory(prefix="cramp-bench-") as folder:
        for size in args.sizes:
            path = Path(folder) / f"users-{size}.db"
            seconds = asyncio.run(build(path, size, args.seed))
            result = run_child(path, args.samples, args.seed)
            result["build_s"] = seconds
            result["file_mib"] = (
                sum(p.stat().st_size for p in Path(folder).glob(f"users-{size}.db*")) / 2**20
            )
            results.append(result)
            path.unlink()
    print(load_now())
    print(f"query plan: {results[-1]['plan']}")
    print()
    print(
        table(
            [
                "users",
                "file MiB",
                "build s",
                "minutes timed",
                "due rows/min (median, max)",
                "query median ms",
                "query p95 ms",
                f"first {DISPATCHER_BATCH:,} rows median / p95 ms",
                "RSS after queries MiB",
                "peak RSS MiB",
            ],
            [
                [
                    f"{r['users']:,}",
                    f"{r['file_mib']:.1f}",
                    f"{r['build_s']:.1f}",
                    r["minutes"],
                    f"{r['rows_median']:,}, {r['rows_max']:,}",
                    f"{r['median_ms']:.2f}",
                    f"{r['p95_ms']:.2f}",
                    f"{r['batch_median_ms']:.2f} / {r['batch_p95_ms']:.2f}",
                    f"{r['rss_after_mib']:.1f}",
                    f"{r['peak_rss_mib']:.1f}",
                ]
                for r in results
            ],
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
