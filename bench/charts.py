"""The /history chart and the PDF report: how long drawing takes, and what twenty people
asking for a chart at once do to everybody else's button presses.

    python -m bench.charts [--users 10] [--quiet-seconds 20] [--rounds 3] [--charts 20]
                           [--at-once 1] [--renders 20]

1. Render time, in this process, without Telegram: `chart_png` for 30 and 90 nights and the
   whole PDF (`make_report`), `renders` times each after one warm-up (the first drawing
   imports matplotlib and fpdf2; its time is shown apart).
2. The production bot over loopback HTTP (bench.common.bot_rig): `users` people go through
   the questionnaire, pausing about `think` seconds between presses (bench.latency's
   Presser). Phase "quiet":
   only them, for `quiet-seconds`. Phase "charts": `rounds` times, `charts` other people,
   each with 30 recorded nights, send /history in the same instant; the phase lasts until
   the last of their photos has arrived. Press latency is from the press being queued in
   the fake Bot API to the bot's answerCallbackQuery arriving there.

`at-once` is how many charts the bot draws at the same time (production: 1). The fake Bot
API, the people and the bot share one process, so compare the phases with each other rather
than read the figures as Telegram's.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bench.common import BotRig, bot_rig, load_now, machine, percentile, quiet_logs, table
from bench.latency import FIRST_PRESSER, Press, Presser, watch_loop
from bot.content.load import load_content
from bot.diary.chart import ChartRenderer, ChartWords, chart_nights, chart_png
from bot.diary.report_pdf import make_report
from bot.fakeapi.records import HistoryEvent
from handlers.chart import RENDERER_KEY

START = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
FIRST_CHARTER = 5001


@dataclass(frozen=True)
class Night:
    night: date
    answers: dict[str, Any]


def diary(rng: random.Random, last: date, nights: int = 30) -> list[Night]:
    """A plausible month: most nights answered, some cramps, a few factors."""
    entries = []
    for back in range(nights):
        if rng.random() < 0.1:
            continue
        cramps = rng.choice([0, 0, 0, 1, 1, 2, 4])
        answers: dict[str, Any] = {
            "cramps": cramps,
            "twitch": "none",
            "factors": rng.sample(
                ["caffeine", "alcohol", "stress", "exercise"], rng.randint(0, 2)
            ),
            "factors_done": True,
        }
        if cramps:
            answers |= {"longest": rng.choice(["lt1", "1_5", "gt10"]), "woke": rng.random() < 0.4}
        entries.append(Night(last - timedelta(days=back), answers))
    return entries


def render_times(renders: int) -> list[list[str]]:
    content = load_content()
    rng = random.Random(3)
    last = date(2026, 11, 24)
    entries = diary(rng, last, 90)
    rows = []
    cases = {
        "chart, 30 nights": lambda: chart_png(
            chart_nights(entries, last, 30), ChartWords.from_texts(content, 30, None)
        ),
        "chart, 90 nights, shaded": lambda: chart_png(
            chart_nights(entries, last, 90),
            ChartWords.from_texts(content, 90, "stress"),
            "stress",
        ),
        "PDF report (chart included)": lambda: make_report(
            content,
            entries=entries,
            nudges=[],
            questionnaire=None,
            today=last + timedelta(days=1),
            zone=ZoneInfo("UTC"),
        ),
    }
    for name, work in cases.items():
        started = time.perf_counter()
        work()
        first = time.perf_counter() - started
        times = []
        for _ in range(renders):
            started = time.perf_counter()
            work()
            times.append((time.perf_counter() - started) * 1000)
        rows.append(
            [
                name,
                f"{first * 1000:.0f}",
                renders,
                f"{statistics.median(times):.0f}",
                f"{percentile(times, 0.95):.0f}",
            ]
        )
    return rows


@dataclass
class Bursts:
    seconds: float = 0.0
    waits: list[float] | None = None  # /history to photo, seconds


async def chart_rounds(rig: BotRig, phase: list[str], rounds: int, charts: int) -> Bursts:
    people = range(FIRST_CHARTER, FIRST_CHARTER + charts)
    photos: dict[int, float] = {}

    def on_photo(event: HistoryEvent) -> None:
        if event.kind == "photo":
            photos[event.chat_id] = time.monotonic()

    unsubscribe = rig.emulator.subscribe(on_photo)
    result = Bursts(waits=[])
    try:
        for _ in range(rounds):
            photos.clear()
            phase[0] = "charts"
            began = time.monotonic()
            for person in people:
                rig.emulator.user_sends_text(person, person, "/history")
            await rig.emulator.wait_until(
                lambda: len(photos) == charts, within=600, what="every chart"
            )
            result.seconds += time.monotonic() - began
            assert result.waits is not None
            result.waits.extend(moment - began for moment in photos.values())
            phase[0] = "between"
            await asyncio.sleep(1)
    finally:
        unsubscribe()
    return result


async def measure(
    users: int,
    quiet_seconds: float,
    rounds: int,
    charts: int,
    at_once: int,
    think: float,
    process: bool,
) -> tuple[dict[str, list[Press]], dict[str, float], Bursts, dict[str, list[float]]]:
    async with bot_rig(send_rate=25, flood_per_second=None, start=START) as rig:
        rig.app.bot_data[RENDERER_KEY] = ChartRenderer(at_once, process=process)
        rng = random.Random(5)
        last = date(2026, 11, 24)
        for person in [*range(FIRST_CHARTER, FIRST_CHARTER + charts)]:
            rig.emulator.user(person, "Kim")
            await rig.storage.upsert_user(person, person, START)
            await rig.storage.set_consent(person, START)
            for entry in diary(rng, last):
                await rig.storage.upsert_diary(person, entry.night, entry.answers, START)
        # One chart first: the import of matplotlib is a one-off, not part of the phases.
        warm = FIRST_CHARTER
        rig.emulator.user_sends_text(warm, warm, "/history")
        await rig.emulator.wait_until(
            lambda: bool(rig.emulator.photos(warm)), within=120, what="the first chart"
        )
        phase = ["warmup"]
        lags: dict[str, list[float]] = {}
        stop = asyncio.Event()
        pressers = [
            Presser(rig, FIRST_PRESSER + n, think, random.Random(rng.random()))
            for n in range(users)
        ]
        tasks = [asyncio.create_task(p.run(phase, stop)) for p in pressers]
        watcher = asyncio.create_task(watch_loop(phase, lags))
        await asyncio.sleep(3)
        phase[0] = "quiet"
        await asyncio.sleep(quiet_seconds)
        phase[0] = "between"
        bursts = await chart_rounds(rig, phase, rounds, charts)
        stop.set()
        await asyncio.gather(*tasks)
        watcher.cancel()
    presses = {
        name: [p for presser in pressers for p in presser.presses if p.phase == name]
        for name in ("quiet", "charts")
    }
    return presses, {"quiet": quiet_seconds, "charts": bursts.seconds}, bursts, lags


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=10, help="people pressing buttons")
    parser.add_argument("--quiet-seconds", type=float, default=20.0)
    parser.add_argument("--rounds", type=int, default=3, help="bursts of simultaneous charts")
    parser.add_argument("--charts", type=int, default=20, help="people asking at once")
    parser.add_argument("--at-once", type=int, default=1, help="charts drawn at the same time")
    parser.add_argument("--renders", type=int, default=20, help="timed drawings of each kind")
    parser.add_argument(
        "--process", action="store_true", help="draw in a worker process, not a thread"
    )
    parser.add_argument("--think", type=float, default=0.25, help="mean pause between presses")
    args = parser.parse_args(argv)
    quiet_logs()
    print(machine())
    print()
    print(
        table(["drawing", "first ms", "timed", "median ms", "p95 ms"], render_times(args.renders))
    )
    presses, seconds, bursts, lags = asyncio.run(
        measure(
            args.users,
            args.quiet_seconds,
            args.rounds,
            args.charts,
            args.at_once,
            args.think,
            args.process,
        )
    )
    print(load_now())
    waits = [w * 1000 for w in bursts.waits or []]
    print(
        f"\n{args.rounds} x {args.charts} simultaneous /history, drawing {args.at_once} at a "
        f"time in a {'process' if args.process else 'thread'}: photo after "
        f"{percentile(waits, 0.5):.0f} ms median, "
        f"{percentile(waits, 0.95):.0f} ms p95, {max(waits, default=0):.0f} ms max\n"
    )
    rows = []
    for name, group in presses.items():
        ms = [p.latency * 1000 for p in group if p.latency is not None]
        lag = [value * 1000 for value in lags.get(name, [])]
        rows.append(
            [
                name,
                f"{seconds[name]:.1f}",
                len(group),
                len(group) - len(ms),
                f"{percentile(ms, 0.5):.1f}",
                f"{percentile(ms, 0.95):.1f}",
                f"{max(ms, default=float('nan')):.1f}",
                f"{percentile(lag, 0.95):.1f}",
            ]
        )
    quiet = [p.latency for p in presses["quiet"] if p.latency is not None]
    busy = [p.latency for p in presses["charts"] if p.latency is not None]
    print(
        table(
            [
                "phase",
                "seconds",
                "presses",
                "unanswered",
                "p50 ms",
                "p95 ms",
                "max ms",
                "loop lag p95 ms",
            ],
            rows,
        )
    )
    if quiet and busy:
        ratio = percentile(busy, 0.95) / percentile(quiet, 0.95)
        print(f"\np95 during charts / quiet p95: {ratio:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
