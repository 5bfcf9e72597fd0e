"""Webhook mode: Telegram POSTs updates to our HTTP server instead of us long-polling.

python-telegram-bot's `run_webhook` builds its tornado application inside the Updater with no
way to add a route, and its documented answer for extra routes is a custom webhook server
(`examples/customwebhookbot`). This is that server, on the same HTTP stack (tornado), with
two routes:

    POST <path of CRAMP_BOT_WEBHOOK_URL>   an update from Telegram -> Application.update_queue
    GET  /healthz                          200 when healthy, 503 otherwise (bot.operator.health)

Every POST must carry the secret in `X-Telegram-Bot-Api-Secret-Token` (403 otherwise); the
secret is given to Telegram with setWebhook and never logged. An update answered with 200 is
Telegram's to forget, so it is queued before the answer; an update Telegram sent that cannot be
read is logged and answered 200 too, because a non-2xx answer makes Telegram send the same
update again and again and hold back every later one behind it.

`drop_pending_updates` stays off (updates that arrived while the bot was down are handled), and
`allowed_updates` is the same list as polling. Stopping leaves the webhook set, so Telegram
keeps new updates until the bot is back; `cramp-bot run` in polling mode deletes it (PTB's
start_polling calls deleteWebhook).
"""

from __future__ import annotations

import hmac
import json
import logging
import re
import secrets
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

import tornado.netutil
import tornado.web
from telegram import Update
from tornado.httpserver import HTTPServer

from bot.logs import event
from bot.operator.health import Health

log = logging.getLogger(__name__)

ALLOWED_UPDATES = Update.ALL_TYPES  # the same list `running()` polls with
HEALTH_PATH = "/healthz"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY = 1024 * 1024  # an update is a few KiB; anything near this is not from Telegram
MAX_CONNECTIONS = 40  # Telegram's default number of parallel deliveries

AnyApp = Any  # telegram.ext.Application[...], kept loose like the other wiring helpers
HealthCheck = Callable[[], Awaitable[Health]]


def new_secret() -> str:
    """A fresh secret_token: Telegram allows 1-256 of A-Z a-z 0-9 _ -."""
    return secrets.token_urlsafe(48)


def url_path(webhook_url: str) -> str:
    """The path Telegram will POST to, as the proxy passes it on: `/` when the URL has none."""
    path = urlsplit(webhook_url).path or "/"
    return path if path == "/" else path.rstrip("/")


class ListenError(Exception):
    """The webhook server cannot listen where CRAMP_BOT_LISTEN says (in use, not allowed)."""


class _UpdateHandler(tornado.web.RequestHandler):
    def initialize(self, bot_application: AnyApp, secret: str) -> None:
        # (tornado's own `application` is the HTTP app, hence the longer name)
        self.bot_application = bot_application
        self.secret = secret

    async def post(self) -> None:
        given = self.request.headers.get(SECRET_HEADER, "")
        # Constant time: the comparison must not tell a prober how much of a guess was right.
        if not hmac.compare_digest(given.encode(), self.secret.encode()):
            event(log, "webhook_refused", level=logging.WARNING, reason="secret", status=403)
            self._reply(HTTPStatus.FORBIDDEN)
            return
        if not self.bot_application.running:
            # Starting or stopping: a 200 now could lose the update with this Application;
            # Telegram sends it again after a 5xx.
            self._reply(HTTPStatus.SERVICE_UNAVAILABLE)
            return
        try:
            data = json.loads(self.request.body)
        except ValueError:
            event(log, "webhook_refused", level=logging.WARNING, reason="not_json", status=400)
            self._reply(HTTPStatus.BAD_REQUEST)
            return
        update = None
        try:
            if isinstance(data, dict) and data:
                update = Update.de_json(data, self.bot_application.bot)
        except Exception as error:
            event(log, "webhook_unreadable", level=logging.ERROR, error=type(error).__name__)
        else:
            if update is None:
                event(log, "webhook_unreadable", level=logging.ERROR, error="not_an_update")
        if update is not None:
            await self.bot_application.update_queue.put(update)
        self._reply(HTTPStatus.OK)

    def _reply(self, status: HTTPStatus) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"ok": status == HTTPStatus.OK}))


class _HealthHandler(tornado.web.RequestHandler):
    def initialize(self, health: HealthCheck) -> None:
        self.health = health

    async def get(self) -> None:
        result = await self.health()
        self.set_status(HTTPStatus.OK if result.ok else HTTPStatus.SERVICE_UNAVAILABLE)
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        self.finish(result.line + "\n")


class _QuietApplication(tornado.web.Application):
    def log_request(self, handler: tornado.web.RequestHandler) -> None:
        # tornado's access log would be one more line shape; refusals are logged as events.
        return


class WebhookServer:
    """The HTTP server that Telegram (through the TLS proxy) delivers updates to."""

    def __init__(
        self,
        application: AnyApp,
        *,
        path: str,
        secret: str,
        health: HealthCheck,
        listen: tuple[str, int],
    ) -> None:
        if path.rstrip("/") == HEALTH_PATH:
            raise ValueError(f"the webhook path cannot be {HEALTH_PATH}")
        routes: list[Any] = [
            (HEALTH_PATH, _HealthHandler, {"health": health}),
            (rf"{re.escape(path.rstrip('/'))}/?", _UpdateHandler,
             {"bot_application": application, "secret": secret}),
        ]  # fmt: skip
        self._server = HTTPServer(_QuietApplication(routes), max_body_size=MAX_BODY)
        self.listen = listen
        self._sockets: list[socket.socket] = []

    @property
    def port(self) -> int:
        return int(self._sockets[0].getsockname()[1])

    def start(self) -> None:
        host, port = self.listen
        try:
            # bind_sockets rather than listen(): port 0 (tests) tells us which port it got.
            self._sockets = tornado.netutil.bind_sockets(port, address=host)
        except OSError as error:
            raise ListenError(
                f"cannot listen on {host}:{port} ({error.strerror or error})"
            ) from error
        self._server.add_sockets(self._sockets)

    async def stop(self) -> None:
        self._server.stop()
        await self._server.close_all_connections()


@asynccontextmanager
async def running_webhook(
    application: AnyApp,
    *,
    webhook_url: str,
    secret: str,
    listen: tuple[str, int],
    health: HealthCheck,
) -> AsyncIterator[WebhookServer]:
    """Start the bot in webhook mode: the server listens, the Application starts the way
    run_webhook starts it (post_init included), then setWebhook. On exit the Application and
    the server stop, and the webhook stays set."""
    server = WebhookServer(
        application, path=url_path(webhook_url), secret=secret, health=health, listen=listen
    )
    # Listening first: a port in use fails at once, before anything is asked of Telegram.
    # Updates Telegram already POSTs (a webhook left set by the last run) wait in the queue.
    server.start()
    try:
        async with _started(application):
            await application.bot.set_webhook(
                url=webhook_url,
                allowed_updates=ALLOWED_UPDATES,
                drop_pending_updates=False,
                max_connections=MAX_CONNECTIONS,
                secret_token=secret,
            )
            event(log, "webhook_set", listen=f"{listen[0]}:{server.port}")
            yield server
    finally:
        await server.stop()


@asynccontextmanager
async def _started(application: AnyApp) -> AsyncIterator[None]:
    """initialize, post_init, start ... stop, post_stop, shutdown: as run_webhook does."""
    await application.initialize()
    try:
        if application.post_init is not None:
            await application.post_init(application)
        await application.start()
        try:
            yield
        finally:
            if application.running:
                await application.stop()
    finally:
        if application.post_stop is not None:
            await application.post_stop(application)
        await application.shutdown()
