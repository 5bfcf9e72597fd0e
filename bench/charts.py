"""The /history chart and the PDF report: how long drawing takes, and what twenty people
asking for a chart at once do to everybody else's button presses.

    python -m bench.charts [--users 10] [--quiet-seconds 20] [--rounds 3] [--charts 20]
                           [--renders 20] [--think 0.25] [--py-spy PATH]

1. Render time, in this process, without Telegram: the photo (`chart_photo`) and the whole
   drawing (`chart_png`) for 30 and 90 nights, and the whole PDF (`make_report`), `renders`
   times each after one warm-up (the first drawing imports matplotlib and fpdf2, the first
   photo draws its frame; that time is shown apart).
2. The bot from outside: the real `cramp-bot run` as its own process with its own SQLite
   file (bench.load's `target_process`), polling the fake Bot API on 127.0.0.1, which runs
   in this process with the people. Before the bot starts, `charts` people, each with 30
   recorded nights, are written into its database. `users` people go through the
   questionnaire as bench.load's people do, pausing about `think` seconds between presses
   and starting again with /check after each result. `rounds` times: phase "quiet", only
   them, for `quiet-seconds` / `rounds`; then phase "charts", in which the `charts` people
   send /history in the same instant, until the last of their photos has arrived. Press
   latency is from the press being queued in the fake Bot API to the bot's
   answerCallbackQuery arriving there.

The fake Bot API parses the photo uploads on this process's event loop, next to the people;
the bot's own process does only what it does against Telegram. `--py-spy PATH` records the
bot's stacks (py-spy, raw format) during each burst and during as long a stretch at the end
of each quiet phase, into /tmp/bench-charts.{burst,quiet}N.txt.

The last table shows when in a burst the slow presses are: the presses of all bursts by the
quarter of a second they were queued in, counted from their burst's start, against the quiet
stretches.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import resource
import signal
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bench.common import load_now, machine, percentile, quiet_logs, table
from bench.load import Api, Person, cpu_seconds, target_process
from bot.content.load import load_content
from bot.diary.chart import ChartWords, chart_nights, chart_photo, chart_png
from bot.diary.report_pdf import make_report
from bot.fakeapi.http import FakeBotApiServer
from bot.fakeapi.records import HistoryEvent
from bot.storage import Storage

FIRST_PRESSER = 1001
FIRST_CHARTER = 5001
# py-spy's raw stacks: the last SPY_LEAD seconds of each quiet stretch, and each burst
SPY_FILES = Path(tempfile.gettempdir()) / "bench-charts.{name}.txt"
SPY_LEAD = 3.0
EARLY = 1.0  # seconds: the start of a burst, reported apart
QUARTER = 0.25  # seconds: the slices of a burst in the "when in a burst" table
SLICES = 12  # the first three seconds; later presses go in the last slice
FAIRLY_SLOW_MS = 20
SLOW_MS = 30


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
    month, season = chart_nights(entries, last, 30), chart_nights(entries, last, 90)
    plain, shaded = (
        ChartWords.from_texts(content, 30, None),
        ChartWords.from_texts(content, 90, "stress"),
    )
    cases = {
        # What /history sends: the nights stamped onto a kept frame, a JPEG.
        "photo, 30 nights": lambda: chart_photo(month, plain),
        "photo, 90 nights, shaded": lambda: chart_photo(season, shaded, "stress"),
        # The whole drawing, as the PDF makes it (there at print resolution).
        "whole chart, 30 nights": lambda: chart_png(month, plain),
        "whole chart, 90 nights, shaded": lambda: chart_png(season, shaded, "stress"),
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
                str(renders),
                f"{statistics.median(times):.0f}",
                f"{percentile(times, 0.95):.0f}",
            ]
        )
    return rows


# --- the bot from outside -------------------------------------------------------------------


@dataclass
class Clicker:
    """A bench.load person with a pause between presses, who starts again with /check after
    each result, and notes the phase each press was made in."""

    person: Person
    think: float
    rng: random.Random
    # (phase, queued at, seconds to the answer or None)
    presses: list[tuple[str, float, float | None]] = field(default_factory=list)

    async def run(self, phase: list[str], stop: asyncio.Event) -> None:
        person = self.person
        # Staggered arrivals, so ten /start replies do not make a burst of their own.
        await asyncio.sleep(2 * self.rng.random())
        with contextlib.suppress(TimeoutError):
            await person.start()
        while not stop.is_set():
            now = phase[0]
            try:
                pressed = await person.press_next()
            except TimeoutError:
                pressed = True
            if pressed:
                press = person.presses[-1]
                answered = None if press.answered is None else press.answered - press.queued
                self.presses.append((now, press.queued, answered))
            else:
                seen = len(person.screens)
                person.api.user_sends_text(person.user_id, person.user_id, "/check")
                with contextlib.suppress(TimeoutError):
                    await person.until(
                        lambda seen=seen: len(person.screens) > seen, "a new questionnaire"
                    )
            await asyncio.sleep(self.think * (0.5 + self.rng.random()))


async def seed(db: Path, api: Api, people: range, last: date) -> None:
    """Consented people with a month of diary each, in the bot's file before it starts."""
    rng = random.Random(5)
    now = datetime.now(UTC)
    storage = await Storage.open(db)
    try:
        for person in people:
            api.user(person, "Kim")
            await storage.upsert_user(person, person, now)
            await storage.set_consent(person, now)
            for entry in diary(rng, last):
                await storage.upsert_diary(person, entry.night, entry.answers, now)
    finally:
        await storage.close()


