"""Callback data of the account buttons: `s1:` (consent, continue, start over, check again) and
`x1:` (the /delete confirmation). Parsed strictly; numbers are bounded before they are used.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from bot.questionnaire.callbacks import MAX_ASSESSMENT_ID

START_PREFIX = "s1"
DELETE_PREFIX = "x1"
START_PATTERN = rf"^{START_PREFIX}:"
DELETE_PATTERN = rf"^{DELETE_PREFIX}:"

StartAction = Literal["agree", "restart", "check", "continue"]
_SIMPLE: dict[str, StartAction] = {"agree": "agree", "restart": "restart", "check": "check"}
_START_RE = re.compile(rf"^{START_PREFIX}:(agree|restart|check|continue:([0-9]{{1,10}}))$")
_DELETE_RE = re.compile(rf"^{DELETE_PREFIX}:(yes|no):([0-9]{{1,10}})$")
# Epoch minutes of the year 9999: beyond it no clock can have shown the prompt, and
# datetime could not even hold it.
_MAX_MINUTE = int(datetime(9999, 12, 31, tzinfo=UTC).timestamp() // 60)


@dataclass(frozen=True)
class StartPress:
    action: StartAction
    assessment_id: int | None = None  # for "continue": the questionnaire the button was for

    def pack(self) -> str:
        if self.action == "continue":
            return f"{START_PREFIX}:continue:{self.assessment_id}"
        return f"{START_PREFIX}:{self.action}"

    @classmethod
    def parse(cls, data: str) -> StartPress | None:
        match = _START_RE.match(data)
        if match is None:
            return None
        if match[2] is not None:
            aid = int(match[2])
            return cls("continue", aid) if aid <= MAX_ASSESSMENT_ID else None
        return cls(_SIMPLE[match[1]])


AGREE = StartPress("agree").pack()
RESTART = StartPress("restart").pack()
CHECK_AGAIN = StartPress("check").pack()


@dataclass(frozen=True)
class DeletePress:
    """Yes or No on a /delete prompt; the prompt's minute rides along, so an old one expires."""

    confirm: bool
    minute: int  # UTC epoch minutes when the prompt was shown

    def pack(self) -> str:
        return f"{DELETE_PREFIX}:{'yes' if self.confirm else 'no'}:{self.minute}"

    @property
    def asked_at(self) -> datetime:
        return datetime.fromtimestamp(self.minute * 60, UTC)

    @classmethod
    def parse(cls, data: str) -> DeletePress | None:
        match = _DELETE_RE.match(data)
        if match is None or int(match[2]) > _MAX_MINUTE:
            return None
        return cls(match[1] == "yes", int(match[2]))

    @classmethod
    def shown_at(cls, now: datetime, *, confirm: bool) -> DeletePress:
        return cls(confirm, int(now.timestamp() // 60))
