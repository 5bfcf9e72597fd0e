"""Telegram-free description of what the bot shows: HTML text plus rows of buttons.

The core renders `Screen`s; only the handlers turn them into Telegram keyboards. That keeps the
questionnaire, the check-in and the try mode testable without any Telegram object.
"""

from __future__ import annotations

from dataclasses import dataclass, field

MAX_CALLBACK_BYTES = 64
MAX_MESSAGE_CHARS = 4096
MAX_ALERT_CHARS = 200


@dataclass(frozen=True)
class Button:
    text: str
    data: str


@dataclass(frozen=True)
class Screen:
    """One message: `text` is Telegram HTML (everything from content or users already escaped)."""

    text: str
    buttons: tuple[tuple[Button, ...], ...] = field(default_factory=tuple)

    def all_buttons(self) -> list[Button]:
        return [button for row in self.buttons for button in row]
