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

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from bot.clock import MovableClock
from bot.content.load import load_content
from bot.content.model import Content
from bot.fakeapi.conversation import (
    IDLE_TURNS,
    ButtonMatcher,
    Conversation,
    NoSuchButton,
    application_idle,
    pick_button,
)
from bot.fakeapi.emulator import BotApiEmulator
from bot.fakeapi.http import FakeBotApiServer
from bot.fakeapi.records import HarnessTimeout
from bot.storage import Storage
from bot.wiring.deps import Deps

__all__ = [
    "CALM",
    "FIXTURES",
    "IDLE_TURNS",
    "ROOT",
    "START",
    "ButtonMatcher",
    "HarnessTimeout",
    "NoSuchButton",
    "TelegramUser",
    "World",
    "application_idle",
    "calm_presses",
    "pick_button",
    "real_content",
]

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
# The moment every end-to-end test starts at (a Wednesday, midday UTC).
START = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)

# A complete, unremarkable questionnaire: woken now and then by calf cramps of seconds, nothing
# else of note. Unit tests use the ids; conversations press the same answers by their labels.
CALM: dict[str, tuple[str, ...]] = {
    "em_now": ("none",),
    "em_soon": ("none",),
    "age": ("u40",),
    "where": ("calves",),
    "often": ("rare",),
    "length": ("secs",),
    "impact": ("sometimes",),
    "health": ("none",),
    "meds": ("none",),
    "kidney": ("none",),
    "nerve": ("none",),
    "drink": ("normal",),
    "caffeine": ("low",),
    "lately": ("none",),
}


@cache
def real_content() -> Content:
    """The bundled content, loaded and validated once per test run: the one way tests get it."""
    return load_content()


def calm_presses(content: Content, answers: dict[str, tuple[str, ...]] = CALM) -> list[list[str]]:
    """The button labels a person presses for `answers`, question by question (a multi-select
    gets its ticks and then Done, unless its one answer moves on by itself)."""
    steps: list[list[str]] = []
    for qid, chosen in answers.items():
        question = content.question(qid)
        assert question is not None, qid
        labels = []
        for oid in chosen:
            option = question.option(oid)
            assert option is not None, (qid, oid)
            labels.append(option.label)
        exclusive = len(chosen) == 1 and (question.option(chosen[0]) or option).exclusive
        if question.kind == "multi" and not exclusive:
            labels.append(content.raw_text("q.done"))
        steps.append(labels)
    return steps


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


@dataclass
class World:
    """A running bot and everything around it, as one test sees it."""

    emulator: BotApiEmulator
    server: FakeBotApiServer
    storage: Storage
    clock: MovableClock
    deps: Deps
    app: Any
    errors: list[BaseException]

    def idle(self) -> bool:
        return bool(
            self.app.update_queue.empty()
            and self.app.update_processor.current_concurrent_updates == 0
        )

    def person(self, user_id: int = 1001, **kwargs: Any) -> TelegramUser:
        # A generous wait: CI runs the suite on several Pythons at once on two cores, and a
        # step that waits out the whole time has failed anyway.
        kwargs.setdefault("timeout", 30.0)
        return TelegramUser(self.emulator, user_id, idle_check=self.idle, **kwargs)

    async def consented(self, user_id: int = 1001) -> TelegramUser:
        """A person who agreed to the welcome message at START (stored, no questionnaire)."""
        await self.storage.upsert_user(user_id, user_id, START)
        await self.storage.set_consent(user_id, START)
        return self.person(user_id)
