"""The emulator served over real HTTP on 127.0.0.1, so the bot's production HTTP client (PTB's
HTTPXRequest) is what the end-to-end tests exercise.

Stdlib asyncio streams only: HTTP/1.1 with keep-alive, one task per connection (so a long-polling
getUpdates never holds up other calls), request bodies as JSON, form fields or multipart with
files. Point python-telegram-bot at it with `base_url=server.base_url` (PTB appends the token).
"""

from __future__ import annotations

import asyncio
import json
import re
from http import HTTPStatus
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from bot.fakeapi.emulator import BotApiEmulator
from bot.fakeapi.records import Json, UploadedFile

_PATH = re.compile(r"^/bot(?P<token>[^/]+)/(?P<method>[A-Za-z0-9_]+)/?$")
_PARAM = re.compile(
    r';\s*(?P<key>[A-Za-z0-9_*-]+)=(?:"(?P<quoted>(?:[^"\\]|\\.)*)"|(?P<bare>[^";\s]+))'
)
_MAX_HEAD = 64 * 1024


class _BadRequest(Exception):
    """The request cannot be parsed as HTTP: answer 400 and close."""


class FakeBotApiServer:
    """`async with FakeBotApiServer(emulator) as server:` -> bot base_url `server.base_url`."""

    def __init__(self, emulator: BotApiEmulator, host: str = "127.0.0.1", port: int = 0) -> None:
        self.emulator = emulator
        self.host = host
        self._port = port
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the fake Bot API server is not started")
        return int(self._server.sockets[0].getsockname()[1])

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/bot"

    async def start(self) -> None:
        self._server = await asyncio.start_server(
            self._serve, self.host, self._port, backlog=1024, limit=_MAX_HEAD
        )

    async def stop(self) -> None:
        if self._server is None:
            return
        self._server.close()
        for writer in list(self._writers):
            writer.close()
        for task in list(self._connections):
            task.cancel()
        await asyncio.gather(*self._connections, return_exceptions=True)
        await self._server.wait_closed()
        self._server = None

    async def __aenter__(self) -> FakeBotApiServer:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    # ------------------------------------------------------------------ one connection

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        self._writers.add(writer)
        try:
            while await self._one_request(reader, writer):
                pass
        except (ConnectionError, asyncio.IncompleteReadError):
            pass  # the client went away; nothing to answer
        except asyncio.CancelledError:
            # stop() cancels connections parked in a long poll. Ending normally matters on
            # Python 3.11, whose stream protocol calls task.exception() on a cancelled
            # connection task and logs the CancelledError it raises.
            pass
        finally:
            self._connections.discard(task)
            self._writers.discard(writer)
            writer.close()

    async def _one_request(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> bool:
        """Reads and answers one request; False when the connection should close."""
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError:
            return False
        except asyncio.LimitOverrunError:
            await _respond(writer, 431, {"ok": False, "error_code": 431, "description": "Too big"})
            return False
        try:
            verb, target, headers = _parse_head(head)
            body = await _read_body(reader, headers)
            path, params = _parse_target(target)
            params.update(_parse_body(body, headers.get("content-type", "")))
        except _BadRequest as error:
            bad = {"ok": False, "error_code": 400, "description": f"Bad Request: {error}"}
            await _respond(writer, 400, bad, keep_alive=False)
            return False
        keep_alive = headers.get("connection", "").lower() != "close"
        match = _PATH.match(path)
        if match is None or verb not in ("GET", "POST"):
            await _respond(
                writer, 404, {"ok": False, "error_code": 404, "description": "Not Found"}
            )
            return keep_alive
        method = match["method"]
        drop = self.emulator.take_network_error(method)
        if drop == "before":
            writer.transport.abort()
            return False
        status, answer = await self.emulator.call(method, params, token=unquote(match["token"]))
        if drop == "after":
            writer.transport.abort()
            return False
        await _respond(writer, status, answer, keep_alive=keep_alive)
        return keep_alive


_NOT_UTF8 = "Bad Request: strings must be encoded in UTF-8"


async def _respond(
    writer: asyncio.StreamWriter, status: int, body: Json, *, keep_alive: bool = True
) -> None:
    try:
        payload = json.dumps(body, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        # Never a dead connection the client retries forever: Telegram's error instead.
        status = 400
        body = {"ok": False, "error_code": 400, "description": _NOT_UTF8}
        payload = json.dumps(body).encode("utf-8")
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Unknown"
    head = (
        f"HTTP/1.1 {status} {phrase}\r\n"
        "Server: cramp-bot-fake-bot-api\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(payload)}\r\n"
        f"Connection: {'keep-alive' if keep_alive else 'close'}\r\n\r\n"
    )
    writer.write(head.encode("ascii") + payload)
    await writer.drain()


def _parse_head(head: bytes) -> tuple[str, str, dict[str, str]]:
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
        raise _BadRequest("malformed request line")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if not line:
            continue
        name, sep, value = line.partition(":")
        if not sep:
            raise _BadRequest("malformed header")
        headers[name.strip().lower()] = value.strip()
    return parts[0].upper(), parts[1], headers


async def _read_body(reader: asyncio.StreamReader, headers: dict[str, str]) -> bytes:
    if headers.get("transfer-encoding", "").lower() == "chunked":
        chunks = bytearray()
        while True:
            size_line = await reader.readuntil(b"\r\n")
            try:
                size = int(size_line.split(b";")[0].strip(), 16)
            except ValueError as error:
                raise _BadRequest("malformed chunk") from error
            if size == 0:
                # trailers end with an empty line
                while (await reader.readuntil(b"\r\n")) != b"\r\n":
                    pass
                return bytes(chunks)
            chunks += await reader.readexactly(size)
            await reader.readexactly(2)
    try:
        length = int(headers.get("content-length", "0"))
    except ValueError as error:
        raise _BadRequest("malformed Content-Length") from error
    return await reader.readexactly(length) if length > 0 else b""


def _parse_target(target: str) -> tuple[str, dict[str, Any]]:
    parts = urlsplit(target)
    return parts.path, dict(parse_qsl(parts.query, keep_blank_values=True))


def _parse_body(body: bytes, content_type: str) -> dict[str, Any]:
    if not body:
        return {}
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type == "application/json":
        try:
            data = json.loads(body)
        except ValueError as error:
            raise _BadRequest("the JSON body is not valid") from error
        if not isinstance(data, dict):
            raise _BadRequest("the JSON body must be an object")
        return data
    if media_type == "multipart/form-data":
        return _parse_multipart(body, content_type)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise _BadRequest("the form body is not UTF-8") from error
    return dict(parse_qsl(text, keep_blank_values=True))


def _header_params(value: str) -> dict[str, str]:
    """`; key=value` and `; key="value"` parameters of a header such as Content-Disposition."""
    params: dict[str, str] = {}
    for match in _PARAM.finditer(value):
        quoted, bare = match["quoted"], match["bare"]
        raw = quoted if quoted is not None else bare
        # httpx percent-escapes quotes in names and file names (HTML5 form style).
        params[match["key"].lower()] = raw.replace('\\"', '"').replace("%22", '"')
    return params


def _parse_multipart(body: bytes, content_type: str) -> dict[str, Any]:
    boundary = _header_params(content_type).get("boundary")
    if not boundary:
        raise _BadRequest("multipart body without a boundary")
    delimiter = b"--" + boundary.encode("latin-1")
    fields: dict[str, Any] = {}
    for part in body.split(delimiter)[1:]:
        if part.startswith(b"--"):
            break
        part = part.removeprefix(b"\r\n").removesuffix(b"\r\n")
        raw_headers, sep, content = part.partition(b"\r\n\r\n")
        if not sep:
            raise _BadRequest("malformed multipart part")
        part_headers: dict[str, str] = {}
        for line in raw_headers.decode("utf-8", "replace").split("\r\n"):
            header, _, value = line.partition(":")
            part_headers[header.strip().lower()] = value.strip()
        disposition = _header_params(part_headers.get("content-disposition", ""))
        name = disposition.get("name")
        if name is None:
            raise _BadRequest("multipart part without a name")
        if "filename" in disposition:
            fields[name] = UploadedFile(
                disposition["filename"], content, part_headers.get("content-type")
            )
        else:
            fields[name] = content.decode("utf-8")
    return fields