@dataclass(frozen=True)
class Cpu:
    """CPU seconds so far of the bot, of its children (the drawing process) and of this
    process (the people and the fake Bot API, which parses the photo uploads)."""

    bot: float
    drawing: float
    bench: float

    @classmethod
    def now(cls, pid: int) -> Cpu:
        children = 0.0
        for task in Path(f"/proc/{pid}/task").iterdir():
            for child in (task / "children").read_text().split():
                with contextlib.suppress(OSError):
                    children += cpu_seconds(int(child))
        own = resource.getrusage(resource.RUSAGE_SELF)
        return cls(cpu_seconds(pid), children, own.ru_utime + own.ru_stime)

    def __sub__(self, other: Cpu) -> Cpu:
        return Cpu(self.bot - other.bot, self.drawing - other.drawing, self.bench - other.bench)

    def __add__(self, other: Cpu) -> Cpu:
        return Cpu(self.bot + other.bot, self.drawing + other.drawing, self.bench + other.bench)


@dataclass
class Bursts:
    seconds: float = 0.0
    waits: list[float] = field(default_factory=list)  # /history to photo, seconds
    starts: list[float] = field(default_factory=list)  # when each burst's /history went
    cpu: Cpu = Cpu(0, 0, 0)  # during the bursts
    quiet_cpu: Cpu = Cpu(0, 0, 0)  # during the quiet stretches


async def chart_rounds(
    api: Api,
    pid: int,
    phase: list[str],
    rounds: int,
    people: range,
    quiet_seconds: float,
    py_spy: str | None,
) -> Bursts:
    """Each round: a quiet stretch (its share of `quiet_seconds`), then a burst. Taking
    turns, the two phases see the same machine: other work on it comes and goes."""
    photos: dict[int, float] = {}

    def on_photo(event: HistoryEvent) -> None:
        if event.kind == "photo" and event.chat_id in people:
            photos[event.chat_id] = time.perf_counter()

    unsubscribe = api.subscribe(on_photo)
    result = Bursts()
    try:
        for round_ in range(rounds):
            phase[0] = "quiet"
            before = Cpu.now(pid)
            stretch = quiet_seconds / rounds
            await asyncio.sleep(max(0.0, stretch - SPY_LEAD))
            async with spying(py_spy, pid, f"quiet{round_}"):
                await asyncio.sleep(min(stretch, SPY_LEAD))
            result.quiet_cpu += Cpu.now(pid) - before
            photos.clear()
            async with spying(py_spy, pid, f"burst{round_}"):
                if py_spy is not None:
                    await asyncio.sleep(0.3)  # py-spy attaches before the burst starts
                phase[0] = "charts"
                began = time.perf_counter()
                result.starts.append(began)
                before = Cpu.now(pid)
                for person in people:
                    api.user_sends_text(person, person, "/history")
                await api.wait_until(
                    lambda: len(photos) == len(people), within=600, what="every chart"
                )
            ended = time.perf_counter()
            result.seconds += ended - began
            result.cpu += Cpu.now(pid) - before
            result.waits.extend(moment - began for moment in photos.values())
            phase[0] = "between"
            await asyncio.sleep(1)
    finally:
        unsubscribe()
    return result


