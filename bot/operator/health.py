"""Is the bot healthy? The database answers and the minute tick ran recently.

One check for three callers: `GET /healthz` on the webhook server, `cramp-bot health` from a
shell or a container health check (exit 0/1), and the systemd watchdog ping sent after each
tick. The tick writes its heartbeat into the database (Storage.record_tick), so a separate
process can tell, and a database that stopped taking writes shows up as a stale tick.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from bot.storage import Storage, StorageError

TICK_SECONDS = 60
# Three missed ticks: one slow tick (a busy morning) is not an outage.
STALE_AFTER = timedelta(seconds=3 * TICK_SECONDS)
DB_TIMEOUT = 5.0


@dataclass(frozen=True)
class Health:
    ok: bool
    reason: str  # one line for a person: what is wrong, or what is fine

    @property
    def line(self) -> str:
        return f"{'ok' if self.ok else 'unhealthy'}: {self.reason}"


def judge(last_tick: datetime | None, now: datetime) -> Health:
    if last_tick is None:
        return Health(False, "the minute tick has never run (is the bot started?)")
    age = (now - last_tick).total_seconds()
    if age > STALE_AFTER.total_seconds():
        return Health(False, f"the minute tick last ran {age:.0f} s ago")
    return Health(True, f"database reachable, minute tick {max(age, 0):.0f} s ago")


async def check(storage: Storage, now: datetime) -> Health:
    try:
        last = await asyncio.wait_for(storage.last_tick(), DB_TIMEOUT)
    except TimeoutError:
        return Health(False, f"the database did not answer within {DB_TIMEOUT:g} s")
    except Exception as error:  # any database failure means unhealthy, never a crash
        return Health(False, f"the database cannot be read ({type(error).__name__})")
    return judge(last, now)


async def check_file(path: Path, now: datetime) -> Health:
    """The check from outside the bot's process: opens the database read-only."""
    try:
        storage = await Storage.open_readonly(path)
    except StorageError as error:
        return Health(False, str(error))
    try:
        return await check(storage, now)
    finally:
        await storage.close()


def notify_systemd(state: str) -> bool:
    """sd_notify(3) without a library: one datagram to $NOTIFY_SOCKET ("READY=1",
    "WATCHDOG=1", "STOPPING=1"). False when not run by systemd with Type=notify."""
    address = os.environ.get("NOTIFY_SOCKET")
    if not address:
        return False
    if address.startswith("@"):  # an abstract socket
        address = "\0" + address[1:]
    with contextlib.suppress(OSError), socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.connect(address)
        sock.sendall(state.encode("ascii"))
        return True
    return False


async def heartbeat(storage: Storage, now: datetime) -> None:
    """After each finished minute tick: the heartbeat row, then the systemd watchdog ping
    (a tick that raised or could not write sends neither, so systemd restarts a stuck bot)."""
    await storage.record_tick(now)
    notify_systemd("WATCHDOG=1")
