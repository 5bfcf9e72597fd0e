"""Settings from the environment, with an optional .env file for local runs.

Every problem is reported as one plain line (ConfigError) so the CLI can exit with code 2
instead of a traceback.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

DEFAULT_DB = "./cramp-bot.db"
DEFAULT_SEND_RATE = 25.0
# Days after which a person who blocked the bot and never came back is removed.
DEFAULT_RETENTION_DAYS = 365
DEFAULT_LISTEN = ("127.0.0.1", 8443)

# Telegram tokens look like "123456789:AA...": a numeric bot id, a colon, a 35-ish char secret.
_TOKEN_RE = re.compile(r"^\d{3,}:[A-Za-z0-9_-]{30,}$")

TOKEN_HELP = (
    "Get a token from @BotFather in Telegram (send /newbot), then set it: "
    "export TELEGRAM_BOT_TOKEN=123456789:AA... (or put it in a .env file)."
)


class ConfigError(Exception):
    """A setting is missing or unusable; the message is one line meant for a person."""


@dataclass(frozen=True)
class Settings:
    token: str
    db_path: Path
    api_base_url: str | None = None
    send_rate: float = DEFAULT_SEND_RATE
    content_dir: Path | None = None
    retention_days: int = DEFAULT_RETENTION_DAYS
    log_level: int = logging.INFO
    admins: frozenset[int] = frozenset()
    webhook_url: str | None = None  # set: updates come by webhook instead of long polling
    listen: tuple[str, int] = DEFAULT_LISTEN
    webhook_secret: str | None = None  # None: a fresh one is made at every start

    def __repr__(self) -> str:
        # The token and the webhook secret must never reach a log line, not even through a
        # repr in a traceback.
        return (
            f"Settings(token='***', db_path={str(self.db_path)!r}, "
            f"api_base_url={self.api_base_url!r}, send_rate={self.send_rate!r}, "
            f"admins={sorted(self.admins)!r}, webhook_url={self.webhook_url!r}, "
            f"listen={self.listen!r}, webhook_secret={'***' if self.webhook_secret else None})"
        )


def read_dotenv(path: Path) -> dict[str, str]:
    """Parse a minimal KEY=VALUE .env file; comments and blank lines are ignored."""
    values: dict[str, str] = {}
    try:
        text = path.read_text(encoding="utf-8")
    except (FileNotFoundError, IsADirectoryError, PermissionError):
        return values
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        key = key.strip().removeprefix("export ").strip()
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        values[key] = value
    return values


def merged_environment(
    environ: Mapping[str, str] | None = None, dotenv: Path | None = None
) -> dict[str, str]:
    """The real environment wins over .env, so a deploy can always override a stray file."""
    env = dict(read_dotenv(dotenv if dotenv is not None else Path(".env")))
    env.update(os.environ if environ is None else environ)
    return env


def validate_token(token: str | None) -> str:
    if not token:
        raise ConfigError(f"TELEGRAM_BOT_TOKEN is not set. {TOKEN_HELP}")
    token = token.strip()
    if not _TOKEN_RE.match(token):
        raise ConfigError(
            f"TELEGRAM_BOT_TOKEN does not look like a bot token (expected digits:secret). "
            f"{TOKEN_HELP}"
        )
    return token


def parse_send_rate(raw: str | None) -> float:
    if raw is None or raw.strip() == "":
        return DEFAULT_SEND_RATE
    try:
        rate = float(raw)
    except ValueError:
        raise ConfigError(
            f"CRAMP_BOT_SEND_RATE must be a number of messages per second, got {raw!r}."
        ) from None
    if rate < 0:
        raise ConfigError("CRAMP_BOT_SEND_RATE must not be negative (0 turns pacing off).")
    return rate


def parse_retention_days(raw: str | None) -> int:
    if raw is None or raw.strip() == "":
        return DEFAULT_RETENTION_DAYS
    try:
        days = int(raw)
    except ValueError:
        raise ConfigError(
            f"CRAMP_BOT_RETENTION_DAYS must be a whole number of days, got {raw!r}."
        ) from None
    if days < 30:
        # Shorter would remove people who only went quiet for a few weeks.
        raise ConfigError("CRAMP_BOT_RETENTION_DAYS must be at least 30.")
    return days


def parse_log_level(raw: str | None) -> int:
    if raw is None or raw.strip() == "":
        return logging.INFO
    level = logging.getLevelName(raw.strip().upper())
    if not isinstance(level, int):
        raise ConfigError(
            f"CRAMP_BOT_LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, got {raw!r}."
        )
    return level


def parse_admins(raw: str | None) -> frozenset[int]:
    """CRAMP_BOT_ADMINS: Telegram user ids, separated by commas or spaces."""
    if raw is None:
        return frozenset()
    admins: set[int] = set()
    for part in re.split(r"[\s,]+", raw.strip()):
        if not part:
            continue
        if not re.fullmatch(r"[1-9]\d{0,15}", part):
            raise ConfigError(
                "CRAMP_BOT_ADMINS must be Telegram user ids separated by commas "
                f"(e.g. 123456789,987654321), got {part!r}."
            )
        admins.add(int(part))
    return frozenset(admins)


def parse_listen(raw: str | None) -> tuple[str, int]:
    """CRAMP_BOT_LISTEN: host:port of the webhook server ([::1]:8443 for IPv6)."""
    if raw is None or raw.strip() == "":
        return DEFAULT_LISTEN
    host, sep, port_text = raw.strip().rpartition(":")
    host = host.removeprefix("[").removesuffix("]")
    if not sep or not host or not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ConfigError(
            f"CRAMP_BOT_LISTEN must be host:port such as 127.0.0.1:8443, got {raw!r}."
        )
    return host, int(port_text)


def parse_webhook_url(raw: str | None) -> str | None:
    if raw is None or raw.strip() == "":
        return None
    url = raw.strip()
    # Telegram delivers webhooks over HTTPS only; http is allowed for a local Bot API server.
    if not url.startswith(("https://", "http://")) or len(url) > 2048:
        raise ConfigError(
            "CRAMP_BOT_WEBHOOK_URL must be the public https:// address of the bot, "
            f"e.g. https://bot.example.org/telegram (got {url!r})."
        )
    return url


def parse_webhook_secret(raw: str | None) -> str | None:
    if raw is None or raw == "":
        return None
    # Telegram's rule for secret_token: 1-256 characters, only A-Z, a-z, 0-9, _ and -.
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", raw):
        raise ConfigError(
            "CRAMP_BOT_WEBHOOK_SECRET may hold only letters, digits, _ and - "
            "(1 to 256 characters); leave it unset to have one made at every start."
        )
    return raw


def load_settings(
    environ: Mapping[str, str] | None = None,
    *,
    dotenv: Path | None = None,
    need_token: bool = True,
) -> Settings:
    env = merged_environment(environ, dotenv)
    token = validate_token(env.get("TELEGRAM_BOT_TOKEN")) if need_token else ""
    base_url = env.get("TELEGRAM_API_BASE_URL") or None
    if base_url is not None and not base_url.startswith(("http://", "https://")):
        raise ConfigError(
            "TELEGRAM_API_BASE_URL must be a URL such as http://127.0.0.1:8081/bot "
            f"(got {base_url!r})."
        )
    content_dir = env.get("CRAMP_BOT_CONTENT") or None
    return Settings(
        token=token,
        db_path=Path(env.get("CRAMP_BOT_DB") or DEFAULT_DB),
        api_base_url=base_url,
        send_rate=parse_send_rate(env.get("CRAMP_BOT_SEND_RATE")),
        content_dir=Path(content_dir) if content_dir else None,
        retention_days=parse_retention_days(env.get("CRAMP_BOT_RETENTION_DAYS")),
        log_level=parse_log_level(env.get("CRAMP_BOT_LOG_LEVEL")),
        admins=parse_admins(env.get("CRAMP_BOT_ADMINS")),
        webhook_url=parse_webhook_url(env.get("CRAMP_BOT_WEBHOOK_URL")),
        listen=parse_listen(env.get("CRAMP_BOT_LISTEN")),
        webhook_secret=parse_webhook_secret(env.get("CRAMP_BOT_WEBHOOK_SECRET")),
    )
