"""Button-press latency for people using the bot, on a quiet bot and while a paced dispatch of
check-ins goes out.

    python -m bench.latency [--users 20] [--quiet-seconds 30] [--count 1000] [--think 0.25]

`users` simulated people use the bot continuously: /start, the consent button, then the
questionnaire (first option of each question; for multiple-choice questions one tick and
Done), /check again when it ends. Each waits for the bot's reaction (the answer and the
edited or new message) and thinks `think` seconds before the next press. Latency is from the
moment the press is queued in the fake Bot API until the bot's answerCallbackQuery for it
arrives there.

Phase "quiet": only these people, for `quiet-seconds`. Phase "dispatch": the same people
while `count` due check-ins go out at the configured rate (default 25/s) to other users,
with the fake Bot API's flood limit of 30 sendMessage per second in force throughout.

The fake Bot API, the simulated people and the bot share one process and one event loop, so
every figure includes the fake server's own work; compare the two phases rather than read
the absolute numbers as Telegram's.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import random
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bench.common import (
    AnyApp,
    BotRig,
    add_due_users,
    bot_rig,
    load_now,
    machine,
    max_in_window,
    percentile,
    quiet_logs,
    table,
)
from bot.fakeapi.records import InlineButton, SentMessage
from handlers.common import Context

SLOT = datetime(2026, 11, 25, 6, 0, tzinfo=UTC)  # 07:00 in Berlin
FIRST_PRESSER = 1001
FIRST_DUE_USER = 10_000_001
REACTION_TIMEOUT = 10.0  # a press with no answer by then is counted as unanswered
SCREEN_TIMEOUT = 3.0  # how long a person waits for a new screen before acting anyway


@dataclass
class Press:
    phase: str
    latency: float | None  # None: no answer within REACTION_TIMEOUT
    at: float = 0.0  # time.monotonic() when the press was queued


@dataclass
class Presser:
    rig: BotRig
    user_id: int
    think: float
    rng: random.Random
    presses: list[Press] = field(default_factory=list)

    def _state(self) -> tuple[int, int | None, str]:
        messages = self.rig.emulator.messages(self.user_id)
        last = messages[-1] if messages else None
        if last is None:
            return (0, None, "")
        return (len(messages), last.edit_date, last.text + str(last.reply_markup))

    async def _wait_change(self, before: tuple[int, int | None, str]) -> None:
        emulator = self.rig.emulator
        await emulator.wait_until(
            lambda: self._state() != before, within=SCREEN_TIMEOUT, what="a new screen"
        )

    async def run(self, phase: list[str], stop: asyncio.Event) -> None:
        emulator = self.rig.emulator
        emulator.user(self.user_id, "Robin")
        # Staggered arrivals: twenty /start replies in one instant would be a burst of their
        # own against the 30-per-second limit.
        await asyncio.sleep(2 * self.rng.random())
        await self._send("/start")
        while not stop.is_set():
            button, message = self._next_button()
            if button is None or message is None:
                await self._send("/check")
            else:
                await self._press(button, message, phase[0])
            await asyncio.sleep(self.think * (0.5 + self.rng.random()))

    async def _send(self, text: str) -> None:
        before = self._state()
        self.rig.emulator.user_sends_text(self.user_id, self.user_id, text)
        with contextlib.suppress(AssertionError):
            await self._wait_change(before)

    async def _press(self, button: InlineButton, message: SentMessage, phase: str) -> None:
        emulator = self.rig.emulator
        answers = self.rig.log.answered.setdefault(self.user_id, [])
        seen = len(answers)
        before = self._state()
        assert button.callback_data is not None
        queued = time.monotonic()
        emulator.user_presses(self.user_id, self.user_id, message.message_id, button.callback_data)
        try:
            await emulator.wait_until(
                lambda: len(answers) > seen, within=REACTION_TIMEOUT, what="the answer"
            )
        except AssertionError:
            self.presses.append(Press(phase, None, queued))
            return
        self.presses.append(Press(phase, answers[seen] - queued, queued))
        # Answered without a new screen (e.g. a notice): the next press decides.
        with contextlib.suppress(AssertionError):
            await self._wait_change(before)

    def _calm(self, data: str) -> bool:
        """An option that neither stops the questionnaire (emergency screen) nor raises a
        warning flag, and not a tick that is already set: the common, uneventful path."""
        parts = data.split(":")
        if len(parts) < 4 or parts[3].startswith("~") or data.endswith(":0"):
            return False
        question = self.rig.deps.content.question(parts[2])
        option = (
            next((o for o in question.options if o.id == parts[3]), None) if question else None
        )
        return option is not None and not option.stop and not option.flags

    def _next_button(self) -> tuple[InlineButton | None, SentMessage | None]:
        messages = [m for m in self.rig.emulator.messages(self.user_id) if m.keyboard]
        if not messages:
            return None, None
        message = messages[-1]
        buttons = [b for row in message.keyboard for b in row if b.callback_data]
        data = [b.callback_data or "" for b in buttons]
        questions = [b for b, d in zip(buttons, data, strict=True) if d.startswith("q1:")]
        if questions:
            done = [b for b in questions if (b.callback_data or "").endswith(":~done")]
            ticked = any((b.callback_data or "").endswith(":0") for b in questions)
            if done and ticked:
                return done[0], message
            options = [b for b in questions if self._calm(b.callback_data or "")]
            if options:
                return self.rng.choice(options), message
        for wanted in ("s1:agree", "s1:continue", "s1:restart"):
            for button, value in zip(buttons, data, strict=True):
                if value.startswith(wanted):
                    return button, message
        return None, None


@dataclass
class Phases:
    presses: dict[str, list[Press]] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    # How late a 10 ms sleep wakes up: how busy the one event loop is (the bot's, the fake
    # server's and the simulated people's work all run on it).
    loop_lag: dict[str, list[float]] = field(default_factory=dict)


@dataclass
class ReplyTrouble:
    """What happened to the people's own replies when Telegram said "too many requests"."""

    waited_out: int = 0  # 429s that RetryAfterLimiter waited out before sending again
    failed: list[str] = field(default_factory=list)  # errors that reached the error handler

    def install(self, app: AnyApp) -> None:
        retry_log = logging.getLogger("bot.wiring.retry_after")
        retry_log.addFilter(self._count_retry)

        async def count_error(update: object, context: Context) -> None:
            # Runs next to the bot's own error handler: a reply that raised never arrived.
            self.failed.append(type(context.error).__name__)

        app.add_error_handler(count_error)

    def _count_retry(self, record: logging.LogRecord) -> bool:
        if "retrying" in record.getMessage():
            self.waited_out += 1
            return False  # counted here; hundreds of identical warnings would bury the table
        return True


