"""Dispatching many due check-ins through the real bot to a fake Bot API that, like Telegram,
answers 429 (retry_after=1) when more than 30 messages arrive within a second.

    python -m bench.dispatch [--count 10000] [--rates 0 25] [--flood 30] [--lost 0.1]

`--lost F` cuts the connection after a fraction F of the sendMessage calls took effect (the
message is delivered, the bot never hears back); the "twice" column counts people who got
more than one check-in, which must stay 0.

Rate 0 turns the pacing off (CRAMP_BOT_SEND_RATE=0). For each rate: `count` users due at the
same minute, then dispatcher ticks until all are sent. A send that still meets 429 after the
dispatcher's flood waits is rescheduled two minutes later (inside the morning window); the
benchmark moves the clock over that gap instead of waiting it out, so "sending time" is the
time spent in ticks and the "ticks" column says how many it took.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bench.common import (
    add_due_users,
    bot_rig,
    load_now,
    machine,
    max_in_window,
    quiet_logs,
    table,
)
from bot.diary.dispatcher import TickReport

# 07:00 in Berlin (CET, +1) on a Wednesday; the users' slot is this minute.
SLOT = datetime(2026, 11, 25, 6, 0, tzinfo=UTC)
FIRST_USER = 10_000_001
MAX_TICKS = 40


@dataclass
class DispatchResult:
    rate: float
    count: int
    sent: int
    rate_limited: int
    flood_waits: int
    ticks: int
    seconds: float  # time spent inside ticks
    steady_rate: float  # sends per second between the first and the last send
    busiest_second: int  # most sends in any sliding 1 s window
    lost: int = 0  # sendMessage answers cut off after the message went out
    delivered: int = 0  # people who got the check-in (sent or lost answer)
    twice: int = 0  # people who got it more than once


async def dispatch(
    count: int, rate: float, flood: int | None, lost: float = 0.0
) -> DispatchResult:
    async with bot_rig(send_rate=rate, flood_per_second=flood, start=SLOT) as rig:
        rig.emulator.drop_randomly("sendMessage", lost, when="after")
        users = await add_due_users(
            rig, FIRST_USER, count, due_at=SLOT, zone="Europe/Berlin", local="07:00"
        )
        rig.clock.set(SLOT + timedelta(seconds=5))
        total = TickReport()
        seconds = 0.0
        ticks = 0
        while total.sent + total.blocked + total.uncertain < count and ticks < MAX_TICKS:
            started = time.perf_counter()
            report = await rig.dispatcher.tick()
            seconds += time.perf_counter() - started
            ticks += 1
            total.sent += report.sent
            total.blocked += report.blocked
            total.flood_waits += report.flood_waits
            total.failed += report.failed
            total.uncertain += report.uncertain
            # The retries are due two minutes later (the dispatcher's retry_delay).
            rig.clock.advance(timedelta(minutes=2, seconds=1))
        moments = rig.log.sends_to(users)
        spread = moments[-1] - moments[0] if len(moments) > 1 else 0.0
        return DispatchResult(
            rate=rate,
            count=count,
            sent=total.sent,
            rate_limited=rig.emulator.stats.rate_limited,
            flood_waits=total.flood_waits,
            ticks=ticks,
            seconds=seconds,
            steady_rate=(len(moments) - 1) / spread if spread > 0 else float("nan"),
            busiest_second=max_in_window(moments),
            lost=total.uncertain,
            delivered=sum(1 for chat in users if rig.log.sent.get(chat)),
            twice=sum(1 for chat in users if len(rig.log.sent.get(chat, ())) > 1),
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000, help="due check-ins per run")
    parser.add_argument(
        "--rates", type=float, nargs="+", default=[0.0, 25.0], help="send rates; 0 = no pacing"
    )
    parser.add_argument("--flood", type=int, default=30, help="fake Bot API limit per second")
    parser.add_argument(
        "--lost",
        type=float,
        default=0.0,
        help="share of sendMessage answers lost after the send",
    )
    args = parser.parse_args(argv)
    quiet_logs()
    print(machine())
    results = [
        asyncio.run(dispatch(args.count, rate, args.flood, args.lost)) for rate in args.rates
    ]
    print(load_now())
    print(f"send: handlers.checkin; flood limit {args.flood}/s on sendMessage")
    if args.lost:
        print(f"answers lost after the send: {args.lost:.0%} of sendMessage calls")
    print()
    print(
        table(
            [
                "pacing",
                "due",
                "sent",
                "429 answers",
                "flood waits",
                "ticks",
                "sending time s",
                "sent/s overall",
                "sent/s first to last",
                "busiest 1 s",
                "answers lost",
                "got it",
                "twice",
            ],
            [
                [
                    f"{r.rate:g}/s" if r.rate > 0 else "off",
                    f"{r.count:,}",
                    f"{r.sent:,}",
                    f"{r.rate_limited:,}",
                    f"{r.flood_waits:,}",
                    r.ticks,
                    f"{r.seconds:.1f}",
                    f"{r.sent / r.seconds:.1f}" if r.seconds else "-",
                    f"{r.steady_rate:.1f}",
                    r.busiest_second,
                    f"{r.lost:,}",
                    f"{r.delivered:,}",
                    r.twice,
                ]
                for r in results
            ],
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
