"""Shared fixtures: the real Application, built by the production factory, long-polling a fake
Bot API over real HTTP on 127.0.0.1, with a real SQLite file in a temp dir."""

from __future__ import annotations

import os
import socket
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.clock import MovableClock
from bot.config import Settings
from bot.content.model import Content
from bot.fakeapi.emulator import BotApiEmulator
from bot.fakeapi.http import FakeBotApiServer
from bot.storage import Storage
from bot.wiring.app import build_application, running
from bot.wiring.deps import Deps
from tests.harness import START, World, real_content

# As in production (bot.cli.main): durations from python-telegram-bot come as timedelta.
os.environ.setdefault("PTB_TIMEDELTA", "1")


@pytest.fixture(autouse=True)
def no_internet(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every test stays on this machine: connecting anywhere but loopback fails loudly."""
    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address: Any) -> Any:
        host = address[0] if isinstance(address, tuple) else address
        if (
            isinstance(host, str)
            and host not in ("127.0.0.1", "localhost", "::1")
            and not (host.startswith("127.") or host.startswith("/"))
        ):
            raise AssertionError(f"test tried to reach {host}: tests never use the network")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)
    yield


@pytest.fixture(scope="session")
def content() -> Content:
    return real_content()


WorldFactory = Callable[..., Any]


@pytest.fixture
async def world(tmp_path: Path, content: Content) -> AsyncIterator[World]:
    emulator = BotApiEmulator()
    clock = MovableClock(START, frozen=True)
    storage = await Storage.open(tmp_path / "cramp.db")
    async with FakeBotApiServer(emulator) as server:
        settings = Settings(
            token=emulator.token, db_path=tmp_path / "cramp.db", api_base_url=server.base_url
        )
        deps = Deps(settings=settings, content=content, storage=storage, clock=clock)
        app = build_application(deps)
        errors: list[BaseException] = []

        async def collect(update: object, context: Any) -> None:
            errors.append(context.error)

        app.add_error_handler(collect)
        async with running(app, poll_timeout=1):
            yield World(emulator, server, storage, clock, deps, app, errors)
    await storage.close()
