"""What the fake Bot API keeps and answers with: recorded messages and events, the chats and
people it knows, Telegram's error texts, and the decoding of request parameters.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from bot.ui import MAX_CALLBACK_ANSWER

DEFAULT_TOKEN = "1234567890:AAFakeBotApiTokenForTestsOnly_0123456"


NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)


QUERY_TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"


BLOCKED = "Forbidden: bot was blocked by the user"


CONFLICT = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is "
    "running"
)


MAX_ANSWER_TEXT = MAX_CALLBACK_ANSWER


# Telegram's default when allowed_updates is empty: everything except these.
_NOT_BY_DEFAULT = frozenset({"chat_member", "message_reaction", "message_reaction_count"})


_CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)


Json = dict[str, Any]


EventKind = Literal[
    "sent",
    "edited",
    "deleted",
    "document",
    "photo",
    "answered",
    "user_message",
    "user_edit",
    "user_press",
]


NetworkErrorMode = Literal["before", "after"]


class ApiError(Exception):
    """Raised inside a method to answer with a Bot API error."""

    def __init__(self, status: int, description: str, parameters: Json | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters


class HarnessTimeout(AssertionError):
    """Something the test waited for did not happen in time (fails the test, clearly)."""


@dataclass(frozen=True)
class UploadedFile:
    """A file part of a multipart request."""

    file_name: str
    data: bytes
    mime_type: str | None = None


@dataclass(frozen=True)
class InlineButton:
    text: str
    callback_data: str | None
    url: str | None


@dataclass
class SentDocument:
    chat_id: int
    message_id: int
    file_name: str
    data: bytes
    caption: str | None
    mime_type: str | None
    file_id: str


@dataclass
class SentPhoto:
    """A photo as the bot uploaded it (Telegram would also keep smaller copies)."""

    chat_id: int
    message_id: int
    data: bytes
    width: int
    height: int
    file_id: str
    file_name: str = ""


# Telegram's limits for a photo sent by upload (sendPhoto, InputMediaPhoto).
MAX_PHOTO_BYTES = 10 * 1024 * 1024


MAX_PHOTO_SIDES = 10_000  # width + height


MAX_PHOTO_RATIO = 20


NO_MEDIA = "Bad Request: there is no media in the message to edit"


def image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) of a PNG or JPEG, read from its header; None for anything else."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24 and data[12:16] == b"IHDR":
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    if data.startswith(b"\xff\xd8"):
        at = 2
        while at + 9 < len(data) and data[at] == 0xFF:
            marker, length = data[at + 1], int.from_bytes(data[at + 2 : at + 4], "big")
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                height = int.from_bytes(data[at + 5 : at + 7], "big")
                return int.from_bytes(data[at + 7 : at + 9], "big"), height
            at += 2 + length
    return None


@dataclass
class SentMessage:
    """A message in a chat, as it is now (after edits).

    `text` is what the person sees (HTML parsed, entities decoded, trimmed), like Telegram's
    Message.text; `html` is the text parameter exactly as the bot sent it. For a document or
    a photo, `text` is its visible caption.
    """

    chat_id: int
    message_id: int
    text: str
    html: str
    parse_mode: str | None
    entities: list[Json]
    reply_markup: Json | None
    from_bot: bool
    date: int
    sender_id: int
    edit_date: int | None = None
    deleted: bool = False
    document: SentDocument | None = None
    photo: SentPhoto | None = None
    extra: Json = field(default_factory=dict)

    @property
    def keyboard(self) -> list[list[InlineButton]]:
        if not self.reply_markup or "inline_keyboard" not in self.reply_markup:
            return []
        return [
            [
                InlineButton(button["text"], button.get("callback_data"), button.get("url"))
                for button in row
            ]
            for row in self.reply_markup["inline_keyboard"]
        ]

    @property
    def button_labels(self) -> list[str]:
        return [button.text for row in self.keyboard for button in row]


@dataclass(frozen=True)
class HistoryEvent:
    """One thing that happened in a chat, in order: what the bot sent, edited, deleted or
    answered to a button press (text = the answer), and what the person did (text = the text
    sent or the callback data pressed). `seq` increases across all chats."""

    seq: int
    kind: EventKind
    chat_id: int
    message_id: int
    text: str
    reply_markup: Json | None


@dataclass
class Stats:
    calls: Counter[str] = field(default_factory=Counter)
    errors: Counter[tuple[str, int]] = field(default_factory=Counter)
    rate_limited: int = 0  # 429 answers (flood mode and injected)


@dataclass
class _Fault:
    status: int
    description: str
    retry_after: int | None
    times: int


@dataclass
class _Chat:
    id: int
    type: str
    title: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    username: str | None = None
    next_message_id: int = 1
    messages: dict[int, SentMessage] = field(default_factory=dict)

    def to_json(self) -> Json:
        data: Json = {"id": self.id, "type": self.type}
        for key in ("title", "first_name", "last_name", "username"):
            if getattr(self, key) is not None:
                data[key] = getattr(self, key)
        return data


@dataclass
class _User:
    id: int
    first_name: str
    last_name: str | None
    username: str | None
    language_code: str | None
    blocked: bool = False

    def to_json(self) -> Json:
        data: Json = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code"):
            if getattr(self, key) is not None:
                data[key] = getattr(self, key)
        return data


@dataclass
class _Query:
    user_id: int
    chat_id: int
    message_id: int
    answered: bool = False


Method = Callable[[Json], Awaitable[Any]]


@dataclass(frozen=True)
class Webhook:
    """What the bot asked for with setWebhook, as a test wants to check it."""

    url: str
    secret_token: str | None
    allowed_updates: list[str] | None
    drop_pending_updates: bool
    max_connections: int


def _strings_of(value: Any) -> Any:
    # A file's bytes hold no strings: only its name is checked. Their repr would be a few
    # hundred KB of text to encode for every photo (3 ms on the event loop that answers
    # everybody else's calls; docs/benchmarks.md, section 4).
    return value.file_name if isinstance(value, UploadedFile) else repr(value)


def _require_utf8(value: Any) -> None:
    """Telegram's answer to a string that is not valid UTF-8 (a lone surrogate)."""
    try:
        json.dumps(value, ensure_ascii=False, default=_strings_of).encode("utf-8")
    except UnicodeEncodeError:
        raise ApiError(400, "Bad Request: strings must be encoded in UTF-8") from None


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _str(params: Json, name: str) -> str | None:
    value = params.get(name)
    if value is None:
        return None
    return value if isinstance(value, str) else json.dumps(value)


def _int(params: Json, name: str) -> int | None:
    value = params.get(name)
    if value is None or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ApiError(400, f"Bad Request: wrong parameter {name} in request") from None


def _float(params: Json, name: str) -> float | None:
    value = params.get(name)
    if value is None or value == "":
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ApiError(400, f"Bad Request: wrong parameter {name} in request") from None


def _bool(params: Json, name: str) -> bool:
    value = params.get(name)
    if isinstance(value, str):
        return value.lower() in ("true", "1")
    return bool(value)


def _json(params: Json, name: str) -> Any:
    value = params.get(name)
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            raise ApiError(400, f"Bad Request: can't parse {name} JSON object") from None
    return value
