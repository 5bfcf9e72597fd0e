"""End-to-end conversations with the bot, through the fake Bot API, as a person would have them.

    alex = TelegramUser(emulator, 1001)
    await alex.send("/start")
    assert "not a diagnosis" in alex.last_text()
    answer = await alex.press("I agree")

The driving and waiting logic lives in bot/fakeapi/conversation.py, shared with `cramp-bot try`;
read its docstring for how the harness knows the bot has finished handling something (no fixed
sleeps anywhere). This module keeps the name the tests use and adds test-only conveniences.
"""

from __future__ import annotations

from bot.fakeapi.conversation import (
    IDLE_TURNS,
    ButtonMatcher,
    Conversation,
    NoSuchButton,
    application_idle,
    pick_button,
)
from bot.fakeapi.emulator import HarnessTimeout

__all__ = [
    "IDLE_TURNS",
    "ButtonMatcher",
    "HarnessTimeout",
    "NoSuchButton",
    "TelegramUser",
    "application_idle",
    "pick_button",
]


class TelegramUser(Conversation):
    """One person talking to the bot through the emulator (their private chat by default)."""

    async def send_sticker(self) -> None:
        await self.send_message(
            sticker={
                "file_id": "CAACAgFakeSticker",
                "file_unique_id": "AgFakeSticker",
                "type": "regular",
                "width": 512,
                "height": 512,
                "is_animated": False,
                "is_video": False,
                "emoji": "👍",
            }
        )