@contextlib.asynccontextmanager
async def spying(py_spy: str | None, pid: int, name: str) -> Any:
    """py-spy recording the bot while the block runs, into SPY_FILES with `name` (nothing
    without a py-spy). It attaches in about a tenth of a second, which the caller allows for."""
    if py_spy is None:
        yield
        return
    out = Path(str(SPY_FILES).format(name=name))
    spy = await asyncio.create_subprocess_exec(
        py_spy, "record", "-p", str(pid), "-d", "3600", "-r", "200", "-f", "raw",
        "-o", str(out), "--threads", "--nonblocking",
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    try:
        yield
    finally:
        spy.send_signal(signal.SIGINT)  # py-spy writes its file when interrupted
        await spy.wait()


@dataclass
class Measured:
    presses: dict[str, list[float | None]]
    slices: list[list[float]]  # answered presses of the bursts by QUARTER since its start
    seconds: dict[str, float]
    cpu: dict[str, Cpu]
    bursts: Bursts


async def measure(args: argparse.Namespace) -> Measured:
    api = Api()
    people = range(FIRST_CHARTER, FIRST_CHARTER + args.charts)
    rng = random.Random(7)
    clickers = [
        Clicker(Person(api, FIRST_PRESSER + n), args.think, random.Random(rng.random()))
        for n in range(args.users)
    ]
    # Only the people's own events: thousands of charts' events need no listener.
    listening = {c.person.user_id: c.person for c in clickers}

    def listen(event: HistoryEvent) -> None:
        person = listening.get(event.chat_id)
        if person is not None:
            person.hear(event, time.perf_counter())

    api.subscribe(listen)
    with tempfile.TemporaryDirectory(prefix="cramp-charts-") as name:
        folder = Path(name)
        # The bot's clock is the system's: the diary ends last night, UTC (no zone set).
        await seed(folder / "bot.db", api, people, datetime.now(UTC).date() - timedelta(days=1))
        async with (
            FakeBotApiServer(api) as server,
            target_process("bot", api, server.base_url, folder, sys.executable, None) as (
                process,
                _startup,
            ),
        ):
            # One chart first: starting the drawing process is a one-off, not part of a phase.
            api.user_sends_text(people[0], people[0], "/history")
            await api.wait_until(
                lambda: bool(api.photos(people[0])), within=120, what="the first chart"
            )
            phase = ["warmup"]
            stop = asyncio.Event()
            tasks = [asyncio.create_task(c.run(phase, stop)) for c in clickers]
            await asyncio.sleep(3)
            bursts = await chart_rounds(
                api, process.pid, phase, args.rounds, people, args.quiet_seconds, args.py_spy
            )
            stop.set()
            await asyncio.gather(*tasks)
    presses = {
        name: [seconds for c in clickers for (at, _, seconds) in c.presses if at == name]
        for name in ("quiet", "charts")
    }

    def since_start(queued: float) -> float:
        """Seconds from the start of the burst a press was queued in."""
        return min(queued - start for start in bursts.starts if queued >= start)

    charts = [
        (since_start(queued), s)
        for c in clickers
        for (at, queued, s) in c.presses
        if at == "charts"
    ]
    # Where in a burst the slow presses are: its first second (twenty /history handlers
    # start at once) or the rest (one chart drawn and sent after another), and a quarter of
    # a second at a time.
    presses["charts, first second"] = [s for since, s in charts if since < EARLY]
    presses["charts, after it"] = [s for since, s in charts if since >= EARLY]
    slices: list[list[float]] = [[] for _ in range(SLICES)]
    for since, s in charts:
        if s is not None:
            slices[min(SLICES - 1, int(since / QUARTER))].append(s)
    return Measured(
        presses,
        slices,
        {"quiet": args.quiet_seconds, "charts": bursts.seconds},
        {"quiet": bursts.quiet_cpu, "charts": bursts.cpu},
        bursts,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=10, help="people pressing buttons")
    parser.add_argument("--quiet-seconds", type=float, default=20.0)
    parser.add_argument("--rounds", type=int, default=3, help="bursts of simultaneous charts")
    parser.add_argument("--charts", type=int, default=20, help="people asking at once")
    parser.add_argument("--renders", type=int, default=20, help="timed drawings of each kind")
    parser.add_argument("--think", type=float, default=0.25, help="mean pause between presses")
    parser.add_argument(
        "--py-spy", default=None, help=f"py-spy binary: record the bot's stacks to {SPY_FILES}"
    )
    args = parser.parse_args(argv)
    quiet_logs()
    print(machine())
    print()
    if args.renders > 0:
        print(
            table(
                ["drawing", "first ms", "timed", "median ms", "p95 ms"],
                render_times(args.renders),
            )
        )
    measured = asyncio.run(measure(args))
    print(load_now())
    waits = [w * 1000 for w in measured.bursts.waits]
    print(
        f"\n{args.rounds} x {args.charts} simultaneous /history to `cramp-bot run`: photo "
        f"after {percentile(waits, 0.5):.0f} ms median, {percentile(waits, 0.95):.0f} ms p95, "
        f"{max(waits, default=0):.0f} ms max\n"
    )
    rows = []
    for name, group in measured.presses.items():
        ms = [seconds * 1000 for seconds in group if seconds is not None]
        seconds = measured.seconds.get(name)
        cpu = measured.cpu.get(name)
        if seconds and cpu is not None:
            shares = [f"{100 * part / seconds:.0f}" for part in (cpu.bot, cpu.drawing, cpu.bench)]
        else:
            shares = ["", "", ""]
        rows.append(
            [
                name,
                f"{seconds:.1f}" if seconds else "",
                len(group),
                len(group) - len(ms),
                f"{percentile(ms, 0.5):.1f}",
                f"{percentile(ms, 0.95):.1f}",
                f"{max(ms, default=float('nan')):.1f}",
                # The slow tail: a press that met the long poll's 50 ms pause (bot/wiring/app.py)
                f"{100 * sum(1 for m in ms if m > SLOW_MS) / max(1, len(ms)):.1f}",
                *shares,
            ]
        )
    headers = ["phase", "seconds", "presses", "unanswered", "p50 ms", "p95 ms", "max ms"]
    slow = f"over {SLOW_MS} ms %"
    print(table([*headers, slow, "bot CPU %", "drawing CPU %", "bench CPU %"], rows))
    quiet = [s for s in measured.presses["quiet"] if s is not None]
    busy = [s for s in measured.presses["charts"] if s is not None]
    if quiet and busy:
        ratio = percentile(busy, 0.95) / percentile(quiet, 0.95)
        print(f"\np95 during charts / quiet p95: {ratio:.2f}")
    when = []
    for n, group in enumerate([quiet, *measured.slices]):
        ms = [seconds * 1000 for seconds in group]
        slow_share = 100 * sum(1 for m in ms if m > FAIRLY_SLOW_MS) / max(1, len(ms))
        start = "quiet" if n == 0 else f"{(n - 1) * QUARTER:.2f} s"
        start += "+" if n == SLICES else ""
        when.append([start, len(ms), f"{percentile(ms, 0.95):.1f}", f"{slow_share:.1f}"])
    print(f"\nWhen in a burst the presses were queued, from its start, {QUARTER} s at a time:\n")
    print(table(["queued", "presses", "p95 ms", f"over {FAIRLY_SLOW_MS} ms %"], when))
    return 0


if __name__ == "__main__":
    sys.exit(main())
