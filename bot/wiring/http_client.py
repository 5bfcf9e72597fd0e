"""The HTTP client that carries every Bot API call: python-telegram-bot's request interface
over aiohttp instead of the default httpx.

Under load the bot spends most of its CPU making HTTP requests (two per button press, plus
the long poll). httpx routes each request through anyio and httpcore's connection pool, which
costs several times what aiohttp's C-accelerated client does for the same small POST to one
host; docs/benchmarks.md §5 has the profiles. PTB keeps everything above the transport (JSON
parsing, Telegram's error answers, RetryAfter, the rate limiter) in BaseRequest, so only the
transport lives here, and the errors are mapped to PTB's: a timeout is TimedOut, any other
failure of the connection is NetworkError, exactly as HTTPXRequest reports them.
"""

from __future__ import annotations

import asyncio
import ssl
import urllib.request
from collections.abc import Callable
from urllib.parse import urlsplit

import aiohttp
import certifi
from telegram.error import NetworkError, TelegramError, TimedOut
from telegram.request import BaseRequest, RequestData

# PTB's own defaults for HTTPXRequest, so switching the transport changes no behaviour.
READ_TIMEOUT = 5.0
WRITE_TIMEOUT = 5.0
CONNECT_TIMEOUT = 5.0
POOL_TIMEOUT = 1.0
MEDIA_WRITE_TIMEOUT = 20.0
POOL_SIZE = 256  # what ApplicationBuilder gives the request that carries all but getUpdates
LOOPBACK = ("", "localhost", "127.0.0.1", "::1")  # never through a proxy (a local Bot API)
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


# The request never reached Telegram: no connection could be made, none was free in time, or
# the address is not one aiohttp can reach. Any other failure may come after Telegram read it.
_NEVER_LEFT = (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError, aiohttp.InvalidURL)


def may_have_arrived(error: TelegramError) -> bool:
    """Whether Telegram may have carried out a call that raised `error`: True when the request
    went out and its answer was lost (a read timeout, the connection closed while waiting). An
    HTTP error answer (5xx) comes from Telegram itself and means it was not carried out."""
    if not isinstance(error, NetworkError):
        return False
    cause = error.__cause__
    if not isinstance(cause, aiohttp.ClientError | TimeoutError):
        return False  # an answer came back (Bad Gateway and the like)
    return not isinstance(cause, _NEVER_LEFT)


def _seconds(value: object, default: float | None) -> float | None:
    if isinstance(value, int | float):
        return float(value)
    if value is None:
        return None
    return default  # BaseRequest.DEFAULT_NONE: the caller did not say


class AiohttpRequest(BaseRequest):
    """One aiohttp session with a keep-alive pool of `pool_size` connections.

    `pause`, when given, is asked before each request how long to wait first (seconds); the
    long poll uses it to gather updates under load (bot/wiring/app.py).
    """

    __slots__ = ("_pause", "_pool_size", "_proxies", "_read_timeout", "_session")

    def __init__(
        self,
        *,
        pool_size: int = POOL_SIZE,
        read_timeout: float = READ_TIMEOUT,
        pause: Callable[[], float] | None = None,
    ) -> None:
        self._pool_size = pool_size
        self._read_timeout = read_timeout
        self._pause = pause
        self._session: aiohttp.ClientSession | None = None
        self._proxies: dict[str, str | None] = {}

    @property
    def read_timeout(self) -> float:
        # Bot.get_updates adds the long-poll timeout to this.
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            # The session binds to the running loop, so it is made here and not in __init__.
            # certifi's roots, as httpx uses them: a host without a system CA store keeps
            # working after the switch.
            tls = ssl.create_default_context(cafile=certifi.where())
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool_size, ssl=tls),
                timeout=aiohttp.ClientTimeout(total=None),
                headers={"User-Agent": self.USER_AGENT},
            )
            self._proxies.clear()

    def _proxy(self, url: str) -> str | None:
        """HTTPS_PROXY / HTTP_PROXY / NO_PROXY, as httpx honours them. aiohttp's trust_env
        reads the environment again on every request (about 1 ms each, as much as the rest of
        the request), so the answer is looked up once per host and kept."""
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in self._proxies:
            host = parts.hostname or ""
            proxy = urllib.request.getproxies().get(parts.scheme)
            bypass = host in LOOPBACK or urllib.request.proxy_bypass(host)
            self._proxies[origin] = None if bypass else proxy
        return self._proxies[origin]

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: object = BaseRequest.DEFAULT_NONE,
        write_timeout: object = BaseRequest.DEFAULT_NONE,
        connect_timeout: object = BaseRequest.DEFAULT_NONE,
        pool_timeout: object = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        session = self._session
        if session is None or session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        if self._pause is not None and (seconds := self._pause()) > 0:
            await asyncio.sleep(seconds)
        files = request_data is not None and request_data.contains_files
        read = _seconds(read_timeout, self._read_timeout)
        write = _seconds(write_timeout, MEDIA_WRITE_TIMEOUT if files else WRITE_TIMEOUT)
        connect = _seconds(connect_timeout, CONNECT_TIMEOUT)
        pool = _seconds(pool_timeout, POOL_TIMEOUT)
        # aiohttp has no write timeout; a whole-request limit of write + read (+ connecting)
        # keeps a stalled upload from hanging a handler for ever, as httpx's would not.
        parts = (read, write, connect, pool)
        total = None if None in parts else sum(p for p in parts if p is not None)
        timeout = aiohttp.ClientTimeout(
            total=total,
            connect=None if pool is None or connect is None else pool + connect,
            sock_connect=connect,
            sock_read=read,
        )
        data: aiohttp.FormData | str | None = None
        headers: dict[str, str] | None = None
        if request_data is not None:
            if files:
                form = aiohttp.FormData(request_data.json_parameters)
                for name, upload in request_data.multipart_data.items():
                    form.add_field(name, upload[1], filename=upload[0])
                data = form
            elif request_data.parameters:
                data = request_data.url_encoded_parameters()
                headers = FORM
        try:
            async with session.request(
                method, url, data=data, headers=headers, timeout=timeout, proxy=self._proxy(url)
            ) as response:
                return response.status, await response.read()
        except TimeoutError as error:
            if isinstance(error, aiohttp.ConnectionTimeoutError):
                raise TimedOut(
                    "Pool timeout: all connections are busy or the connection could not be "
                    "made in time; the request was not sent."
                ) from error
            raise TimedOut from error
        except aiohttp.ClientError as error:
            raise NetworkError(f"aiohttp.{type(error).__name__}: {error}") from error
