"""The questionnaire's callback data, `q1:<assessment>:<question>:<option>[:<0|1>]`: built by the
renderer, parsed by the flow, checked for length by content validation, and matched by the
handler's pattern. Everything in it comes from the client, so parsing is strict and bounded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.ui import MAX_CALLBACK_DATA

PREFIX = "q1"
PATTERN = rf"^{PREFIX}:"
DONE = "~done"
BACK = "~back"
# SQLite's rowid can grow past this only after ten billion questionnaires; the bound keeps a
# forged number from reaching storage as a huge integer.
MAX_ASSESSMENT_ID = 9_999_999_999

_RE = re.compile(
    rf"^{PREFIX}:(?P<aid>[0-9]{{1,10}}):(?P<qid>[a-z0-9_]{{1,16}}):"
    r"(?P<opt>[a-z0-9_]{1,16}|~done|~back)(?::(?P<state>[01]))?$"
)


@dataclass(frozen=True)
class QuestionPress:
    """One press on a question screen: an option, Done or Back."""

    assessment_id: int
    question_id: str
    option: str
    # Multi-select toggles carry the wanted state, so a press delivered twice is a no-op.
    state: bool | None = None

    def pack(self) -> str:
        tail = "" if self.state is None else f":{int(self.state)}"
        return f"{PREFIX}:{self.assessment_id}:{self.question_id}:{self.option}{tail}"

    @classmethod
    def parse(cls, data: str) -> QuestionPress | None:
        match = _RE.match(data)
        if match is None or int(match["aid"]) > MAX_ASSESSMENT_ID:
            return None
        state = match["state"]
        return cls(
            assessment_id=int(match["aid"]),
            question_id=match["qid"],
            option=match["opt"],
            state=None if state is None else state == "1",
        )


def widest(question_id: str, option_id: str) -> str | None:
    """Why the longest press on this option would not fit Telegram's 64 bytes, or None."""
    data = QuestionPress(MAX_ASSESSMENT_ID, question_id, option_id, True).pack()
    size = len(data.encode())
    if size <= MAX_CALLBACK_DATA:
        return None
    return f"callback data '{data}' is {size} bytes, over Telegram's {MAX_CALLBACK_DATA}"
