"""/checkin: today's morning check-in, opened now.

For a check-in whose answer from Telegram was lost (the dispatcher does not send it again, as
it probably arrived), for a person who missed theirs, and for anyone who wants to log before
the reminder comes. Telegram-free: the handler sends the screen and records the message.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.diary.flow import CheckinFlow, user_zone
from bot.diary.schedule import local_night_for
from bot.ui import Screen


@dataclass(frozen=True)
class CheckinNow:
    """What /checkin shows: the welcome (`consent_first`), or `screen` for `night`, which
    becomes the night's check-in message when `is_checkin`."""

    consent_first: bool = False
    screen: Screen | None = None
    night: date | None = None
    is_checkin: bool = False


async def open_checkin(flow: CheckinFlow, user_id: int) -> CheckinNow:
    storage, content = flow.storage, flow.content
    known = await storage.get_user(user_id)
    if known is None or known.consented_at is None:
        return CheckinNow(consent_first=True)
    now = flow.clock.now()
    night = local_night_for(now, user_zone(known))
    delivery = await flow.to_send(user_id, night)
    if delivery.screen is None:
        text = content.text("checkin.now_done", night=f"{night.day} {night:%b}")
        return CheckinNow(screen=Screen(text), night=night)
    if await storage.get_diary_entry(user_id, night) is None:
        # The night's row first: presses on the message need it, even if recording the
        # message id below never happens (a crash right after the send).
        await storage.upsert_diary(user_id, night, {}, now)
    return CheckinNow(screen=delivery.screen, night=night, is_checkin=True)
