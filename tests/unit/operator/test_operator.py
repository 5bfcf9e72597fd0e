"""The operator's view: usage counts (small ones hidden), health from the heartbeat row, the
systemd notification, and the service settings. Real SQLite files; no Telegram here."""

from __future__ import annotations

import socket
import sqlite3
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from bot.config import ConfigError, load_settings
from bot.operator.health import check, check_file, judge, notify_systemd
from bot.operator.stats import count, render, share
from bot.storage import Storage, StorageError, UsageCounts

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
TOKEN = "123456789:AAEhBP0av28KdGPN7k9xQ3rUb8TqYcZxWvE"


def test_small_counts_are_hidden() -> None:
    assert [count(n) for n in (0, 1, 4, 5, 1234)] == ["0", "<5", "<5", "5", "1234"]
    assert share(0, 100) == "0"
    assert share(3, 100) == "<5"  # few people, whatever the whole
    assert share(5, 4) == "<5"  # (impossible, but a small whole never gives a percentage)
    assert share(5, 20) == "5 (25%)"
    assert share(20, 20) == "20 (100%)"


def test_render_shows_aggregates_only() -> None:
    counts = UsageCounts(
        people=120,
        consented=97,
        blocked=3,
        reminders_on=40,
        finished_7d=4,
        finished_30d=60,
        levels_30d={"emergency": 2, "urgent": 6, "see_doctor": 22, "self_care": 30},
        checkins_sent_30d=800,
        checkins_answered_30d=610,
        checkins_skipped_30d=0,
    )
    text = "\n".join(render(counts))
    assert "people: 120" in text
    assert "consented: 97" in text
    assert "blocked the bot: <5" in text
    assert "finished, last 7 days: <5" in text
    assert "finished, last 30 days: 60" in text
    assert "emergency: <5" in text
    assert "urgent (doctor today): 6 (10%)" in text
    assert "see a doctor: 22 (37%)" in text
    assert "self-care: 30 (50%)" in text
    assert "sent: 800" in text and "answered: 610" in text and "skipped: 0" in text


async def _seed(storage: Storage) -> None:
    """Seven people: six consented, one blocked; questionnaires at several ages and levels;
    check-ins sent, answered, skipped."""
    for user_id in range(1, 8):
        await storage.upsert_user(user_id, user_id, NOW - timedelta(days=40))
        if user_id != 7:
            await storage.set_consent(user_id, NOW - timedelta(days=40))
    await storage.mark_blocked(6, NOW - timedelta(days=1))
    ages_levels = [(1, "self_care")] * 5 + [(2, "urgent"), (10, "self_care"), (45, "emergency")]
    for i, (days_ago, level) in enumerate(ages_levels):
        user_id = 1 + i % 5
        when = NOW - timedelta(days=days_ago)
        started = await storage.start_assessment(user_id, "v1", "em_now", when)
        await storage.finish_assessment(started.id, level=level, result={}, now=when)
    await storage.start_assessment(5, "v1", "em_now", NOW)  # open: not counted
    for user_id in range(1, 7):
        night = date(2026, 11, 24)
        await storage.set_checkin_message(user_id, night, 100 + user_id, NOW)
        if user_id <= 5:
            await storage.upsert_diary(user_id, night, {"cramps": "none"}, NOW, complete=True)
        else:
            await storage.upsert_diary(user_id, night, {"skipped": True}, NOW)
    old = date(2026, 9, 1)  # outside the 30 nights
    await storage.set_checkin_message(1, old, 99, NOW)


async def test_usage_counts_from_a_real_database(tmp_path: Path) -> None:
    storage = await Storage.open(tmp_path / "cramp.db")
    try:
        await _seed(storage)
        counts = await storage.usage_counts(NOW)
    finally:
        await storage.close()
    assert counts == UsageCounts(
        people=7,
        consented=6,
        blocked=1,
        reminders_on=0,
        finished_7d=6,
        finished_30d=7,
        levels_30d={"self_care": 6, "urgent": 1},
        checkins_sent_30d=6,
        checkins_answered_30d=5,
        checkins_skipped_30d=1,
    )
    text = "\n".join(render(counts))
    assert "blocked the bot: <5" in text
    assert "self-care: 6 (86%)" in text
    assert "urgent (doctor today): <5" in text
    assert "emergency: 0" in text


