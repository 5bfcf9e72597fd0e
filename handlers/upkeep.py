"""The upkeep job: once a minute, bot/upkeep.py checks the database file and (hourly) removes
people past the retention period. A database deleted or replaced under the running bot stops
it (exit code 1 in `cramp-bot run`) rather than writing into a file nobody will ever read."""

from __future__ import annotations

import logging

from bot.upkeep import Upkeep
from bot.wiring.deps import Context, get_deps
from handlers.common import AnyApp, deps

log = logging.getLogger(__name__)

JOB_NAME = "upkeep"
TICK_SECONDS = 60


async def upkeep_tick(context: Context) -> None:
    d = deps(context)
    if d.upkeep is None:
        return
    fatal = await d.upkeep.minute()
    if fatal is None:
        return
    log.error(
        "%s. Stopping: answers written now would be lost. Put the database back (or restore "
        "a backup made with `cramp-bot backup`) and start the bot again.",
        fatal,
    )
    if context.job is not None:
        context.job.schedule_removal()
    if d.stop_with is not None:
        d.stop_with(1)


async def on_startup(application: AnyApp) -> None:
    d = get_deps(application)
    d.upkeep = Upkeep(d.storage, d.clock, retention_days=d.settings.retention_days)
    queue = application.job_queue
    if queue is None:  # pragma: no cover - APScheduler is a dependency
        return
    for old in queue.get_jobs_by_name(JOB_NAME):
        old.schedule_removal()
    queue.run_repeating(
        upkeep_tick,
        interval=TICK_SECONDS,
        first=TICK_SECONDS,
        name=JOB_NAME,
        job_kwargs={"max_instances": 1, "coalesce": True, "misfire_grace_time": None},
    )


def register(application: AnyApp) -> None:
    del application  # a job, no update handlers