async def watch_loop(phase: list[str], lags: dict[str, list[float]]) -> None:
    while True:
        started = time.perf_counter()
        await asyncio.sleep(0.01)
        lags.setdefault(phase[0], []).append(time.perf_counter() - started - 0.01)


async def measure(
    users: int, quiet_seconds: float, count: int, rate: float, think: float
) -> Phases:
    result = Phases()
    async with bot_rig(send_rate=rate, flood_per_second=30, start=SLOT) as rig:
        trouble = ReplyTrouble()
        trouble.install(rig.app)
        due = await add_due_users(
            rig, FIRST_DUE_USER, count, due_at=SLOT, zone="Europe/Berlin", local="07:00"
        )
        rig.clock.set(SLOT + timedelta(seconds=5))
        phase = ["warmup"]
        stop = asyncio.Event()
        rng = random.Random(11)
        pressers = [
            Presser(rig, FIRST_PRESSER + n, think, random.Random(rng.random()))
            for n in range(users)
        ]
        tasks = [asyncio.create_task(p.run(phase, stop)) for p in pressers]
        watcher = asyncio.create_task(watch_loop(phase, result.loop_lag))
        await asyncio.sleep(3)  # everyone past /start and consent
        phase[0] = "quiet"
        await asyncio.sleep(quiet_seconds)
        phase[0] = "dispatch"
        started = time.perf_counter()
        began = time.monotonic()
        report = await rig.dispatcher.tick()
        ended = time.monotonic()
        dispatch_seconds = time.perf_counter() - started
        phase[0] = "after"
        stop.set()
        await asyncio.gather(*tasks)
        # A reply still waiting out a 429 lands within retry_after (1 s) plus its resend.
        await asyncio.sleep(2)
        watcher.cancel()
        moments = rig.log.sends_to(due)
        limited = rig.emulator.stats.rate_limited
        calls = rig.emulator.stats.calls
        print(
            f"dispatch: {report.sent:,} of {count:,} check-ins sent in {dispatch_seconds:.1f} s "
            f"({len(moments) / dispatch_seconds:.1f}/s, busiest 1 s: {max_in_window(moments)}); "
            "send: handlers.checkin"
        )
        print(
            f"429 answers: {limited} in all, {report.flood_waits} to check-ins, "
            f"{limited - report.flood_waits} to the people's own messages "
            f"(sendMessage {calls['sendMessage']:,}, editMessageText "
            f"{calls['editMessageText']:,}, answerCallbackQuery "
            f"{calls['answerCallbackQuery']:,} calls in the whole run)"
        )
        failed = ", ".join(sorted(set(trouble.failed))) or "none"
        print(
            f"people's replies: {trouble.waited_out} 429s waited out and sent again; "
            f"{len(trouble.failed)} replies never arrived (errors: {failed})"
        )
        own = rig.log.sends_to(range(FIRST_PRESSER, FIRST_PRESSER + users))
        during = sum(1 for moment in own if began <= moment <= ended)
        both = sorted([*own, *moments])
        print(
            f"new messages to the people during the dispatch: {during:,} "
            f"({during / dispatch_seconds:.1f}/s); check-ins and replies together: "
            f"{(during + len(moments)) / dispatch_seconds:.1f}/s, busiest 1 s: "
            f"{max_in_window([m for m in both if began <= m <= ended])}"
        )
    result.seconds = {"quiet": quiet_seconds, "dispatch": dispatch_seconds}
    for name in result.seconds:
        result.presses[name] = [
            p for presser in pressers for p in presser.presses if p.phase == name
        ]
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=20, help="people pressing buttons")
    parser.add_argument("--quiet-seconds", type=float, default=30.0)
    parser.add_argument("--count", type=int, default=1000, help="check-ins in the dispatch")
    parser.add_argument("--rate", type=float, default=25.0, help="check-in send rate")
    parser.add_argument("--think", type=float, default=0.25, help="mean pause between presses")
    args = parser.parse_args(argv)
    quiet_logs()
    print(machine())
    result = asyncio.run(
        measure(args.users, args.quiet_seconds, args.count, args.rate, args.think)
    )
    print(load_now())
    rows = []
    for phase, presses in result.presses.items():
        seconds = result.seconds[phase]
        ms = [p.latency * 1000 for p in presses if p.latency is not None]
        lag = [value * 1000 for value in result.loop_lag.get(phase, [])]
        rows.append(
            [
                phase,
                f"{seconds:.0f}",
                len(presses),
                f"{len(presses) / seconds:.1f}",
                len(presses) - len(ms),
                f"{percentile(ms, 0.5):.1f}",
                f"{percentile(ms, 0.95):.1f}",
                f"{max(ms, default=float('nan')):.1f}",
                f"{percentile(lag, 0.95):.1f}",
            ]
        )
    print()
    print(
        table(
            [
                "phase",
                "seconds",
                "presses",
                "presses/s",
                "unanswered",
                "p50 ms",
                "p95 ms",
                "max ms",
                "loop lag p95 ms",
            ],
            rows,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
