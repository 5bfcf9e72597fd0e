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

The other side lives in this module: people, groups, blocks, injected faults and what was
recorded. The state is in state.py, the Bot API methods in methods.py, the records in records.py.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Callable
from typing import Any

from bot.fakeapi.methods import BotApiMethods
from bot.fakeapi.records import (
    HarnessTimeout,
    HistoryEvent,
    Json,
    NetworkErrorMode,
    SentDocument,
    SentMessage,
    SentPhoto,
    _Chat,
    _Fault,
    _Query,
    _User,
    _utf16_len,
)


class BotApiEmulator(BotApiMethods):
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
