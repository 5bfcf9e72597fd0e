"""The morning check-in as a state machine over stored rows: what a reminder sends, what a
d1: press means, and which warning signs a finished night shows.

Telegram-free: the handlers pass in the person, the callback data and the pressed message,
and get back what to answer and show. Every press is checked against the stored night, so
stale, repeated and forged buttons are harmless and a press delivered twice counts once.
The pure rules (steps, callback data, screens) are in bot/checkin.py and bot/diary.py.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.content.model import Content
from bot.diary.checkin import (
    CheckinPress,
    apply_press,
    is_complete,
    next_step,
    parse_checkin_data,
    render_checkin,
)
from bot.diary.rules import DiaryWarning, filter_repeats, should_ask_weakness, warnings_for
from bot.diary.schedule import local_night_for, parse_local_time, resolve_local
from bot.storage import DiaryEntry, Storage, User
from bot.ui import Screen

# Marks a night the person chose to skip: not an entry, but not an open check-in either.
SKIPPED = "skipped"
# Stored with a finished night: the warning reasons shown, and those held back (shown less
# than a week ago), so the check-in message can be drawn again exactly as it was.
WARNED = "warned"
HELD = "held"
SNOOZE = timedelta(hours=1)
# A check-in may be answered on its morning or the day after; later presses are too old.
ANSWER_DAYS = 2


def user_zone(user: User | None) -> ZoneInfo:
    """The person's zone; UTC when they have none (or one this system no longer knows)."""
    if user is not None and user.timezone:
        try:
            return ZoneInfo(user.timezone)
        except (ValueError, OSError):
            pass
    return ZoneInfo("UTC")


@dataclass(frozen=True)
class Outcome:
    """What the handler does: answer the callback (maybe with `notice`), then, if there is
    one, show `screen` in the pressed message."""

    notice: str | None = None
    screen: Screen | None = None


@dataclass(frozen=True)
class Delivery:
    """What a reminder sends for a night: `screen`, or None when the night is answered."""

    screen: Screen | None
    # When nothing is sent: the check-in message that was answered, if it is known.
    message_id: int | None = None


@dataclass(frozen=True)
class _Night:
    """A night's answers not stored yet, for the diary rules that read the history."""

    night: date
    answers: Mapping[str, Any]


