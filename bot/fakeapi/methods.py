"""The Bot API methods the bot calls (getUpdates, sendMessage, editMessageText, ...) and
`call`, which dispatches a request to them and answers with Telegram's errors and faults.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import re
from typing import Any

from bot.fakeapi.markup import (
    MAX_CAPTION_LENGTH,
    MAX_TEXT_LENGTH,
)
from bot.fakeapi.records import (
    _CHAT_ACTIONS,
    _NOT_BY_DEFAULT,
    CONFLICT,
    MAX_ANSWER_TEXT,
    MAX_PHOTO_BYTES,
    MAX_PHOTO_RATIO,
    MAX_PHOTO_SIDES,
    NO_MEDIA,
    NOT_MODIFIED,
    QUERY_TOO_OLD,
    ApiError,
    Json,
    Method,
    SentDocument,
    SentMessage,
    SentPhoto,
    UploadedFile,
    Webhook,
    _bool,
    _float,
    _int,
    _json,
    _require_utf8,
    _str,
    image_size,
)
from bot.fakeapi.state import EmulatorState


class BotApiMethods(EmulatorState):
    def _method_table(self) -> dict[str, tuple[str, Method]]:
        return {
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
