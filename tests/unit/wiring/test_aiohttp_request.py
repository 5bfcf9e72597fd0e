"""The transport under every Bot API call (bot/wiring/http_client.py), against real sockets
on 127.0.0.1: what each kind of failure becomes, and whether a lost call may have been
carried out (the morning check-in relies on that to never send one twice).

Everything that works end to end (answers, edits, photo uploads through the fake Bot API) is
covered by the conversation tests, which run on this transport; here are the failures.
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import NetworkError, TelegramError, TimedOut
from telegram.request import RequestData
from telegram.request._requestparameter import RequestParameter

from bot.wiring.http_client import AiohttpRequest, may_have_arrived

Reply = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
OK = json.dumps({"ok": True, "result": True}).encode()


async def read_request(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    return head + await reader.readexactly(length)


async def answer(writer: asyncio.StreamWriter, status: int, body: bytes) -> None:
    writer.write(
        f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body
    )
    await writer.drain()


@asynccontextmanager
async def server(reply: Reply) -> AsyncIterator[str]:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await reply(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    listening = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = listening.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}/botTOKEN/sendMessage"
    finally:
        listening.close()
        await listening.wait_closed()


@asynccontextmanager
async def transport(**kwargs: object) -> AsyncIterator[AiohttpRequest]:
    request = AiohttpRequest(**kwargs)  # type: ignore[arg-type]
    await request.initialize()
    try:
        yield request
    finally:
        await request.shutdown()


def message(text: str) -> RequestData:
    return RequestData(
        [RequestParameter.from_input("chat_id", 7), RequestParameter.from_input("text", text)]
    )


async def failure(call: Awaitable[object]) -> TelegramError:
    with pytest.raises(TelegramError) as caught:
        await call
    return caught.value


async def test_parameters_arrive_form_encoded_and_the_answer_comes_back() -> None:
    seen: list[bytes] = []

    async def reply(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        seen.append(await read_request(reader))
        await answer(writer, 200, OK)

    async with server(reply) as url, transport() as request:
        assert await request.post(url, message("Any cramps last night? ½")) is True
    head, body = seen[0].split(b"\r\n\r\n", 1)
    assert b"application/x-www-form-urlencoded" in head
    assert b"python-telegram-bot" in head  # PTB's user agent, as with its own client
    assert body == b"chat_id=7&text=Any+cramps+last+night%3F+%C2%BD"


async def test_a_keyboard_travels_as_json_inside_the_form() -> None:
    seen: list[bytes] = []

    me = {"id": 1, "is_bot": True, "first_name": "cramp-bot", "username": "cramp_bot"}
    sent = {"message_id": 5, "date": 0, "chat": {"id": 7, "type": "private"}, "text": "Hi"}

    async def reply(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:  # getMe (Bot.initialize), then sendMessage, on one connection
            request = await read_request(reader)
            seen.append(request)
            result = me if b"/getMe" in request else sent
            await answer(writer, 200, json.dumps({"ok": True, "result": result}).encode())

    async with server(reply) as url, transport() as request:
        base = url.rsplit("/", 1)[0].rsplit("/bot", 1)[0] + "/bot"
        async with Bot("TOKEN", base_url=base, request=request) as bot:
            keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("No", callback_data="q1:x")]])
            sent = await bot.send_message(7, "Hi", reply_markup=keyboard)
    assert sent.message_id == 5
    body = seen[-1].split(b"\r\n\r\n", 1)[1].decode()
    assert "reply_markup=%7B%22inline_keyboard%22" in body


async def test_a_refused_connection_is_a_network_error_that_never_arrived() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    async with transport() as request:
        error = await failure(request.post(f"http://127.0.0.1:{port}/botT/sendMessage"))
    assert isinstance(error, NetworkError)
    assert not may_have_arrived(error)


async def test_a_connection_closed_after_the_request_may_have_arrived() -> None:
    async def reply(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.transport.abort()  # Telegram read it; its answer is lost

    async with server(reply) as url, transport() as request:
        error = await failure(request.post(url, message("hello")))
    assert isinstance(error, NetworkError)
    assert may_have_arrived(error)


async def test_no_answer_in_time_is_timed_out_and_may_have_arrived() -> None:
    async def reply(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        await asyncio.sleep(5)

    async with server(reply) as url, transport() as request:
        error = await failure(request.post(url, message("hello"), read_timeout=0.2))
    assert isinstance(error, TimedOut)
    assert may_have_arrived(error)


async def test_no_free_connection_in_time_is_timed_out_and_never_left() -> None:
    release = asyncio.Event()

    async def reply(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        await release.wait()
        await answer(writer, 200, OK)

    async with server(reply) as url, transport(pool_size=1) as request:
        first = asyncio.create_task(request.post(url, message("one")))
        await asyncio.sleep(0.1)  # the only connection is now busy
        error = await failure(
            request.post(url, message("two"), pool_timeout=0.1, connect_timeout=0.1)
        )
        release.set()
        assert await first is True
    assert isinstance(error, TimedOut)
    assert not may_have_arrived(error)


async def test_an_error_answer_from_telegram_was_not_carried_out() -> None:
    async def reply(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        body = {"ok": False, "error_code": 502, "description": "Bad Gateway"}
        await answer(writer, 502, json.dumps(body).encode())

    async with server(reply) as url, transport() as request:
        error = await failure(request.post(url, message("hello")))
    assert isinstance(error, NetworkError)
    assert "Bad Gateway" in error.message
    assert not may_have_arrived(error)


async def test_the_pause_is_asked_before_every_request() -> None:
    asked: list[int] = []

    def pause() -> float:
        asked.append(1)
        return 0.01 if len(asked) == 1 else 0.0

    async def reply(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:  # one keep-alive connection carries both requests
            await read_request(reader)
            await answer(writer, 200, OK)

    async with server(reply) as url, transport(pause=pause) as request:
        assert await request.post(url, message("one")) is True
        assert await request.post(url, message("two")) is True
    assert len(asked) == 2


async def test_a_request_after_shutdown_is_refused_and_initialize_reopens() -> None:
    async def reply(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        await answer(writer, 200, OK)

    async with server(reply) as url:
        request = AiohttpRequest()
        await request.initialize()
        await request.shutdown()
        with pytest.raises(RuntimeError, match="not initialized"):
            await request.do_request(url, "POST")
        await request.initialize()  # PTB re-initialises a bot that was shut down
        try:
            assert await request.post(url, message("again")) is True
        finally:
            await request.shutdown()


def only_proxy(monkeypatch: pytest.MonkeyPatch, proxy: str) -> None:
    """HTTP_PROXY set and nothing exempted, whatever the machine's own environment says (the
    lower-case names win over the upper-case ones in urllib)."""
    for name in ("http_proxy", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", proxy)


async def test_calls_go_through_the_proxy_named_in_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    lines: list[bytes] = []

    async def proxy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            lines.append((await read_request(reader)).split(b"\r\n", 1)[0])
            await answer(writer, 200, OK)

    async with server(proxy) as proxy_url:
        only_proxy(monkeypatch, proxy_url.split("/bot")[0])
        async with transport() as request:
            url = "http://api.telegram.invalid/botTOKEN/sendMessage"
            assert await request.post(url, message("via the proxy")) is True
            monkeypatch.setenv("NO_PROXY", "api.telegram.invalid")
            assert await request.post(url, message("the host is looked up once")) is True
    assert lines == [b"POST http://api.telegram.invalid/botTOKEN/sendMessage HTTP/1.1"] * 2


async def test_a_local_bot_api_is_never_reached_through_a_proxy(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    only_proxy(monkeypatch, "http://127.0.0.1:9")  # nothing listens there; no NO_PROXY

    async def reply(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        await answer(writer, 200, OK)

    async with server(reply) as url, transport() as request:
        assert await request.post(url, message("direct")) is True
