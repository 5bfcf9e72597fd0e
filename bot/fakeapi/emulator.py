"""An in-memory Telegram Bot API for one bot: the state behind the fake server and `try` mode.

`BotApiEmulator.call(method, params)` answers like api.telegram.org: the same JSON shapes, the
same error codes and the same error texts for the mistakes a bot makes in practice (identical
edits, broken HTML, over-long texts, bad callback data, double callback answers, deleted
messages, blocked users, flood limits). Photos (sendPhoto, editMessageMedia with a photo) are
checked for what Telegram checks on an upload: a readable PNG or JPEG, 10 MB, width + height at
most 10,000, sides at most 20:1, a caption of at most 1024 characters. Tests, `cramp-bot try`
and the benchmarks drive the other side: people send texts and press buttons, and every send
and edit is recorded.

No sockets here: bot/fakeapi/http.py serves this over real HTTP and bot/fakeapi/inprocess.py
plugs it into python-telegram-bot directly. Everything runs on one event loop, so the state
needs no locks; the only waiting is the getUpdates long poll.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import json
import random
import re
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from bot.fakeapi.markup import (
    MAX_CAPTION_LENGTH,
    MAX_TEXT_LENGTH,
    EntityParseError,
    MarkupError,
    decode_reply_markup,
    format_text,
)
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


class BotApiEmulator:
    """One bot's view of Telegram: chats, messages, updates, callback queries, faults."""

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        bot_username: str = "cramp_test_bot",
        bot_first_name: str = "Cramp Bot",
        now: Callable[[], float] = time.time,
        keep_history: bool = True,
    ) -> None:
        self.token = token
        self.bot_id = int(token.split(":", 1)[0])
        self.now = now
        self.keep_history = keep_history
        self.bot_user: Json = {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }
        self.calls: list[tuple[str, Json]] = []
        self.errors: list[tuple[str, int, str]] = []
        self.callback_answers: dict[str, Json] = {}
        self.chat_actions: list[tuple[int, str]] = []
        self.stats = Stats()
        self.active_calls = 0  # calls being answered now, long polls excluded
        self.idle_check: Callable[[], bool] | None = None  # set by whoever runs the bot
        self._users: dict[int, _User] = {}
        self._chats: dict[int, _Chat] = {}
        self._commands: dict[tuple[str, str], list[Json]] = {}
        self._history: list[HistoryEvent] = []
        self._history_seq = 0
        self._listeners: list[Callable[[HistoryEvent], None]] = []
        self._queries: dict[str, _Query] = {}
        self._next_query = 4_000_000_000_000_000_000
        self._updates: dict[int, Json] = {}  # every update ever queued, for redeliver()
        self._pending: list[int] = []  # not yet confirmed by an offset, ascending
        self._redeliver: list[int] = []  # handed out again whatever the offset
        self._next_update_id = 1
        self._allowed_updates: list[str] = []
        self.webhook: Webhook | None = None  # set by setWebhook; getUpdates is refused then
        self._webhook_delivered: set[int] = set()
        self._poll_seq = 0  # counts getUpdates arrivals
        self._delivered_in_poll: dict[int, int] = {}  # update_id -> poll that handed it out
        self._wakeup = asyncio.Event()
        self._faults: dict[str, deque[_Fault]] = {}
        self._network_faults: dict[str, deque[NetworkErrorMode]] = {}
        self._random_drops: dict[str, tuple[float, NetworkErrorMode]] = {}
        self._drop_rng = random.Random(0)
        self._flood_per_second: int | None = None
        self._flood_methods: frozenset[str] = frozenset()
        self._flood_window: deque[float] = deque()
        self._files: dict[str, SentDocument] = {}
        self._photos: dict[str, SentPhoto] = {}
        self._photo_seq = 0
        self._methods: dict[str, tuple[str, Method]] = {
            name.lower(): (name, handler)
            for name, handler in {
                "getMe": self._get_me,
                "getUpdates": self._get_updates,
                "deleteWebhook": self._delete_webhook,
                "setWebhook": self._set_webhook,
                "getWebhookInfo": self._get_webhook_info,
                "setMyCommands": self._set_my_commands,
                "getMyCommands": self._get_my_commands,
                "deleteMyCommands": self._delete_my_commands,
                "setMyDescription": self._ok,
                "setMyShortDescription": self._ok,
                "setChatMenuButton": self._ok,
                "sendMessage": self._send_message,
                "editMessageText": self._edit_message_text,
                "editMessageReplyMarkup": self._edit_message_reply_markup,
                "answerCallbackQuery": self._answer_callback_query,
                "sendDocument": self._send_document,
                "sendPhoto": self._send_photo,
                "editMessageMedia": self._edit_message_media,
                "deleteMessage": self._delete_message,
                "sendChatAction": self._send_chat_action,
                "getChat": self._get_chat,
                "close": self._ok,
                "logOut": self._ok,
            }.items()
        }

    # ------------------------------------------------------------------ people and chats

    def user(
        self,
        user_id: int,
        first_name: str = "Alex",
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "en",
    ) -> Json:
        """Registers (or updates) a person and their private chat (chat id == user id)."""
        person = _User(user_id, first_name, last_name, username, language_code)
        old = self._users.get(user_id)
        if old is not None:
            person.blocked = old.blocked
        self._users[user_id] = person
        chat = self._chats.get(user_id)
        if chat is None:
            self._chats[user_id] = _Chat(
                user_id, "private", first_name=first_name, last_name=last_name, username=username
            )
        else:
            chat.first_name, chat.last_name, chat.username = first_name, last_name, username
        return person.to_json()

    def group(self, chat_id: int, title: str = "Test group", *, supergroup: bool = False) -> Json:
        chat = _Chat(chat_id, "supergroup" if supergroup else "group", title=title)
        self._chats.setdefault(chat_id, chat)
        return self._chats[chat_id].to_json()

    def block(self, user_id: int) -> int:
        """The person blocks the bot: sends to them fail with 403; returns the update id of the
        my_chat_member update Telegram sends about it."""
        self._users[user_id].blocked = True
        return self._member_update(user_id, "member", "kicked")

    def unblock(self, user_id: int) -> int:
        self._users[user_id].blocked = False
        return self._member_update(user_id, "kicked", "member")

    def add_bot_to_group(self, chat_id: int, by_user_id: int) -> int:
        """Someone adds the bot to a group (see `group`): the my_chat_member update for it."""
        return self._member_update(by_user_id, "left", "member", chat_id=chat_id)

    def _member_update(
        self, user_id: int, old: str, new: str, *, chat_id: int | None = None
    ) -> int:
        def member(status: str) -> Json:
            data: Json = {"user": self.bot_user, "status": status}
            if status == "kicked":
                data["until_date"] = 0  # 0: banned for ever
            return data

        return self._queue_update(
            {
                "my_chat_member": {
                    "chat": self._chats[user_id if chat_id is None else chat_id].to_json(),
                    "from": self._users[user_id].to_json(),
                    "date": self._date(),
                    "old_chat_member": member(old),
                    "new_chat_member": member(new),
                }
            }
        )

    # ------------------------------------------------------------------ fault injection

    def inject(
        self,
        method: str,
        *,
        status: int,
        description: str,
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        """The next `times` calls of `method` fail with this status and description."""
        name = self._canonical(method)
        self._faults.setdefault(name, deque()).append(
            _Fault(status, description, retry_after, times)
        )

    def inject_network_error(
        self, method: str, times: int = 1, *, when: NetworkErrorMode = "before"
    ) -> None:
        """The transport drops the next `times` calls of `method` without an answer: "before"
        the call takes effect, or "after" it (the message is sent but the bot never hears)."""
        queue = self._network_faults.setdefault(self._canonical(method), deque())
        queue.extend([when] * times)

    def drop_randomly(
        self,
        method: str,
        fraction: float,
        *,
        when: NetworkErrorMode = "after",
        seed: int = 0,
    ) -> None:
        """From now on the transport drops each call of `method` with probability `fraction`
        (0 turns it off), as inject_network_error does for one call: for fault benchmarks
        ("after": the call takes effect, its answer is lost). Seeded, so runs repeat."""
        name = self._canonical(method)
        if fraction <= 0:
            self._random_drops.pop(name, None)
        else:
            self._random_drops[name] = (fraction, when)
        self._drop_rng.seed(seed)

    def take_network_error(self, method: str) -> NetworkErrorMode | None:
        """For the transport: whether to drop this call (consumes one injected error)."""
        name = self._canonical(method)
        queue = self._network_faults.get(name)
        if queue:
            return queue.popleft()
        drop = self._random_drops.get(name)
        if drop is not None and self._drop_rng.random() < drop[0]:
            self.stats.errors[(name, 0)] += 1  # 0: no HTTP status, the connection was cut
            return drop[1]
        return None

    def flood_limit(
        self, per_second: int | None, *, methods: tuple[str, ...] = ("sendMessage",)
    ) -> None:
        """More than `per_second` of these calls within one second (by `now`) get a 429 with
        retry_after=1; None turns flood mode off."""
        self._flood_per_second = per_second
        self._flood_methods = frozenset(self._canonical(m) for m in methods)
        self._flood_window.clear()

    def expire_query(self, query_id: str) -> None:
        """The callback query gets too old to answer, as after a slow restart."""
        self._queries.pop(query_id, None)

    # ------------------------------------------------------------------ driving the other side

    def user_sends_text(self, user_id: int, chat_id: int, text: str) -> int:
        """The person sends `text` (a leading /command gets a bot_command entity)."""
        fields: Json = {"text": text}
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0] if text.strip() else text
            fields["entities"] = [
                {"type": "bot_command", "offset": 0, "length": _utf16_len(command)}
            ]
        return self.user_sends_message(user_id, chat_id, **fields)

    def user_edits_text(self, user_id: int, chat_id: int, message_id: int, text: str) -> int:
        """The person edits a message they sent earlier: Telegram sends an edited_message."""
        chat = self._chat(chat_id)
        old = chat.messages[message_id]
        if old.from_bot or old.sender_id != user_id:
            raise ValueError("people can only edit their own messages")
        old.text = old.html = text
        old.edit_date = self._date()
        self._record("user_edit", chat_id, message_id, text, None)
        fields: Json = {"text": text}
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            fields["entities"] = [
                {"type": "bot_command", "offset": 0, "length": _utf16_len(command)}
            ]
        edited: Json = {
            "message_id": message_id,
            "from": self._users[user_id].to_json(),
            "chat": chat.to_json(),
            "date": old.date,
            "edit_date": old.edit_date,
            **fields,
        }
        return self._queue_update({"edited_message": edited})

    def user_sends_message(self, user_id: int, chat_id: int, **fields: Any) -> int:
        """The person sends any message (e.g. sticker={...}); returns the update id."""
        person = self._users[user_id]
        chat = self._chat(chat_id)
        message_id = chat.next_message_id
        chat.next_message_id += 1
        date = self._date()
        message: Json = {
            "message_id": message_id,
            "from": person.to_json(),
            "chat": chat.to_json(),
            "date": date,
            **fields,
        }
        text = str(fields.get("text", fields.get("caption", "")))
        chat.messages[message_id] = SentMessage(
            chat_id,
            message_id,
            text,
            text,
            None,
            list(fields.get("entities", [])),
            None,
            from_bot=False,
            date=date,
            sender_id=user_id,
            extra=dict(fields),
        )
        self._record("user_message", chat_id, message_id, text, None)
        return self._queue_update({"message": message})

    def user_presses(
        self, user_id: int, chat_id: int, message_id: int, callback_data: str
    ) -> tuple[int, str]:
        """The person presses a button with `callback_data` under that message; returns
        (update id, callback query id). Data is not checked against the keyboard: the harness
        takes it from the keyboard, and forged data is a test of its own."""
        person = self._users[user_id]
        target = self._chat(chat_id).messages.get(message_id)
        if target is None or target.deleted or not target.from_bot:
            raise ValueError(f"no bot message {message_id} in chat {chat_id} to press on")
        self._next_query += 1
        query_id = str(self._next_query)
        self._queries[query_id] = _Query(user_id, chat_id, message_id)
        self._record("user_press", chat_id, message_id, callback_data, None)
        update_id = self._queue_update(
            {
                "callback_query": {
                    "id": query_id,
                    "from": person.to_json(),
                    "message": self._message_json(target),
                    "chat_instance": str(-abs(chat_id) * 7919 - 13),
                    "data": callback_data,
                }
            }
        )
        return update_id, query_id

    def add_raw_update(self, update: Json) -> int:
        """Queues a forged update as given (its update_id is assigned when missing)."""
        body = {key: value for key, value in update.items() if key != "update_id"}
        return self._queue_update(body, update.get("update_id"))

    def redeliver(self, update_id: int) -> None:
        """Hands an already confirmed update out again, as Telegram may after a crash."""
        if update_id not in self._updates:
            raise KeyError(f"unknown update {update_id}")
        self._delivered_in_poll.pop(update_id, None)
        if update_id not in self._redeliver:
            self._redeliver.append(update_id)
        self._notify()

    # ------------------------------------------------------------------ what happened

    def messages(
        self, chat_id: int, *, include_deleted: bool = False, include_user: bool = False
    ) -> list[SentMessage]:
        """Messages in the chat as they are now, oldest first (by default only the bot's)."""
        chat = self._chats.get(chat_id)
        if chat is None:
            return []
        return [
            message
            for message in chat.messages.values()
            if (include_deleted or not message.deleted) and (include_user or message.from_bot)
        ]

    def message(self, chat_id: int, message_id: int) -> SentMessage | None:
        chat = self._chats.get(chat_id)
        return None if chat is None else chat.messages.get(message_id)

    def history(self, chat_id: int | None = None) -> list[HistoryEvent]:
        """Every send, edit and delete (and what the person did), in order."""
        if chat_id is None:
            return list(self._history)
        return [event for event in self._history if event.chat_id == chat_id]

    def photos(self, chat_id: int) -> list[SentPhoto]:
        """The photos now shown in the chat (an edited photo message shows its new one)."""
        return [m.photo for m in self.messages(chat_id) if m.photo is not None]

    def documents(self, chat_id: int) -> list[SentDocument]:
        return [
            message.document
            for message in self.messages(chat_id, include_deleted=True)
            if message.document is not None
        ]

    def commands(self, scope: str = "default", language_code: str = "") -> list[Json]:
        """The command menu set for that scope type (`"chat:1001"` for one chat's own menu)
        and language."""
        return list(self._commands.get((scope, language_code), []))

    def subscribe(self, listener: Callable[[HistoryEvent], None]) -> Callable[[], None]:
        """Calls `listener` for every new history event; returns a function that unsubscribes."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def is_fetched(self, update_id: int) -> bool:
        """The bot has taken this update: a getUpdates answer contained it and the bot has
        asked again since (PTB queues what it got before it polls again)."""
        if update_id in self._webhook_delivered:
            return True  # POSTed to the webhook and answered 2xx: queued by the bot
        poll = self._delivered_in_poll.get(update_id)
        return poll is not None and self._poll_seq > poll

    @property
    def pending_update_ids(self) -> list[int]:
        return list(self._redeliver) + list(self._pending)

    async def wait_until(
        self, predicate: Callable[[], bool], *, within: float = 10.0, what: str = "a condition"
    ) -> None:
        """Waits until `predicate()` holds, re-checking after every API call and new update
        (and every 50 ms, for conditions outside the emulator); raises HarnessTimeout naming
        `what` after `within` seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while not predicate():
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise HarnessTimeout(f"timed out after {within:g} s waiting for {what}")
            wakeup = self._wakeup
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wakeup.wait(), min(remaining, 0.05))

    async def changed(self, within: float) -> None:
        """Returns after the next API call or new update, or after `within` seconds."""
        wakeup = self._wakeup
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(wakeup.wait(), within)

    # ------------------------------------------------------------------ the API

    async def call(
        self, method: str, params: Json | None = None, *, token: str | None = None
    ) -> tuple[int, Json]:
        """Answers one Bot API call: (HTTP status, JSON body). `params` may hold form strings
        (JSON-typed fields as JSON text) or native JSON values; files as UploadedFile."""
        params = dict(params or {})
        if token is not None and token != self.token:
            return self._error_body(method, ApiError(401, "Unauthorized"))
        entry = self._methods.get(method.lower())
        if entry is None:
            return self._error_body(method, ApiError(404, "Not Found"))
        name, handler = entry
        polling = name == "getUpdates"
        if not polling:
            self.active_calls += 1
        try:
            if self.keep_history:
                self.calls.append((name, params))
            self.stats.calls[name] += 1
            _require_utf8(params)
            self._take_fault(name)
            self._check_flood(name)
            result = await handler(params)
        except ApiError as error:
            return self._error_body(name, error)
        finally:
            if not polling:
                self.active_calls -= 1
            self._notify()
        return 200, {"ok": True, "result": result}

    def _error_body(self, method: str, error: ApiError) -> tuple[int, Json]:
        body: Json = {"ok": False, "error_code": error.status, "description": error.description}
        if error.parameters:
            body["parameters"] = error.parameters
        if error.status == 429:
            self.stats.rate_limited += 1
        self.stats.errors[(method, error.status)] += 1
        if self.keep_history:
            self.errors.append((method, error.status, error.description))
        return error.status, body

    def _canonical(self, method: str) -> str:
        entry = self._methods.get(method.lower())
        return entry[0] if entry else method

    def _take_fault(self, method: str) -> None:
        faults = self._faults.get(method)
        if not faults:
            return
        fault = faults[0]
        fault.times -= 1
        if fault.times <= 0:
            faults.popleft()
        parameters = {"retry_after": fault.retry_after} if fault.retry_after is not None else None
        raise ApiError(fault.status, fault.description, parameters)

    def _check_flood(self, method: str) -> None:
        if self._flood_per_second is None or method not in self._flood_methods:
            return
        moment = self.now()
        while self._flood_window and self._flood_window[0] <= moment - 1.0:
            self._flood_window.popleft()
        if len(self._flood_window) >= self._flood_per_second:
            raise ApiError(429, "Too Many Requests: retry after 1", {"retry_after": 1})
        self._flood_window.append(moment)

    # ------------------------------------------------------------------ methods

    async def _ok(self, params: Json) -> bool:
        return True

    async def _get_me(self, params: Json) -> Json:
        return dict(self.bot_user)

    async def _delete_webhook(self, params: Json) -> bool:
        if _bool(params, "drop_pending_updates"):
            self._pending.clear()
            self._redeliver.clear()
        self.webhook = None
        self._notify()  # a deliverer waiting on the webhook stops
        return True

    async def _set_webhook(self, params: Json) -> bool:
        # Recorded, not delivered: bot/fakeapi/webhook.py POSTs pending updates to the URL.
        url = _str(params, "url") or ""
        if not url:
            return await self._delete_webhook(params)  # Telegram: an empty url removes it
        if not url.startswith(("https://", "http://")):
            raise ApiError(400, "Bad Request: bad webhook: An HTTPS URL must be provided")
        secret = _str(params, "secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
            raise ApiError(400, "Bad Request: secret token contains unallowed characters")
        allowed = _json(params, "allowed_updates")
        if isinstance(allowed, list):
            self._allowed_updates = [str(kind) for kind in allowed]
        if _bool(params, "drop_pending_updates"):
            self._pending.clear()
            self._redeliver.clear()
        self.webhook = Webhook(
            url=url,
            secret_token=secret,
            allowed_updates=list(allowed) if isinstance(allowed, list) else None,
            drop_pending_updates=_bool(params, "drop_pending_updates"),
            max_connections=_int(params, "max_connections") or 40,
        )
        self._notify()
        return True

    async def _get_webhook_info(self, params: Json) -> Json:
        return {
            "url": self.webhook.url if self.webhook is not None else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending),
        }

    # Webhook delivery (bot/fakeapi/webhook.py): what to POST next, and the bot's 2xx for it.

    def next_webhook_update(self) -> Json | None:
        """The oldest pending update the bot asked for, as Telegram would POST it."""
        batch = self._select(0, 1)
        return {"update_id": batch[0], **self._updates[batch[0]]} if batch else None

    def webhook_delivered(self, update_id: int) -> None:
        """The bot answered 2xx: Telegram forgets the update (like a confirming offset)."""
        self._pending = [u for u in self._pending if u != update_id]
        self._redeliver = [u for u in self._redeliver if u != update_id]
        self._webhook_delivered.add(update_id)
        self._notify()

    async def _get_updates(self, params: Json) -> list[Json]:
        if self.webhook is not None:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; use "
                "deleteWebhook to delete the webhook first",
            )
        offset = _int(params, "offset") or 0
        limit = min(max(_int(params, "limit") or 100, 1), 100)
        timeout = max(_float(params, "timeout") or 0.0, 0.0)
        allowed = _json(params, "allowed_updates")
        if isinstance(allowed, list):
            self._allowed_updates = [str(kind) for kind in allowed]
        self._poll_seq += 1
        poll = self._poll_seq
        self._notify()  # an older long poll still waiting is now terminated with a conflict
        self._confirm(offset, poll)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            batch = self._select(offset, limit)
            if batch:
                break
            if poll != self._poll_seq:
                raise ApiError(409, CONFLICT)
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            wakeup = self._wakeup
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wakeup.wait(), remaining)
            if poll != self._poll_seq:
                raise ApiError(409, CONFLICT)
        for update_id in batch:
            self._delivered_in_poll[update_id] = poll
        return [{"update_id": update_id, **self._updates[update_id]} for update_id in batch]

    def _confirm(self, offset: int, poll: int) -> None:
        # Redelivered updates go once they were handed out by an earlier poll.
        self._redeliver = [
            update_id
            for update_id in self._redeliver
            if self._delivered_in_poll.get(update_id, poll) >= poll
        ]
        if offset > 0:
            confirmed = self._pending[: bisect.bisect_left(self._pending, offset)]
            del self._pending[: len(confirmed)]
        elif offset < 0:
            confirmed = self._pending[:offset]
            del self._pending[:offset]
        else:
            confirmed = []
        if not self.keep_history:
            # Long benchmark runs: forget what can no longer be handed out.
            for update_id in confirmed:
                if update_id not in self._redeliver:
                    self._updates.pop(update_id, None)
                    self._delivered_in_poll.pop(update_id, None)

    def _select(self, offset: int, limit: int) -> list[int]:
        allowed = set(self._allowed_updates) if self._allowed_updates else None
        wanted: list[int] = []
        dropped: set[int] = set()
        # Redelivered updates first, whatever the offset.
        redelivered = set(self._redeliver)
        for update_id in [*self._redeliver, *self._pending]:
            if len(wanted) >= limit:
                break
            if 0 < update_id < offset and update_id not in redelivered:
                continue  # a forged update numbered below what the bot confirmed
            kind = next(iter(self._updates[update_id]))
            if (kind not in allowed) if allowed is not None else (kind in _NOT_BY_DEFAULT):
                dropped.add(update_id)  # Telegram never stores what the bot did not ask for
                continue
            if update_id not in wanted:
                wanted.append(update_id)
        if dropped:
            self._pending = [u for u in self._pending if u not in dropped]
            self._redeliver = [u for u in self._redeliver if u not in dropped]
        return wanted

    async def _set_my_commands(self, params: Json) -> bool:
        commands = _json(params, "commands")
        if not isinstance(commands, list):
            raise ApiError(400, "Bad Request: can't parse commands JSON object")
        if len(commands) > 100:
            raise ApiError(400, "Bad Request: BOT_COMMANDS_TOO_MUCH")
        cleaned: list[Json] = []
        for item in commands:
            if not isinstance(item, dict):
                raise ApiError(400, "Bad Request: can't parse BotCommand")
            command = str(item.get("command", "")).strip().removeprefix("/")
            description = str(item.get("description", "")).strip()
            if not command:
                raise ApiError(400, "Bad Request: command must be non-empty")
            if len(command) > 32:
                raise ApiError(400, "Bad Request: command length must not exceed 32")
            if not all(c.isascii() and (c.islower() or c.isdigit() or c == "_") for c in command):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not description:
                raise ApiError(400, "Bad Request: command description must be non-empty")
            if len(description) > 256:
                raise ApiError(400, "Bad Request: command description length must not exceed 256")
            cleaned.append({"command": command, "description": description})
        self._commands[self._command_key(params)] = cleaned
        return True

    async def _get_my_commands(self, params: Json) -> list[Json]:
        return self._commands.get(self._command_key(params), [])

    async def _delete_my_commands(self, params: Json) -> bool:
        self._commands.pop(self._command_key(params), None)
        return True

    def _command_key(self, params: Json) -> tuple[str, str]:
        scope = _json(params, "scope")
        scope_type = scope.get("type", "default") if isinstance(scope, dict) else "default"
        if isinstance(scope, dict) and "chat_id" in scope:
            # Per-chat scopes are keyed "chat:<id>" (or "chat_member:<chat>:<user>").
            ids = [scope["chat_id"], *([scope["user_id"]] if "user_id" in scope else [])]
            scope_type = ":".join([str(scope_type), *(str(i) for i in ids)])
        return str(scope_type), str(params.get("language_code") or "")

    async def _send_message(self, params: Json) -> Json:
        chat = self._writable_chat(params)
        raw = params.get("text")
        if raw is None or str(raw) == "":
            raise ApiError(400, "Bad Request: message text is empty")
        parse_mode = _str(params, "parse_mode")
        text, entities = self._format(str(raw), parse_mode, MAX_TEXT_LENGTH, "message")
        markup = self._markup(params)
        message = self._new_bot_message(chat, text, str(raw), parse_mode, entities, markup)
        self._record("sent", chat.id, message.message_id, text, markup)
        return self._message_json(message)

    async def _send_document(self, params: Json) -> Json:
        chat = self._writable_chat(params)
        upload = params.get("document")
        if isinstance(upload, UploadedFile):
            if not upload.data:
                raise ApiError(400, "Bad Request: file must be non-empty")
            file_name, data, mime = upload.file_name, upload.data, upload.mime_type
        elif isinstance(upload, str) and upload in self._files:
            known = self._files[upload]
            file_name, data, mime = known.file_name, known.data, known.mime_type
        elif upload is None or upload == "":
            raise ApiError(400, "Bad Request: there is no document in the request")
        else:
            raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
        raw_caption = _str(params, "caption") or ""
        parse_mode = _str(params, "parse_mode")
        caption, entities = self._format(raw_caption, parse_mode, MAX_CAPTION_LENGTH, "caption")
        markup = self._markup(params)
        message = self._new_bot_message(chat, caption, raw_caption, parse_mode, entities, markup)
        file_id = f"BQACAgFake{chat.id}_{message.message_id}"
        message.document = SentDocument(
            chat.id, message.message_id, file_name, data, caption or None, mime, file_id
        )
        self._files[file_id] = message.document
        self._record("document", chat.id, message.message_id, caption, markup)
        return self._message_json(message)

    def _photo_upload(self, upload: Any, what: str) -> tuple[bytes, int, int, str]:
        """A photo by upload (checked as Telegram does) or by the file_id of an earlier one."""
        if isinstance(upload, str) and upload in self._photos:
            known = self._photos[upload]
            return known.data, known.width, known.height, known.file_name
        if not isinstance(upload, UploadedFile):
            if upload is None or upload == "":
                raise ApiError(400, f"Bad Request: there is no {what} in the request")
            raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
        if not upload.data:
            raise ApiError(400, "Bad Request: file must be non-empty")
        if len(upload.data) > MAX_PHOTO_BYTES:
            raise ApiError(400, "Bad Request: PHOTO_SAVE_FILE_INVALID")
        size = image_size(upload.data)
        if size is None:
            raise ApiError(400, "Bad Request: IMAGE_PROCESS_FAILED")
        width, height = size
        if (
            width < 1
            or height < 1
            or width + height > MAX_PHOTO_SIDES
            or max(width, height) > MAX_PHOTO_RATIO * min(width, height)
        ):
            raise ApiError(400, "Bad Request: PHOTO_INVALID_DIMENSIONS")
        return upload.data, width, height, upload.file_name

    def _keep_photo(
        self, message: SentMessage, data: bytes, size: tuple[int, int], name: str
    ) -> None:
        self._photo_seq += 1
        file_id = f"AgACAgFakePhoto{message.chat_id}_{message.message_id}_{self._photo_seq}"
        message.photo = SentPhoto(
            message.chat_id, message.message_id, data, size[0], size[1], file_id, name
        )
        self._photos[file_id] = message.photo

    async def _send_photo(self, params: Json) -> Json:
        chat = self._writable_chat(params)
        data, width, height, name = self._photo_upload(params.get("photo"), "photo")
        raw_caption = _str(params, "caption") or ""
        parse_mode = _str(params, "parse_mode")
        caption, entities = self._format(raw_caption, parse_mode, MAX_CAPTION_LENGTH, "caption")
        markup = self._markup(params)
        message = self._new_bot_message(chat, caption, raw_caption, parse_mode, entities, markup)
        self._keep_photo(message, data, (width, height), name)
        self._record("photo", chat.id, message.message_id, caption, markup)
        return self._message_json(message)

    async def _edit_message_media(self, params: Json) -> Json:
        chat, message = self._editable_message(params)
        media = _json(params, "media")
        if not isinstance(media, dict) or not media.get("media"):
            raise ApiError(400, "Bad Request: can't parse InputMedia: Media is not specified")
        if media.get("type") != "photo":
            # The bot only ever sends photos; other media types are not emulated.
            raise ApiError(400, "Bad Request: wrong type of the media (only photo is emulated)")
        if message.photo is None:
            raise ApiError(400, NO_MEDIA)
        source = str(media["media"])
        upload: Any = source
        if source.startswith("attach://"):
            upload = params.get(source.removeprefix("attach://"))
            if not isinstance(upload, UploadedFile):
                raise ApiError(400, "Bad Request: can't find the attached file")
        data, width, height, name = self._photo_upload(upload, "photo")
        raw_caption = str(media.get("caption") or "")
        parse_mode = media.get("parse_mode")
        caption, entities = self._format(
            raw_caption, str(parse_mode) if parse_mode else None, MAX_CAPTION_LENGTH, "caption"
        )
        markup = self._markup(params)
        message.text, message.html = caption, raw_caption
        message.parse_mode = str(parse_mode) if parse_mode else None
        message.entities, message.reply_markup = entities, markup
        message.edit_date = self._date()
        self._keep_photo(message, data, (width, height), name)
        self._record("edited", chat.id, message.message_id, caption, markup)
        return self._message_json(message)

    async def _edit_message_text(self, params: Json) -> Json:
        chat, message = self._editable_message(params)
        raw = params.get("text")
        if raw is None or str(raw) == "":
            raise ApiError(400, "Bad Request: message text is empty")
        parse_mode = _str(params, "parse_mode")
        text, entities = self._format(str(raw), parse_mode, MAX_TEXT_LENGTH, "message")
        markup = self._markup(params)
        if message.document is not None or message.photo is not None:
            raise ApiError(400, "Bad Request: there is no text in the message to edit")
        if (text, entities, markup) == (message.text, message.entities, message.reply_markup):
            raise ApiError(400, NOT_MODIFIED)
        message.text, message.html, message.parse_mode = text, str(raw), parse_mode
        message.entities, message.reply_markup = entities, markup
        message.edit_date = self._date()
        self._record("edited", chat.id, message.message_id, text, markup)
        return self._message_json(message)

    async def _edit_message_reply_markup(self, params: Json) -> Json:
        chat, message = self._editable_message(params)
        markup = self._markup(params)
        if markup == message.reply_markup:
            raise ApiError(400, NOT_MODIFIED)
        message.reply_markup = markup
        message.edit_date = self._date()
        self._record("edited", chat.id, message.message_id, message.text, markup)
        return self._message_json(message)

    async def _answer_callback_query(self, params: Json) -> bool:
        query_id = _str(params, "callback_query_id") or ""
        query = self._queries.get(query_id)
        if query is None or query.answered:
            raise ApiError(400, QUERY_TOO_OLD)
        text = _str(params, "text") or ""
        if len(text) > MAX_ANSWER_TEXT:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        query.answered = True
        answer = {key: value for key, value in params.items() if key != "callback_query_id"}
        if "show_alert" in answer:
            answer["show_alert"] = _bool(params, "show_alert")
        self.callback_answers[query_id] = answer
        self._record("answered", query.chat_id, query.message_id, text, None)
        return True

    async def _delete_message(self, params: Json) -> bool:
        chat = self._chat_from(params)
        message_id = _int(params, "message_id")
        message = chat.messages.get(message_id) if message_id is not None else None
        if message is None or message.deleted:
            raise ApiError(400, "Bad Request: message to delete not found")
        message.deleted = True
        self._record("deleted", chat.id, message.message_id, message.text, None)
        return True

    async def _send_chat_action(self, params: Json) -> bool:
        chat = self._writable_chat(params)
        action = _str(params, "action") or ""
        if action not in _CHAT_ACTIONS:
            raise ApiError(400, "Bad Request: wrong parameter action in request")
        self.chat_actions.append((chat.id, action))
        return True

    async def _get_chat(self, params: Json) -> Json:
        chat = self._chat_from(params)
        return {**chat.to_json(), "accent_color_id": 0, "max_reaction_count": 11}

    # ------------------------------------------------------------------ helpers

    def _chat(self, chat_id: int) -> _Chat:
        chat = self._chats.get(chat_id)
        if chat is None:
            raise KeyError(f"unknown chat {chat_id}: register it with user() or group()")
        return chat

    def _chat_from(self, params: Json) -> _Chat:
        raw = params.get("chat_id")
        if raw is None or raw == "":
            raise ApiError(400, "Bad Request: chat_id is empty")
        try:
            chat_id = int(raw)
        except (TypeError, ValueError):
            raise ApiError(400, "Bad Request: chat not found") from None
        chat = self._chats.get(chat_id)
        if chat is None:
            raise ApiError(400, "Bad Request: chat not found")
        return chat

    def _writable_chat(self, params: Json) -> _Chat:
        chat = self._chat_from(params)
        person = self._users.get(chat.id)
        if chat.type == "private" and person is not None and person.blocked:
            raise ApiError(403, BLOCKED)
        return chat

    def _editable_message(self, params: Json) -> tuple[_Chat, SentMessage]:
        if params.get("inline_message_id"):
            raise ApiError(400, "Bad Request: MESSAGE_ID_INVALID")
        chat = self._writable_chat(params)
        message_id = _int(params, "message_id")
        message = chat.messages.get(message_id) if message_id is not None else None
        if message is None or message.deleted:
            raise ApiError(400, "Bad Request: message to edit not found")
        if not message.from_bot:
            raise ApiError(400, "Bad Request: message can't be edited")
        return chat, message

    def _format(
        self, raw: str, parse_mode: str | None, limit: int, what: Literal["message", "caption"]
    ) -> tuple[str, list[Json]]:
        try:
            text, entities = format_text(raw, parse_mode)
        except EntityParseError as error:
            raise ApiError(400, f"Bad Request: can't parse entities: {error}") from None
        if what == "message" and not text:
            raise ApiError(400, "Bad Request: message text is empty")
        if len(text) > limit:
            noun = "message" if what == "message" else "message caption"
            raise ApiError(400, f"Bad Request: {noun} is too long")
        return text, entities

    def _markup(self, params: Json) -> Json | None:
        try:
            return decode_reply_markup(params.get("reply_markup"))
        except MarkupError as error:
            raise ApiError(400, str(error)) from None

    def _new_bot_message(
        self,
        chat: _Chat,
        text: str,
        raw: str,
        parse_mode: str | None,
        entities: list[Json],
        markup: Json | None,
    ) -> SentMessage:
        message_id = chat.next_message_id
        chat.next_message_id += 1
        message = SentMessage(
            chat.id,
            message_id,
            text,
            raw,
            parse_mode,
            entities,
            markup,
            from_bot=True,
            date=self._date(),
            sender_id=self.bot_id,
        )
        chat.messages[message_id] = message
        return message

    def _message_json(self, message: SentMessage) -> Json:
        chat = self._chats[message.chat_id]
        sender = self.bot_user if message.from_bot else self._users[message.sender_id].to_json()
        data: Json = {
            "message_id": message.message_id,
            "from": sender,
            "chat": chat.to_json(),
            "date": message.date,
        }
        if message.edit_date is not None:
            data["edit_date"] = message.edit_date
        if message.document is not None:
            document = message.document
            data["document"] = {
                "file_id": document.file_id,
                "file_unique_id": document.file_id[-12:],
                "file_name": document.file_name,
                "mime_type": document.mime_type or "application/octet-stream",
                "file_size": len(document.data),
            }
            if message.text:
                data["caption"] = message.text
                if message.entities:
                    data["caption_entities"] = message.entities
        elif message.photo is not None:
            photo = message.photo
            data["photo"] = [
                {
                    "file_id": photo.file_id,
                    "file_unique_id": photo.file_id[-12:],
                    "width": photo.width,
                    "height": photo.height,
                    "file_size": len(photo.data),
                }
            ]
            if message.text:
                data["caption"] = message.text
                if message.entities:
                    data["caption_entities"] = message.entities
        elif message.from_bot:
            data["text"] = message.text
            if message.entities:
                data["entities"] = message.entities
        else:
            data.update(message.extra)
        markup = message.reply_markup
        if markup is not None and "inline_keyboard" in markup:
            data["reply_markup"] = {"inline_keyboard": markup["inline_keyboard"]}
        return data

    def _queue_update(self, body: Json, update_id: int | None = None) -> int:
        # Telegram never hands out an update without content, or one that is not UTF-8 JSON;
        # queued, it would fail every getUpdates answer and wedge the bot's polling forever.
        if not body:
            raise ApiError(400, "Bad Request: the update is empty")
        _require_utf8(body)
        if update_id is None:
            update_id = self._next_update_id
        self._next_update_id = max(self._next_update_id, update_id + 1)
        self._updates[update_id] = body
        if not self._pending or update_id > self._pending[-1]:
            self._pending.append(update_id)
        elif update_id not in self._pending:
            bisect.insort(self._pending, update_id)
        self._notify()
        return update_id

    def _record(
        self,
        kind: EventKind,
        chat_id: int,
        message_id: int,
        text: str,
        markup: Json | None,
    ) -> None:
        self._history_seq += 1
        event = HistoryEvent(self._history_seq, kind, chat_id, message_id, text, markup)
        if self.keep_history:
            self._history.append(event)
        for listener in list(self._listeners):
            listener(event)

    def _notify(self) -> None:
        # Wake every waiter (long polls, harness waits); each re-checks its own condition.
        self._wakeup.set()
        self._wakeup = asyncio.Event()

    def _date(self) -> int:
        return int(self.now())


# ---------------------------------------------------------------------- parameter decoding
# Form-encoded calls carry every value as text; JSON calls carry native values. Telegram
# accepts both, so each reader takes either.


def _require_utf8(value: Any) -> None:
    """Telegram's answer to a string that is not valid UTF-8 (a lone surrogate)."""
    try:
        json.dumps(value, ensure_ascii=False, default=repr).encode("utf-8")
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
