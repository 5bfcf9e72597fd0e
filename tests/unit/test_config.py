"""Settings: every bad value is one readable line, the token never shows in a repr."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, load_settings, read_dotenv

TOKEN = "123456789:AAEhBP0av28KdGPN7k9xQ3rUb8TqYcZxWvE"


def test_defaults(tmp_path: Path) -> None:
    settings = load_settings({"TELEGRAM_BOT_TOKEN": TOKEN}, dotenv=tmp_path / "none")
    assert settings.token == TOKEN
    assert settings.db_path == Path("./cramp-bot.db")
    assert settings.api_base_url is None
    assert settings.send_rate == 25.0
    assert TOKEN not in repr(settings)


@pytest.mark.parametrize(
    ("env", "fragment"),
    [
        ({}, "TELEGRAM_BOT_TOKEN is not set"),
        ({"TELEGRAM_BOT_TOKEN": "not-a-token"}, "does not look like a bot token"),
        ({"TELEGRAM_BOT_TOKEN": TOKEN, "CRAMP_BOT_SEND_RATE": "fast"}, "CRAMP_BOT_SEND_RATE"),
        ({"TELEGRAM_BOT_TOKEN": TOKEN, "CRAMP_BOT_SEND_RATE": "-1"}, "must not be negative"),
        (
            {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE_URL": "localhost:8081"},
            "must be a URL",
        ),
    ],
)
def test_bad_settings_are_one_line(tmp_path: Path, env: dict[str, str], fragment: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(env, dotenv=tmp_path / "none")
    assert fragment in str(caught.value)
    assert "\n" not in str(caught.value)


def test_missing_token_says_how_to_get_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="@BotFather"):
        load_settings({}, dotenv=tmp_path / "none")


def test_dotenv_is_read_and_environment_wins(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text(
        f"# local settings\nexport TELEGRAM_BOT_TOKEN='{TOKEN}'\nCRAMP_BOT_DB=from-file.db\n"
        "CRAMP_BOT_SEND_RATE=10\n",
        encoding="utf-8",
    )
    assert read_dotenv(dotenv)["TELEGRAM_BOT_TOKEN"] == TOKEN
    settings = load_settings({"CRAMP_BOT_DB": "from-env.db"}, dotenv=dotenv)
    assert settings.token == TOKEN
    assert settings.db_path == Path("from-env.db")
    assert settings.send_rate == 10.0
