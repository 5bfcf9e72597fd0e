"""Closed-loop load from outside: `cramp-bot run` against a bare python-telegram-bot peer.

    python -m bench.load [--runs 3] [--people 200] [--at-once 20]
    python -m bench.load --burst [--people 200] [--rounds 5]
    python -m bench.load --morning 10000
    python -m bench.load --bare-python /path/to/bare-env/bin/python   # adds the target "bare"
    python -m bench.load --profile DIR                               # cProfile of each target

The bot under test is the real `cramp-bot run` (a subprocess with its own SQLite file),
reaching bot/fakeapi over HTTP on 127.0.0.1 exactly as it reaches Telegram. Its peer
(bench/peer.py) is a minimal python-telegram-bot app with the same library, the same HTTP
client settings and the same polling settings that only answers each press and edits the
message. Each run starts both, one after the other, with a fresh fake Bot API each, and the
order alternates from run to run (bot first, then peer first, ...), so a machine that gets
busier or quieter during a run does not favour one side. The target "bare" is the same
peer run by an interpreter whose environment has only python-telegram-bot installed (a bare
app as people install one), while "peer" runs in cramp-bot's own environment.

Virtual people (this process) do what a person does, as fast as they can: send /start, press
the welcome's button, then press a button of the keyboard the bot last sent or edited ("None
of these" or "No" when there is one; otherwise tick the first box, then Done; otherwise the
first button) until a result without buttons. A person presses only after the answer to
the previous press and its edit (or new message) have arrived. `--at-once` people are in a
conversation at any moment; when one finishes, the next of `--people` starts.

Figures per target:
- presses/s over the steady window: from the press that completes 10 % of all presses to
  the one that completes 90 %, so the start (everybody's /start) and the tail are left out;
- press-to-edit p50/p95/p99 (queued in the fake API -> the edit or new message arrives there)
  and press-to-answer p50, over the presses of the steady window;
- CPU ms per press of the target's process in the steady window (/proc/PID/stat, sampled
  every 50 ms), its RSS at the end and its peak RSS;
- start-up: from spawning the process to its first getUpdates call;
- errors: presses with no answer or no screen in time (`--timeout`), and error answers of
  the fake API.

`--burst`: all `--people` first reach the first question; then in each round all of them
press at the same moment, and the round lasts until every edit arrived.

`--morning N`: the bot's database also holds N people whose morning check-in is due now; the
people start pressing once the first check-in went out, so every press competes with the
paced dispatch (25/s, the fake API allows 30 sendMessage per second as Telegram roughly does).
The peer has no morning.

This process runs the fake Bot API and the people on one event loop; its own CPU time per
press is printed too, to show it is not what limits the rate. Nothing here is a test.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import resource
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bench.common import load_now, machine, percentile, table
from bot.fakeapi.emulator import BotApiEmulator
from bot.fakeapi.http import FakeBotApiServer
from bot.fakeapi.records import HistoryEvent, InlineButton, SentMessage

REPO = Path(__file__).resolve().parent.parent
PEER = REPO / "bench" / "peer.py"
TIMEOUT = 10.0  # a press with no answer or no screen by then is an error (see --timeout)
START_TIMEOUT = 60.0
CLK_TCK = os.sysconf("SC_CLK_TCK")
FIRST_PERSON = 5_000_001
FIRST_MORNING = 20_000_001
# An adult age band: "Under 18" ends the questionnaire, which a load of whole conversations
# must not measure.
PREFERRED = ("None of these", "No", "18 to 39")
QUESTION = re.compile(r"^Question [0-9]+ of ")  # how every question screen begins


# --- the fake Bot API, seen from the people's side ------------------------------------------


class Api(BotApiEmulator):
    """The emulator, plus the moment of the first getUpdates (the target is up)."""

    def __init__(self) -> None:
        super().__init__(keep_history=False)
        self.first_poll: float | None = None
        self.polling = asyncio.Event()

    async def call(
        self, method: str, params: dict[str, Any] | None = None, *, token: str | None = None
    ) -> tuple[int, dict[str, Any]]:
        if self.first_poll is None and method.lower() == "getupdates":
            self.first_poll = time.perf_counter()
            self.polling.set()
        return await super().call(method, params, token=token)


@dataclass
class Press:
    queued: float
    answered: float | None = None
    shown: float | None = None  # the edit of the pressed message, or a new message


@dataclass
class Person:
    api: Api
    user_id: int
    timeout: float = TIMEOUT
    presses: list[Press] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    answers: int = 0
    screens: list[tuple[float, str, int]] = field(default_factory=list)  # (t, kind, message)

    def hear(self, event: HistoryEvent, moment: float) -> None:
        if event.kind == "answered":
            self.answers += 1
        elif event.kind in ("sent", "edited"):
            self.screens.append((moment, event.kind, event.message_id))
        else:
            return
        self.changed.set()

    async def until(self, ready: Any, what: str) -> None:
        deadline = time.perf_counter() + self.timeout
        while not ready():
            self.changed.clear()
            left = deadline - time.perf_counter()
            if left <= 0:
                raise TimeoutError(what)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), left)

    def keyboard_message(self) -> SentMessage | None:
        """The welcome or a question with buttons; None once the result is shown (its own
        buttons, such as "answer again", are not pressed)."""
        messages = self.api.messages(self.user_id)
        for message in reversed(messages):
            if not message.keyboard:
                continue
            if message is messages[0] or QUESTION.match(message.text):
                return message
            return None
        return None

    async def start(self) -> None:
        self.api.user(self.user_id, "Sam")
        seen = len(self.screens)
        self.api.user_sends_text(self.user_id, self.user_id, "/start")
        await self.until(lambda: len(self.screens) > seen, "the welcome")

    async def press_next(self) -> bool:
        """Press the next button; False when no keyboard is left (the result is shown)."""
        message = self.keyboard_message()
        if message is None:
            return False
        button = choose(message.keyboard)
        assert button.callback_data is not None
        first = self.api.messages(self.user_id)[0].message_id
        answers, seen = self.answers, len(self.screens)
        press = Press(time.perf_counter())
        self.presses.append(press)
        self.api.user_presses(self.user_id, self.user_id, message.message_id, button.callback_data)

        def screen() -> bool:
            # The welcome's button brings a new message; every other press edits its own.
            for moment, kind, message_id in self.screens[seen:]:
                wanted = (
                    kind == "sent"
                    if message.message_id == first
                    else (message_id == message.message_id or kind == "sent")
                )
                if wanted:
                    press.shown = moment
                    return True
            return False

        def answered() -> bool:
            if self.answers > answers and press.answered is None:
                press.answered = time.perf_counter()
            return self.answers > answers

        await self.until(lambda: answered() and screen(), "the answer and the new screen")
        return True

    async def converse(self) -> None:
        await self.start()
        while await self.press_next():
            pass


def choose(keyboard: list[list[InlineButton]]) -> InlineButton:
    buttons = [b for row in keyboard for b in row if b.callback_data]
    labels = [b.text for b in buttons]
    if any(label.startswith("☑") for label in labels):
        done = [b for b in buttons if b.text.startswith("Done")]
        if done:
            return done[0]
    for wanted in PREFERRED:
        for button in buttons:
            if button.text == wanted:
                return button
    for button in buttons:
        if button.text.startswith("☐"):
            return button
    return next(b for b in buttons if not b.text.startswith("«"))


# --- the target process ---------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime, stime


def status_mib(pid: int, name: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(name + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


@dataclass
class Outcome:
    target: str
    presses: int = 0
    steady_rate: float = float("nan")
    p50: float = float("nan")
    p95: float = float("nan")
    p99: float = float("nan")
    answer_p50: float = float("nan")
    cpu_ms: float = float("nan")
    driver_cpu_ms: float = float("nan")
    rss: float = float("nan")
    peak_rss: float = float("nan")
    startup: float = float("nan")
    errors: int = 0
    api_errors: int = 0
    checkins: int = 0
    seconds: float = 0.0


def environment(api: Api, base_url: str, db: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "CRAMP_BOT_"))}
    env.update(
        TELEGRAM_BOT_TOKEN=api.token,
        TELEGRAM_API_BASE_URL=base_url,
        CRAMP_BOT_DB=str(db),
        PYTHONUNBUFFERED="1",
    )
    return env


def bot_command() -> list[str]:
    script = Path(sys.executable).parent / "cramp-bot"
    return [str(script), "run"] if script.exists() else [sys.executable, "-m", "bot", "run"]


async def add_morning(db: Path, api: Api, count: int) -> None:
    """`count` consented people whose check-in is due this minute (Europe/Berlin)."""
    from bot.storage import Storage

    now = datetime.now(UTC)
    zone = ZoneInfo("Europe/Berlin")
    local = now.astimezone(zone)
    due = now.replace(second=0, microsecond=0)
    storage = await Storage.open(db)
    try:
        ids = range(FIRST_MORNING, FIRST_MORNING + count)
        for user_id in ids:
            api.user(user_id, "Kim")
        await storage.add_reminder_users(
            ((user_id, user_id, due) for user_id in ids),
            reminder_time=f"{local.hour:02d}:{local.minute:02d}",
            timezone="Europe/Berlin",
            now=now - timedelta(days=1),
        )
    finally:
        await storage.close()


@dataclass
class Sampler:
    """CPU time of the target, sampled every 50 ms, to read it at any moment of the run."""

    pid: int
    samples: list[tuple[float, float]] = field(default_factory=list)

    async def run(self) -> None:
        while True:
            with contextlib.suppress(OSError):
                self.samples.append((time.perf_counter(), cpu_seconds(self.pid)))
            await asyncio.sleep(0.05)

    def at(self, moment: float) -> float:
        before = [s for s in self.samples if s[0] <= moment] or self.samples[:1]
        after = [s for s in self.samples if s[0] >= moment] or self.samples[-1:]
        (t0, c0), (t1, c1) = before[-1], after[0]
        return c0 if t1 == t0 else c0 + (c1 - c0) * (moment - t0) / (t1 - t0)


@contextlib.asynccontextmanager
async def target_process(
    name: str, api: Api, base_url: str, folder: Path, peer_python: str, profile: Path | None
) -> Any:
    db = folder / f"{name}.db"
    log = (folder / f"{name}.log").open("wb")
    command = bot_command() if name == "bot" else [peer_python, str(PEER)]
    if profile is not None:
        # cProfile writes its file when the process ends normally (SIGTERM does that).
        runner = ["-m", "bot", "run"] if name == "bot" else [str(PEER)]
        python = sys.executable if name == "bot" else peer_python
        out = profile / f"{name}.prof"
        command = [python, "-m", "cProfile", "-o", str(out), *runner]
    process = await asyncio.create_subprocess_exec(
        *command, env=environment(api, base_url, db), stdout=log, stderr=log, cwd=REPO
    )
    spawned = time.perf_counter()
    try:
        try:
            await asyncio.wait_for(api.polling.wait(), START_TIMEOUT)
        except TimeoutError:
            log.flush()
            tail = (folder / f"{name}.log").read_text(errors="replace")[-2000:]
            raise RuntimeError(f"{name} did not start polling:\n{tail}") from None
        assert api.first_poll is not None
        yield process, api.first_poll - spawned
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), 30)
            except TimeoutError:
                process.kill()
                await process.wait()
        log.close()


async def measure(name: str, args: argparse.Namespace, folder: Path) -> Outcome:
    api = Api()
    if args.morning and name == "bot":
        api.flood_limit(30)
    outcome = Outcome(name)
    timeout = args.timeout if args.timeout is not None else (60.0 if args.burst else TIMEOUT)
    people = [Person(api, FIRST_PERSON + i, timeout) for i in range(args.people)]
    by_chat = {p.user_id: p for p in people}
    checkins: list[float] = []

    def listen(event: HistoryEvent) -> None:
        moment = time.perf_counter()
        person = by_chat.get(event.chat_id)
        if person is not None:
            person.hear(event, moment)
        elif event.kind == "sent" and event.chat_id >= FIRST_MORNING:
            checkins.append(moment)

    api.subscribe(listen)
    async with FakeBotApiServer(api) as server:
        if args.morning and name == "bot":
            await add_morning(folder / f"{name}.db", api, args.morning)
        python = args.bare_python if name == "bare" else sys.executable
        async with target_process(name, api, server.base_url, folder, python, args.profile) as (
            process,
            startup,
        ):
            outcome.startup = startup
            if args.morning and name == "bot":
                # The dispatcher ticks on the minute: wait for the first check-in.
                await api.wait_until(lambda: bool(checkins), within=75, what="the morning")
            sampler = Sampler(process.pid)
            sampling = asyncio.create_task(sampler.run())
            driver_before = resource.getrusage(resource.RUSAGE_SELF)
            began = time.perf_counter()
            try:
                if args.burst:
                    windows = await burst(people, args)
                else:
                    windows = [await steady(people, args)]
            finally:
                sampling.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await sampling
            ended = time.perf_counter()
            driver_after = resource.getrusage(resource.RUSAGE_SELF)
            outcome.rss = status_mib(process.pid, "VmRSS")
            outcome.peak_rss = status_mib(process.pid, "VmHWM")
    presses = [p for person in people for p in person.presses]
    outcome.presses = len(presses)
    outcome.errors = sum(1 for p in presses if p.shown is None or p.answered is None)
    # A 409 on getUpdates is the long poll that the target's own shutdown cuts short.
    outcome.api_errors = sum(
        n
        for (method, code), n in api.stats.errors.items()
        if (method, code) != ("getUpdates", 409)
    )
    if api.stats.errors:
        kinds = ", ".join(f"{m} {code} x{n}" for (m, code), n in sorted(api.stats.errors.items()))
        print(f"  {name}: error answers of the fake API: {kinds}")
    calls = ", ".join(f"{m} {n}" for m, n in sorted(api.stats.calls.items()))
    print(f"  {name}: Bot API calls: {calls}")
    outcome.seconds = ended - began
    steady_presses: list[Press] = []
    rates: list[float] = []
    cpu = 0.0
    count = 0
    for start, stop in windows:
        inside = [p for p in presses if p.shown is not None and start <= p.shown <= stop]
        steady_presses += inside
        rates.append(len(inside) / (stop - start))
        cpu += sampler.at(stop) - sampler.at(start)
        count += len(inside)
    outcome.steady_rate = statistics.median(rates)
    shown = [(p.shown - p.queued) * 1000 for p in steady_presses if p.shown is not None]
    answered = [(p.answered - p.queued) * 1000 for p in steady_presses if p.answered]
    outcome.p50, outcome.p95, outcome.p99 = (percentile(shown, f) for f in (0.5, 0.95, 0.99))
    outcome.answer_p50 = percentile(answered, 0.5)
    outcome.cpu_ms = 1000 * cpu / max(count, 1)
    driver = (driver_after.ru_utime + driver_after.ru_stime) - (
        driver_before.ru_utime + driver_before.ru_stime
    )
    outcome.driver_cpu_ms = 1000 * driver / max(len(presses), 1)
    outcome.checkins = sum(1 for moment in checkins if began <= moment <= ended)
    return outcome


async def steady(people: list[Person], args: argparse.Namespace) -> tuple[float, float]:
    waiting = iter(people)
    deadline = time.perf_counter() + args.max_seconds

    async def worker() -> None:
        for person in waiting:
            if time.perf_counter() > deadline:
                return
            with contextlib.suppress(TimeoutError):
                await person.converse()

    await asyncio.gather(*(worker() for _ in range(args.at_once)))
    done = sorted(p.shown for person in people for p in person.presses if p.shown is not None)
    if len(done) < 10:
        raise RuntimeError("too few presses were answered to measure anything")
    return done[len(done) // 10], done[(len(done) * 9) // 10]


async def burst(people: list[Person], args: argparse.Namespace) -> list[tuple[float, float]]:
    """Everybody to the first question (not measured), then rounds of simultaneous presses."""
    gate = asyncio.Semaphore(args.at_once)

    async def ready(person: Person) -> None:
        async with gate:
            await person.start()
            await person.press_next()

    await asyncio.gather(*(ready(person) for person in people))
    for person in people:
        person.presses.clear()
    windows = []
    for _ in range(args.rounds):
        began = time.perf_counter()
        results = await asyncio.gather(
            *(person.press_next() for person in people), return_exceptions=True
        )
        if any(isinstance(result, BaseException) for result in results):
            print(
                f"  a burst round had {sum(isinstance(r, BaseException) for r in results)} "
                "presses without an answer in time"
            )
        shown = [
            p.shown
            for person in people
            if person.presses and (p := person.presses[-1]).shown is not None
        ]
        windows.append((began, max(shown, default=began + 1)))
    return windows


def orders(runs: int, targets: list[str]) -> Iterator[list[str]]:
    for run in range(runs):
        yield targets if run % 2 == 0 else list(reversed(targets))


def fmt(value: float, digits: int = 1) -> str:
    return "-" if value != value else f"{value:.{digits}f}"


def summary(name: str, outcomes: list[Outcome]) -> list[str]:
    def mid(values: list[float], digits: int = 1) -> str:
        good = [v for v in values if v == v]
        if not good:
            return "-"
        middle = statistics.median(good)
        if len(good) == 1:
            return fmt(middle, digits)
        return f"{fmt(middle, digits)} ({fmt(min(good), digits)}–{fmt(max(good), digits)})"

    return [
        name,
        str(len(outcomes)),
        mid([o.steady_rate for o in outcomes]),
        mid([o.p50 for o in outcomes]),
        mid([o.p95 for o in outcomes]),
        mid([o.p99 for o in outcomes]),
        mid([o.cpu_ms for o in outcomes], 2),
        mid([o.rss for o in outcomes]),
        mid([o.startup for o in outcomes], 2),
        str(sum(o.errors for o in outcomes)),
    ]


HEADERS = (
    "target",
    "runs",
    "presses/s",
    "p50 ms",
    "p95 ms",
    "p99 ms",
    "CPU ms/press",
    "RSS MiB",
    "start s",
    "errors",
)


async def main_async(args: argparse.Namespace) -> int:
    targets = [t for t in args.targets.split(",") if t]
    results: dict[str, list[Outcome]] = {t: [] for t in targets}
    rows = []
    with tempfile.TemporaryDirectory(prefix="cramp-load-") as folder_name:
        for run, order in enumerate(orders(args.runs, targets), start=1):
            for name in order:
                folder = Path(folder_name) / f"run{run}"
                folder.mkdir(exist_ok=True)
                outcome = await measure(name, args, folder)
                results[name].append(outcome)
                rows.append(
                    [
                        str(run),
                        name,
                        str(outcome.presses),
                        fmt(outcome.steady_rate),
                        fmt(outcome.p50),
                        fmt(outcome.p95),
                        fmt(outcome.p99),
                        fmt(outcome.answer_p50),
                        fmt(outcome.cpu_ms, 2),
                        fmt(outcome.driver_cpu_ms, 2),
                        fmt(outcome.rss),
                        fmt(outcome.peak_rss),
                        fmt(outcome.startup, 2),
                        f"{outcome.errors}/{outcome.api_errors}",
                        str(outcome.checkins),
                        fmt(outcome.seconds),
                    ]
                )
                print(
                    f"run {run} {name}: {outcome.steady_rate:.1f} presses/s, "
                    f"p95 {outcome.p95:.1f} ms, {outcome.cpu_ms:.2f} CPU ms/press, "
                    f"os load {os.getloadavg()[0]:.2f}",
                    flush=True,
                )
    print(load_now())
    print()
    print(
        table(
            [
                "run",
                "target",
                "presses",
                "presses/s",
                "p50 ms",
                "p95 ms",
                "p99 ms",
                "answer p50 ms",
                "CPU ms/press",
                "driver CPU ms/press",
                "RSS MiB",
                "peak RSS MiB",
                "start s",
                "errors (press/API)",
                "check-ins sent",
                "seconds",
            ],
            rows,
        )
    )
    print()
    print(table(HEADERS, [summary(name, outcomes) for name, outcomes in results.items()]))
    for other in ("peer", "bare"):
        if "bot" not in results or other not in results:
            continue
        pairs = list(zip(results["bot"], results[other], strict=True))
        ratios = [bot.steady_rate / peer.steady_rate for bot, peer in pairs]
        p95s = [bot.p95 / peer.p95 for bot, peer in pairs]
        cpus = [bot.cpu_ms / peer.cpu_ms for bot, peer in pairs]
        print()
        print(
            f"bot/{other} presses/s: {statistics.median(ratios):.2f}x "
            f"(runs: {', '.join(f'{r:.2f}' for r in ratios)}); "
            f"p95 bot/{other}: {statistics.median(p95s):.2f}x; "
            f"CPU per press bot/{other}: {statistics.median(cpus):.2f}x"
        )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="alternating bot/peer pairs")
    parser.add_argument("--people", type=int, default=200)
    parser.add_argument("--at-once", type=int, default=20, help="people in a conversation")
    parser.add_argument("--burst", action="store_true", help="everybody presses at once")
    parser.add_argument("--rounds", type=int, default=5, help="burst rounds")
    parser.add_argument("--morning", type=int, default=0, help="check-ins due in the bot")
    parser.add_argument("--targets", default="bot,peer")
    parser.add_argument(
        "--timeout",
        type=float,
        default=None,
        help="seconds a person waits for the answer and the screen before counting an error "
        "(default 10; 60 with --burst, where the last of 200 presses waits for all the others)",
    )
    parser.add_argument(
        "--max-seconds", type=float, default=120.0, help="stop starting new people after this"
    )
    parser.add_argument(
        "--bare-python",
        default=None,
        help="interpreter of an environment with only python-telegram-bot installed: adds "
        "the target 'bare', the peer as a bare python-telegram-bot app is installed",
    )
    parser.add_argument(
        "--profile",
        type=Path,
        default=None,
        help="run each target under cProfile and write DIR/bot.prof, DIR/peer.prof "
        "(the figures of such a run are the profiler's, not the bot's)",
    )
    args = parser.parse_args(argv)
    if args.bare_python and "bare" not in args.targets.split(","):
        args.targets += ",bare"
    if args.profile is not None:
        args.profile.mkdir(parents=True, exist_ok=True)
    print(machine())
    return asyncio.run(main_async(args))


if __name__ == "__main__":
    sys.exit(main())
