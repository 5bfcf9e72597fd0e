"""The emulator's state and the helpers every Bot API method shares: chats, recorded
messages, the update queue, formatting as Telegram does it.
"""

from __future__ import annotations

import asyncio
import bisect
import random
import time
from collections import deque
from collections.abc import Callable
from typing import Literal

from bot.fakeapi.markup import (
    EntityParseError,
    MarkupError,
    decode_reply_markup,
    format_text,
)
from bot.fakeapi.records import (
    BLOCKED,
    DEFAULT_TOKEN,
    ApiError,
    EventKind,
    HistoryEvent,
    Json,
    Method,
    NetworkErrorMode,
    SentDocument,
    SentMessage,
    SentPhoto,
    Stats,
    Webhook,
    _Chat,
    _Fault,
    _int,
    _Query,
    _require_utf8,
    _User,
)


class EmulatorState:
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
        self._methods = self._method_table()

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

    def _method_table(self) -> dict[str, tuple[str, Method]]:
        """Bot API method name (lower case) -> (its proper name, its handler)."""
        return {}
