"""Webhook delivery for the fake Bot API: what Telegram does once a bot called setWebhook.

    async with WebhookDeliverer(emulator):
        ...  # people send messages as usual; the bot gets them by POST instead of getUpdates

While `emulator.webhook` is set, the oldest pending update is POSTed as JSON to its URL with the
`X-Telegram-Bot-Api-Secret-Token` header the bot gave, one at a time and in order. A 2xx answer
confirms it (it counts as fetched for the conversation harness); anything else, or no answer,
is recorded in `failures` and the same update is sent again shortly, holding back the rest, as
Telegram does. Tests that want to post by hand (a missing or wrong secret) use plain httpx.
"""

from __future__ import annotations

import asyncio
import contextlib
from types import TracebackType

import httpx

from bot.fakeapi.emulator import BotApiEmulator

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
RETRY_SECONDS = 0.2


class WebhookDeliverer:
    def __init__(self, emulator: BotApiEmulator) -> None:
        self.emulator = emulator
        self.delivered: list[int] = []
        self.failures: list[tuple[int, str]] = []  # (update_id, status code or error kind)
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> WebhookDeliverer:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="fake webhook")
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        emulator = self.emulator
        async with httpx.AsyncClient(timeout=10.0) as client:
            while True:
                hook = emulator.webhook
                update = emulator.next_webhook_update() if hook is not None else None
                if hook is None or update is None:
                    await emulator.changed(1.0)
                    continue
                headers = {SECRET_HEADER: hook.secret_token} if hook.secret_token else {}
                update_id = int(update["update_id"])
                try:
                    response = await client.post(hook.url, json=update, headers=headers)
                except httpx.HTTPError as error:
                    outcome = type(error).__name__
                else:
                    if 200 <= response.status_code < 300:
                        self.delivered.append(update_id)
                        emulator.webhook_delivered(update_id)
                        continue
                    outcome = str(response.status_code)
                self.failures.append((update_id, outcome))
                await asyncio.sleep(RETRY_SECONDS)
