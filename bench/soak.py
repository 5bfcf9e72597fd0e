"""kill -9 soak: `cramp-bot run` as a real process, SIGKILLed at random and restarted, while
scripted people answer the questionnaire and then get their morning check-in.

    python -m bench.soak [--people 30] [--kills-every 2 6] [--checkin-minutes 2] [--seed 1]

The fake Bot API runs in this process; the bot reaches it over HTTP on 127.0.0.1, as it
would reach Telegram. Each person presses like a person: the button on the newest message,
again after a while if nothing happened (the bot was down). Nothing is skipped on a kill:
an update the bot had fetched but not confirmed is handed out again, as Telegram does.

Printed at the end:
  acknowledged answers lost   a press the bot answered (no "out of date" notice) whose
                              answer is not in the person's finished questionnaire
  doubled                     questionnaires with answers beyond the one that finished
  could not resume            people left on a screen they cannot answer from (the
                              questionnaire "was updated", or no buttons); people still
                              answering when time was up are counted apart
  check-ins never / twice     people due a check-in who got none / more than one; "never"
                              is only allowed for sends in flight at a kill (the claim is
                              committed before the send, so such a morning is lost, not sent
                              twice; /checkin opens it)
  integrity_check             of the database after the last kill

Not a test and not in CI: it takes minutes (the check-in phase waits for real minutes).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import sqlite3
import sys
import tempfile
import time
from contextlib import closing, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.common import load_now, machine, quiet_logs, table
from bot.fakeapi.emulator import BotApiEmulator
from bot.fakeapi.http import FakeBotApiServer
from bot.fakeapi.records import HarnessTimeout, SentMessage
from bot.storage import Storage

FIRST_USER = 5_000_001
# What a calm person answers, by the buttons they see (first match wins).
PREFERENCES = (
    "None of these",
    "Now and then",
    "Seconds",
    "They rarely wake me",
    "Under 40",
    "No",
    "About 1 to 2 litres",
    "None or 1 a day",
)
CHECKIN_MARK = "Did you have any cramps last night?"
PRESS_PATIENCE = 10.0  # seconds a person waits for an answer before pressing again


@dataclass
class Person:
    user_id: int
    acknowledged: set[tuple[int, str]] = field(default_factory=set)  # (assessment, question)
    finished: bool = False
    presses: int = 0


@dataclass
class Bot:
    """`cramp-bot run` as a child process (every one started is in STARTED)."""

    env: dict[str, str]
    log: Path
    process: asyncio.subprocess.Process | None = None
    kills: int = 0

    async def start(self) -> None:
        with self.log.open("ab") as out:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "run", env=self.env, stdout=out, stderr=out
            )
        STARTED.append(self)

    async def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        await self.process.wait()
        self.kills += 1

    async def stop(self) -> int:
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        return await asyncio.wait_for(self.process.wait(), timeout=60)


STARTED: list[Bot] = []  # so that no bot outlives a failed run


def newest_keyboard(emulator: BotApiEmulator, chat: int) -> SentMessage | None:
    for message in reversed(emulator.messages(chat)):
        if message.button_labels:
            return message
    return None


def choose(message: SentMessage) -> str | None:
    labels = message.button_labels
    if "☐ Calves" in labels:
        return "☐ Calves"
    done = [label for label in labels if label.startswith("Done")]
    if "☑ Calves" in labels and done:
        return done[0]
    if "I understand, let's start" in labels:
        return "I understand, let's start"
    for wanted in PREFERENCES:
        if wanted in labels:
            return wanted
    return None


async def answer_questionnaire(emulator: BotApiEmulator, person: Person, deadline: float) -> None:
    chat = person.user_id
    emulator.user_sends_text(person.user_id, chat, "/start")
    asked = time.monotonic()
    while time.monotonic() < deadline:
        message = newest_keyboard(emulator, chat)
        if message is not None and "Your result" in message.text:
            person.finished = True
            return
        if message is None:
            # The /start was lost with a kill (fetched, never answered): send it again.
            if time.monotonic() - asked > PRESS_PATIENCE:
                emulator.user_sends_text(person.user_id, chat, "/start")
                asked = time.monotonic()
            await asyncio.sleep(0.5)
            continue
        label = choose(message)
        if label is None and "Continue" in message.button_labels:
            label = "Continue"
        if label is None:
            await asyncio.sleep(0.5)
            continue
        assert message is not None and label is not None
        data = next(b.callback_data for row in message.keyboard for b in row if b.text == label)
        assert data is not None
        before = (message.text, tuple(message.button_labels))
        _, query_id = emulator.user_presses(person.user_id, chat, message.message_id, data)
        person.presses += 1
        waited = time.monotonic() + PRESS_PATIENCE
        while time.monotonic() < waited:
            answer = emulator.callback_answers.get(query_id)
            current = emulator.message(chat, message.message_id)
            changed = current is not None and (current.text, tuple(current.button_labels)) != (
                before
            )
            if answer is not None and changed:
                if not answer.get("text") and data.startswith("q1:"):
                    _, aid, qid, *_ = data.split(":")
                    person.acknowledged.add((int(aid), qid))
                break
            await asyncio.sleep(0.05)


async def polling(emulator: BotApiEmulator, within: float = 60.0) -> None:
    """Until the (re)started bot asks for updates: a kill before that tests nothing."""
    seen = emulator.stats.calls["getUpdates"]
    with suppress(HarnessTimeout):
        await emulator.wait_until(
            lambda: emulator.stats.calls["getUpdates"] > seen, within=within, what="polling"
        )


async def killer(
    bot: Bot,
    emulator: BotApiEmulator,
    rng: random.Random,
    every: tuple[float, float],
    done: asyncio.Event,
) -> None:
    """SIGKILL at a random moment `every` seconds into each run, then restart at once."""
    while not done.is_set():
        await polling(emulator)
        try:
            await asyncio.wait_for(done.wait(), timeout=rng.uniform(*every))
            return
        except TimeoutError:
            pass
        await bot.kill()
        await bot.start()


async def soak(args: argparse.Namespace) -> list[list[object]]:
    rng = random.Random(args.seed)
    folder = Path(tempfile.mkdtemp(prefix="cramp-soak-"))
    db = folder / "cramp.db"
    emulator = BotApiEmulator()
    emulator.keep_history = False
    people = [Person(FIRST_USER + n) for n in range(args.people)]
    for person in people:
        emulator.user(person.user_id, "Sam")
    async with FakeBotApiServer(emulator) as server:
        env = {
            k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "CRAMP_BOT_"))
        }
        env.update(
            TELEGRAM_BOT_TOKEN=emulator.token,
            TELEGRAM_API_BASE_URL=server.base_url,
            CRAMP_BOT_DB=str(db),
            CRAMP_BOT_SEND_RATE="25",
        )
        bot = Bot(env, folder / "bot.log")
        await bot.start()

        # Phase 1: questionnaires under random kills.
        done = asyncio.Event()
        kills = asyncio.create_task(killer(bot, emulator, rng, tuple(args.kills_every), done))
        deadline = time.monotonic() + args.questionnaire_seconds
        await asyncio.gather(*(answer_questionnaire(emulator, p, deadline) for p in people))
        done.set()
        await kills
        questionnaire_kills = bot.kills
        unfinished = sum(1 for p in people if not p.finished)
        stuck = 0
        for person in people:
            last = newest_keyboard(emulator, person.user_id)
            if not person.finished and (last is None or choose(last) is None):
                stuck += 1
                shown = "no message" if last is None else last.text.splitlines()[0][:60]
                labels = [] if last is None else last.button_labels
                print(f"stuck: user {person.user_id} on {shown!r} {labels}", file=sys.stderr)

        # Phase 2: everyone's check-in falls due within the next minutes, under kills.
        storage = await Storage.open(db)
        now = datetime.now(UTC)
        first_minute = (now + timedelta(minutes=1)).replace(second=0, microsecond=0)
        for n, person in enumerate(people):
            due = first_minute + timedelta(minutes=n % args.checkin_minutes)
            await storage.set_reminder(
                person.user_id, reminder_time=due.strftime("%H:%M"), timezone="UTC", next_at=due
            )
        await storage.close()
        done = asyncio.Event()
        kills = asyncio.create_task(killer(bot, emulator, rng, tuple(args.kills_every), done))
        last_due = first_minute + timedelta(minutes=args.checkin_minutes)
        # The last tick plus the pacer and a restart's worth of slack.
        await asyncio.sleep(max(0.0, (last_due - datetime.now(UTC)).total_seconds()) + 20)
        done.set()
        await kills
        # Without kills, one more tick (they run on the minute) sends whatever is still due.
        await asyncio.sleep(75)
        code = await bot.stop()

    storage = await Storage.open(db)
    lost = doubled = 0
    for person in people:
        assessments = await storage.list_assessments(person.user_id)
        stored: set[tuple[int, str]] = set()
        for started in assessments:
            stored |= {(started.id, q) for q in await storage.get_answers(started.id)}
        lost += len(person.acknowledged - stored)
        with_answers = [a for a in assessments if any(s[0] == a.id for s in stored)]
        doubled += max(0, len(with_answers) - 1)
    claimed = {
        p.user_id
        for p in people
        if (user := await storage.get_user(p.user_id)) is not None
        and user.last_checkin_night is not None
    }
    await storage.close()
    checkins = [
        sum(1 for m in emulator.messages(p.user_id) if CHECKIN_MARK in m.text) for p in people
    ]
    with closing(sqlite3.connect(db)) as check:
        integrity = check.execute("PRAGMA integrity_check").fetchone()[0]
    return [
        ["people", len(people)],
        [
            "SIGKILLs (questionnaires / check-ins)",
            f"{questionnaire_kills} / {bot.kills - questionnaire_kills}",
        ],
        ["presses", sum(p.presses for p in people)],
        ["acknowledged answers", sum(len(p.acknowledged) for p in people)],
        ["acknowledged answers lost", lost],
        ["doubled questionnaires", doubled],
        ["could not resume (shown 'updated' or stuck)", stuck],
        ["unfinished when time was up (still moving)", unfinished - stuck],
        [
            "check-ins never (claimed: in flight at a kill)",
            sum(
                1 for p, c in zip(people, checkins, strict=True) if c == 0 and p.user_id in claimed
            ),
        ],
        [
            "check-ins never (not claimed)",
            sum(
                1
                for p, c in zip(people, checkins, strict=True)
                if c == 0 and p.user_id not in claimed
            ),
        ],
        ["check-ins twice or more", sum(1 for c in checkins if c > 1)],
        ["integrity_check", integrity],
        ["exit code of the last stop", code],
        ["bot log", str(folder / "bot.log")],
    ]


async def soak_cleanly(args: argparse.Namespace) -> list[list[object]]:
    """The soak, and never a bot process left running behind it if the driver fails."""
    try:
        return await soak(args)
    finally:
        for bot in STARTED:
            if bot.process is not None and bot.process.returncode is None:
                bot.process.kill()
                await bot.process.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=30)
    parser.add_argument(
        "--kills-every",
        type=float,
        nargs=2,
        default=[2.0, 6.0],
        metavar=("MIN", "MAX"),
        help="seconds between SIGKILLs, uniformly at random",
    )
    parser.add_argument("--questionnaire-seconds", type=float, default=240.0)
    parser.add_argument("--checkin-minutes", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    quiet_logs()
    print(machine())
    rows = asyncio.run(soak_cleanly(args))
    print(load_now())
    print()
    print(table(["measure", "value"], rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
