"""Shared pieces of the benchmarks: memory and percentile helpers, a plain-text table, and a
running bot (the production Application) talking over loopback HTTP to the fake Bot API.

Benchmarks are run by hand (`python -m bench.<name>`) and their results are written down in
docs/benchmarks.md; nothing here is a test and nothing asserts on time.
"""

from __future__ import annotations

import logging
import math
import os
import platform
import tempfile
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.clock import MovableClock
from bot.config import Settings
from bot.content.load import load_content
from bot.diary.dispatcher import ReminderDispatcher
from bot.fakeapi.emulator import BotApiEmulator
from bot.fakeapi.http import FakeBotApiServer
from bot.fakeapi.records import HistoryEvent
from bot.storage import Storage
from bot.wiring.app import build_application, running
from bot.wiring.deps import Deps

AnyApp = Any  # Application[...] with six type parameters; the benchmarks never look inside


# --- measuring -----------------------------------------------------------------------------


def proc_status_kib(field_name: str) -> int:
    """A memory figure of this process from /proc/self/status (VmRSS, VmHWM), in KiB."""
    with Path("/proc/self/status").open(encoding="ascii") as status:
        for line in status:
            if line.startswith(field_name + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field_name} not found in /proc/self/status")


def rss_mib() -> float:
    return proc_status_kib("VmRSS") / 1024


def peak_rss_mib() -> float:
    return proc_status_kib("VmHWM") / 1024


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile (fraction 0.5 = median, 0.95 = p95); nan for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def max_in_window(moments: Sequence[float], window: float = 1.0) -> int:
    """The most events inside any sliding window of `window` seconds (moments ascending),
    the same way the fake Bot API's flood limit counts them."""
    best = 0
    start = 0
    for end, moment in enumerate(moments):
        while moments[start] <= moment - window:
            start += 1
        best = max(best, end - start + 1)
    return best


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A Markdown table, readable in the terminal and pasteable into docs/benchmarks.md."""
    cells = [[str(h) for h in headers], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]

    def line(row: Sequence[str]) -> str:
        return "| " + " | ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)) + " |"

    rule = "|" + "|".join("-" * (width + 2) for width in widths) + "|"
    return "\n".join([line(cells[0]), rule, *(line(row) for row in cells[1:])])


def machine() -> str:
    """The machine, and how busy it already is: other processes on two cores move the
    figures, so every run says what the load average was when it started."""
    one, five, _ = os.getloadavg()
    return (
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}; load average {one:.2f} (1 min), {five:.2f} (5 min)"
    )


def load_now() -> str:
    one, five, _ = os.getloadavg()
    return f"load average at the end {one:.2f} (1 min), {five:.2f} (5 min)"


def quiet_logs() -> None:
    # httpx logs every request at INFO; thousands of lines would drown the table.
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)


# --- a running bot -------------------------------------------------------------------------


@dataclass
class SentLog:
    """Wall-clock moments (time.monotonic) at which the fake Bot API recorded events."""

    sent: dict[int, list[float]] = field(default_factory=dict)  # chat -> sendMessage moments
    answered: dict[int, list[float]] = field(default_factory=dict)  # chat -> answer moments

    def listen(self, event: HistoryEvent) -> None:
        moment = time.monotonic()
        if event.kind == "sent":
            self.sent.setdefault(event.chat_id, []).append(moment)
        elif event.kind == "answered":
            self.answered.setdefault(event.chat_id, []).append(moment)

    def sends_to(self, chats: range) -> list[float]:
        return sorted(m for chat in chats for m in self.sent.get(chat, ()))


@dataclass
class BotRig:
    emulator: BotApiEmulator
    server: FakeBotApiServer
    storage: Storage
    clock: MovableClock
    deps: Deps
    app: AnyApp
    dispatcher: ReminderDispatcher
    log: SentLog


@asynccontextmanager
async def bot_rig(
    *, send_rate: float, flood_per_second: int | None, start: datetime
) -> AsyncIterator[BotRig]:
    """The production Application (build_application + running) polling a FakeBotApiServer
    on 127.0.0.1 whose emulator keeps no history (long runs) and, when `flood_per_second` is
    set, answers sendMessage with 429 retry_after=1 beyond that many per second.

    The clock runs in real time from `start`. The benchmark calls `rig.dispatcher.tick()`
    itself, so the once-a-minute job (if the wiring installs one) is removed: a measurement
    must have a defined start."""
    content = load_content()
    emulator = BotApiEmulator(keep_history=False)
    if flood_per_second is not None:
        emulator.flood_limit(flood_per_second)
    log = SentLog()
    emulator.subscribe(log.listen)
    clock = MovableClock(start)
    with tempfile.TemporaryDirectory(prefix="cramp-bench-") as folder:
        db_path = Path(folder) / "bench.db"
        storage = await Storage.open(db_path)
        try:
            async with FakeBotApiServer(emulator) as server:
                settings = Settings(
                    token=emulator.token,
                    db_path=db_path,
                    api_base_url=server.base_url,
                    send_rate=send_rate,
                )
                deps = Deps(settings=settings, content=content, storage=storage, clock=clock)
                app = build_application(deps)
                async with running(app, poll_timeout=1):
                    if app.job_queue is not None:
                        for job in app.job_queue.jobs():
                            job.schedule_removal()
                    # The production dispatcher and send (handlers/checkin.py on_startup),
                    # paced at settings.send_rate.
                    dispatcher = deps.dispatcher
                    if dispatcher is None:
                        raise RuntimeError("the bot started without a reminder dispatcher")
                    yield BotRig(emulator, server, storage, clock, deps, app, dispatcher, log)
        finally:
            await storage.close()


async def add_due_users(
    rig: BotRig, first_id: int, count: int, *, due_at: datetime, zone: str, local: str
) -> range:
    """`count` consented users with reminders on, due at `due_at`, known to the emulator."""
    ids = range(first_id, first_id + count)
    for user_id in ids:
        rig.emulator.user(user_id, "Sam")
    await rig.storage.add_reminder_users(
        ((user_id, user_id, due_at) for user_id in ids),
        reminder_time=local,
        timezone=zone,
        now=rig.clock.now(),
    )
    return ids
