"""What /start, the consent button, /check and /delete mean, decided without Telegram.

The handlers ask this module and show what it returns; the questionnaire itself (starting,
continuing, moving its message) stays in bot.questionnaire.flow.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from bot.account.callbacks import AGREE, RESTART, AfterConsent, DeletePress, StartPress
from bot.clock import Clock
from bot.content.model import Content
from bot.storage import Assessment, Storage
from bot.ui import Button, Screen

# How long a /delete prompt stays valid: an old confirmation found in the chat must not delete.
DELETE_VALID = timedelta(hours=1)

AgreeResult = Literal["new", "again"]


@dataclass(frozen=True)
class Resume:
    """An unfinished questionnaire the person can continue or start over."""

    assessment: Assessment
    screen: Screen


class Account:
    def __init__(self, content: Content, storage: Storage, clock: Clock) -> None:
        self.content = content
        self.storage = storage
        self.clock = clock

    # ---- consent

    def welcome(self, *, with_button: bool = True, then: AfterConsent | None = None) -> Screen:
        """The first message: what the bot is and is not; the button is consent (and carries
        where the person asked to go, if anywhere)."""
        data = AGREE if then is None else StartPress("agree", then=then).pack()
        buttons = ((Button(self.content.raw_text("start.agree_button"), data),),)
        return Screen(self.content.text("start.welcome"), buttons if with_button else ())

    async def arrive(self, user_id: int, chat_id: int) -> bool:
        """True once the person consented (their chat id refreshed). Before consent nothing
        is stored, and after /delete nothing comes back until they consent again."""
        known = await self.storage.get_user(user_id)
        if known is None or known.consented_at is None:
            return False
        if known.chat_id != chat_id:
            await self.storage.upsert_user(user_id, chat_id, self.clock.now())
        return True

    async def agree(self, user_id: int, chat_id: int) -> AgreeResult:
        """The consent button: "new" the first time, "again" for a second tap. The person's
        row is made here, with their consent."""
        if await self.arrive(user_id, chat_id):
            return "again"
        await self.storage.upsert_user(user_id, chat_id, self.clock.now())
        await self.storage.set_consent(user_id, self.clock.now())
        return "new"

    # ---- the questionnaire's entry points

    async def resume_offer(self, user_id: int) -> Resume | None:
        """Continue or start over, when an unfinished questionnaire exists."""
        current = await self.storage.get_open_assessment(user_id)
        if current is None:
            return None
        content = self.content
        screen = Screen(
            content.text("start.resume"),
            (
                (
                    Button(
                        content.raw_text("start.continue_button"),
                        StartPress("continue", current.id).pack(),
                    ),
                ),
                (Button(content.raw_text("start.restart_button"), RESTART),),
            ),
        )
        return Resume(current, screen)

    async def offer_before_new(self, user_id: int) -> Resume | None:
        """/check and "Start again": answers of an unfinished questionnaire are never thrown
        away silently, so with answers the person chooses; without, a new one starts."""
        offer = await self.resume_offer(user_id)
        if offer is None or not await self.storage.get_answers(offer.assessment.id):
            return None
        return offer

    async def to_continue(self, user_id: int, press: StartPress) -> Assessment | None:
        """The open questionnaire a Continue button was for, or None when it is out of date."""
        current = await self.storage.get_open_assessment(user_id)
        if current is None or current.id != press.assessment_id:
            return None
        return current

    # ---- /delete

    def delete_prompt(self) -> Screen:
        now = self.clock.now()
        yes = DeletePress.shown_at(now, confirm=True).pack()
        no = DeletePress.shown_at(now, confirm=False).pack()
        return Screen(
            self.content.text("delete.confirm"),
            (
                (Button(self.content.raw_text("delete.yes_button"), yes),),
                (Button(self.content.raw_text("delete.no_button"), no),),
            ),
        )

    async def delete(self, user_id: int, press: DeletePress) -> Screen:
        """Yes removes every row of the person from every table; No, or an old prompt, not."""
        age = self.clock.now() - press.asked_at
        # A minute of slack: the prompt's minute is rounded down.
        if not timedelta(0) <= age <= DELETE_VALID + timedelta(minutes=1):
            key = "delete.expired"
        elif press.confirm:
            await self.storage.delete_user(user_id)
            key = "delete.done"
        elif await self.storage.get_user(user_id) is None:
            key = "delete.nothing"  # deleted from another prompt meanwhile
        else:
            key = "delete.cancelled"
        return Screen(self.content.text(key))
