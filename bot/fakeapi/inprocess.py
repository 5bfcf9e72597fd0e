"""python-telegram-bot talking to the emulator without sockets, for `cramp-bot try`.

The bot is built by the same factory as production; only its request object differs. Parameters
go through `RequestData.json_parameters`, the same form-field encoding PTB's HTTPXRequest sends,
so the emulator decodes exactly what it would decode over HTTP.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote, urlsplit

from telegram.error import NetworkError
from telegram.request import BaseRequest, RequestData

from bot.fakeapi.emulator import BotApiEmulator
from bot.fakeapi.records import UploadedFile


class InProcessRequest(BaseRequest):
    """A BaseRequest whose "network" is a BotApiEmulator on the same event loop."""

    def __init__(self, emulator: BotApiEmulator, *, read_timeout: float = 5.0) -> None:
        self.emulator = emulator
        self._read_timeout = read_timeout

    @property
    def read_timeout(self) -> float:
        return self._read_timeout

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        segments = urlsplit(url).path.split("/")
        api_method = segments[-1]
        token = unquote(segments[-2].removeprefix("bot")) if len(segments) >= 2 else ""
        params: dict[str, Any] = {}
        if request_data is not None:
            params.update(request_data.json_parameters)
            for name, (file_name, content, mime_type) in request_data.multipart_data.items():
                data = content if isinstance(content, bytes) else content.read()
                params[name] = UploadedFile(file_name, data, mime_type)
        drop = self.emulator.take_network_error(api_method)
        if drop == "before":
            raise NetworkError("fake Bot API: connection dropped before the call took effect")
        status, body = await self.emulator.call(api_method, params, token=token)
        if drop == "after":
            raise NetworkError("fake Bot API: connection dropped after the call took effect")
        return status, json.dumps(body).encode("utf-8")