def test_judge_counts_three_missed_ticks() -> None:
    assert not judge(None, NOW).ok
    assert judge(NOW - timedelta(seconds=179), NOW).ok
    stale = judge(NOW - timedelta(seconds=181), NOW)
    assert not stale.ok
    assert stale.line == "unhealthy: the minute tick last ran 181 s ago"


async def test_health_reads_the_heartbeat_row_from_outside(tmp_path: Path) -> None:
    db = tmp_path / "cramp.db"
    assert not (await check_file(db, NOW)).ok  # no database at all
    storage = await Storage.open(db)
    try:
        assert (await check(storage, NOW)).line.startswith("unhealthy: the minute tick has never")
        await storage.record_tick(NOW - timedelta(seconds=30))
        assert (await check(storage, NOW)).ok
        outside = await check_file(db, NOW)
        assert outside.ok, outside.line
        assert outside.line == "ok: database reachable, minute tick 30 s ago"
    finally:
        await storage.close()
    closed = await check(storage, NOW)
    assert not closed.ok
    assert "cannot be read" in closed.line


async def test_readonly_open_never_writes_or_migrates(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    with sqlite3.connect(db) as connection:
        connection.execute("PRAGMA user_version = 2")
    connection.close()
    with pytest.raises(StorageError, match="schema version 2"):
        await Storage.open_readonly(db)
    with sqlite3.connect(db) as connection:
        assert connection.execute("PRAGMA user_version").fetchone()[0] == 2
    connection.close()
    storage = await Storage.open(db)  # the bot migrates at start
    await storage.close()
    readonly = await Storage.open_readonly(db)
    try:
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            await readonly.record_tick(NOW)
    finally:
        await readonly.close()


def test_systemd_notification_reaches_the_socket(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    assert notify_systemd("READY=1") is False  # not under systemd: nothing to do
    path = tmp_path / "notify"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as listener:
        listener.bind(str(path))
        monkeypatch.setenv("NOTIFY_SOCKET", str(path))
        assert notify_systemd("WATCHDOG=1") is True
        assert listener.recv(64) == b"WATCHDOG=1"
    monkeypatch.setenv("NOTIFY_SOCKET", str(tmp_path / "gone"))
    assert notify_systemd("WATCHDOG=1") is False  # a socket that went away is not a crash


def test_service_settings(tmp_path: Path) -> None:
    none = tmp_path / "none"
    plain = load_settings({"TELEGRAM_BOT_TOKEN": TOKEN}, dotenv=none)
    assert plain.admins == frozenset()
    assert plain.webhook_url is None
    assert plain.listen == ("127.0.0.1", 8443)
    secret = "s3cret_value-that-is-long"
    settings = load_settings(
        {
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "CRAMP_BOT_ADMINS": " 1001, 2002 3003,",
            "CRAMP_BOT_WEBHOOK_URL": "https://bot.example.org/telegram",
            "CRAMP_BOT_LISTEN": "[::1]:9000",
            "CRAMP_BOT_WEBHOOK_SECRET": secret,
        },
        dotenv=none,
    )
    assert settings.admins == frozenset({1001, 2002, 3003})
    assert settings.webhook_url == "https://bot.example.org/telegram"
    assert settings.listen == ("::1", 9000)
    assert settings.webhook_secret == secret
    assert secret not in repr(settings) and TOKEN not in repr(settings)


@pytest.mark.parametrize(
    ("name", "value", "fragment"),
    [
        ("CRAMP_BOT_ADMINS", "1001,@alex", "CRAMP_BOT_ADMINS must be Telegram user ids"),
        ("CRAMP_BOT_LISTEN", "8443", "CRAMP_BOT_LISTEN must be host:port"),
        ("CRAMP_BOT_LISTEN", "127.0.0.1:99999", "CRAMP_BOT_LISTEN must be host:port"),
        ("CRAMP_BOT_WEBHOOK_URL", "bot.example.org", "public https:// address"),
        ("CRAMP_BOT_WEBHOOK_SECRET", "has spaces", "only letters, digits, _ and -"),
    ],
)
def test_bad_service_settings_are_one_line(
    tmp_path: Path, name: str, value: str, fragment: str
) -> None:
    with pytest.raises(ConfigError, match=fragment) as caught:
        load_settings({"TELEGRAM_BOT_TOKEN": TOKEN, name: value}, dotenv=tmp_path / "none")
    assert "\n" not in str(caught.value)
