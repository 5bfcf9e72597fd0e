"""Telegram-free description of what the bot shows: HTML text plus rows of buttons.

The core renders `Screen`s; only the handlers turn them into Telegram keyboards. That keeps the
questionnaire, the check-in and the try mode testable without any Telegram object.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Telegram's limits, the one table of them: content validation, the renderers and the codecs
# all check against these.
MAX_MESSAGE = 4096  # characters of a message, after entity parsing
MAX_CAPTION = 1024  # characters of a photo's or a document's caption
MAX_CALLBACK_DATA = 64  # bytes of a button's callback data
MAX_CALLBACK_ANSWER = 200  # characters of a callback-query answer (toast or alert)
MAX_BUTTON = 64  # characters of a button label that stay readable
MAX_COMMAND_DESCRIPTION = 256  # characters of a command description in the menu

# The command menu, in the order people see it; every command needs a `commands.<name>` text.
COMMANDS = (
    "start",
    "check",
    "reminders",
    "checkin",
    "history",
    "insights",
    "export",
    "help",
    "privacy",
    "delete",
)


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