class CheckinFlow:
    def __init__(self, content: Content, storage: Storage, clock: Clock) -> None:
        self.content = content
        self.storage = storage
        self.clock = clock

    async def _history(self, user_id: int) -> list[DiaryEntry]:
        """The whole diary: the rules count recorded nights, which may be spread out over
        months (a year of nights is a few hundred small rows)."""
        return await self.storage.list_diary(user_id)

    def _screen(
        self,
        night: date,
        answers: Mapping[str, Any],
        ask: bool,
        shown: Sequence[DiaryWarning] = (),
        held: date | None = None,
    ) -> Screen:
        return render_checkin(
            self.content, night, answers, ask_weakness=ask, warnings=shown, held=held
        )

    # --- sending ---------------------------------------------------------------------------------

    async def to_send(self, user_id: int, night: date) -> Delivery:
        """The check-in message of `night` for this person, as it stands now."""
        entry = await self.storage.get_diary_entry(user_id, night)
        answers: Mapping[str, Any] = entry.answers if entry is not None else {}
        ask = should_ask_weakness(await self._history(user_id), night)
        if entry is not None and entry.complete and is_complete(answers, ask_weakness=ask):
            # Already answered (a snooze that came after a late answer): nothing to ask.
            return Delivery(None, message_id=entry.checkin_message_id)
        return Delivery(self._screen(night, answers, ask))

    async def record_sent(self, user_id: int, night: date, message_id: int) -> None:
        """The check-in is out: its message is the one this night's presses must come from."""
        await self.storage.set_checkin_message(user_id, night, message_id, self.clock.now())

    # --- presses ---------------------------------------------------------------------------------

    async def press(self, user_id: int, data: str, message_id: int | None) -> Outcome:
        """Every d1: press: checked against the stored night and saved at once."""
        stale = self.content.raw_text("checkin.stale")
        press = parse_checkin_data(data)
        known = await self.storage.get_user(user_id)
        # The night must be one this person was sent a check-in for (its row exists).
        entry = (
            None
            if press is None or known is None
            else await self.storage.get_diary_entry(user_id, press.night)
        )
        if press is None or known is None or entry is None or message_id is None:
            return Outcome(notice=stale)
        now = self.clock.now()
        if (now.astimezone(user_zone(known)).date() - press.night).days > ANSWER_DAYS:
            return Outcome(notice=self.content.raw_text("checkin.too_old"))
        if press.is_action:
            return await self._action(known, entry, press)

        night = press.night
        current = entry.checkin_message_id
        answers = dict(entry.answers)
        restart = (
            press.item == "cramps" and current not in (None, message_id) and "cramps" in answers
        )
        if restart:
            # The first question pressed in another check-in message for this night: the
            # person answers the night again, and the new answers replace the old ones.
            answers = dict.fromkeys(answers)
        new = apply_press(answers, press)
        others = [_Night(e.night, e.answers) for e in await self._history(user_id)]
        others = [e for e in others if e.night != night]
        if new == answers and not restart:
            if current not in (None, message_id):
                # A second message for this night (a repeated send), answered in the other
                # one: its buttons go, so only one check-in per night stays live.
                return Outcome(notice=stale, screen=Screen(self.content.text("checkin.moved")))
            history = [*others, _Night(night, answers)]
            ask = should_ask_weakness(history, night)
            # A repeated Done (double tap, redelivery, a retry after a failed edit) shows
            # what the first one decided, never a calm line over a warning.
            found = warnings_for(history, night, texts=self.content)
            warned = set(answers.get(WARNED) or ())
            again = [w for w in found if w.reason in warned]
            said_on = await self._held_on(known, answers.get(HELD) or ())
            return Outcome(notice=stale, screen=self._screen(night, answers, ask, again, said_on))
        if new.get(SKIPPED):
            new = {**new, SKIPPED: None}  # answering after all: no longer skipped
        history = [*others, _Night(night, new)]
        ask = should_ask_weakness(history, night)
        complete = is_complete(new, ask_weakness=ask)
        shown: list[DiaryWarning] = []
        held: list[str] = []
        held_on: date | None = None
        if complete:
            shown, held, held_on = await self._warnings_to_show(known, night, history)
            # Kept with the night, so a repeated Done shows the same advice again.
            if shown or held or new.get(WARNED) or new.get(HELD):
                new = {**new, WARNED: [w.reason for w in shown], HELD: held}
        # Each answer is stored as it is given, so a restart loses nothing.
        await self.storage.upsert_diary(
            user_id, night, new, now, complete=complete, checkin_message_id=message_id
        )
        if not complete:
            return Outcome(screen=self._screen(night, new, ask))
        for warning in shown:
            await self.storage.record_nudge(user_id, warning.reason, now)
        return Outcome(screen=self._screen(night, new, ask, shown, held_on))

    async def _held_on(self, known: User, reasons: Sequence[str]) -> date | None:
        """The local day a held-back warning was last shown, for "as I said on ..."."""
        times = [await self.storage.last_nudge_at(known.user_id, r) for r in reasons]
        return _latest_local_day(known, times)

    async def _warnings_to_show(
        self, known: User, night: date, history: list[_Night]
    ) -> tuple[list[DiaryWarning], list[str], date | None]:
        """Warning signs to show (a reason at most once a week; emergency and urgent always),
        the reasons held back because they were shown less than a week ago, and the local
        day one of those was last shown."""
        found = warnings_for(history, night, texts=self.content)
        last = {w.reason: await self.storage.last_nudge_at(known.user_id, w.reason) for w in found}
        shown = filter_repeats(found, last, self.clock.now())
        kept = {w.reason for w in shown}
        held = [w.reason for w in found if w.reason not in kept]
        return shown, held, _latest_local_day(known, [last[r] for r in held])

    async def _action(self, known: User, entry: DiaryEntry, press: CheckinPress) -> Outcome:
        """Snooze (the same check-in again in an hour) or Skip today; first step only."""
        stale = self.content.raw_text("checkin.stale")
        now = self.clock.now()
        tz = user_zone(known)
        if next_step(entry.answers, ask_weakness=False) != "cramps":
            history = await self._history(known.user_id)
            ask = should_ask_weakness(history, press.night)
            return Outcome(notice=stale, screen=self._screen(press.night, entry.answers, ask))
        if press.item == "skip":
            # Remembered, so nothing keeps pointing the person back to this check-in.
            await self.storage.upsert_diary(known.user_id, press.night, {SKIPPED: True}, now)
            return Outcome(screen=Screen(self.content.text("checkin.skipped")))
        # Snooze belongs to this morning's check-in: a new message for the same night, later.
        if press.night != local_night_for(now, tz):
            return Outcome(notice=stale)
        at = now + SNOOZE
        local_time = parse_local_time(known.reminder_time or "")
        # The snooze time is its own slot, so the 3-hour catch-up window counts from it (a
        # snooze pressed at 10:00 for a 07:30 check-in still arrives). Only a snooze that
        # crosses midnight keeps the morning's slot, so it still asks about the same night.
        slot: datetime | None = at
        if local_night_for(at, tz) != press.night:
            slot = (
                resolve_local(press.night + timedelta(days=1), local_time, tz)
                if local_time is not None
                else None
            )
        if not await self.storage.snooze_reminder(known.user_id, at=at, slot_at=slot):
            return Outcome(screen=Screen(self.content.text("checkin.snooze_unavailable")))
        local = at.astimezone(tz)
        text = self.content.text(
            "checkin.snoozed_until", time=f"{local.hour:02d}:{local.minute:02d}"
        )
        return Outcome(screen=Screen(text))


def _latest_local_day(known: User, times: Sequence[datetime | None]) -> date | None:
    seen = [t for t in times if t is not None]
    return max(seen).astimezone(user_zone(known)).date() if seen else None
