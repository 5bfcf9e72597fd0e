"""`cramp-bot try`: the production bot on the in-process Bot API, driven from a terminal or a
script. The scripts in tests/fixtures/try are whole conversations, so the try mode (and the
demo it gives) cannot rot without a test failing."""

from __future__ import annotations

import dataclasses
import io
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.fakeapi.emulator import BotApiEmulator
from bot.fakeapi.records import UploadedFile
from bot.tryout.run import try_main
from bot.tryout.script import parse_script
from bot.tryout.session import TryError, parse_duration, parse_moment
from bot.tryout.transcript import Transcript, styled_text, window
from tests import harness

FIXTURES = harness.FIXTURES / "try"
ROOT = harness.ROOT
EVENING = "2026-11-25 21:00"


async def run_script(
    tmp_path: Path, text: str, *, now: str | None = EVENING, db: Path | None = None
) -> tuple[int, str, str]:
    script = tmp_path / "script.txt"
    script.write_text(text, encoding="utf-8")
    return await run_file(script, now=now, db=db)


async def run_file(
    script: Path, *, now: str | None = EVENING, db: Path | None = None, files: Path | None = None
) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = await try_main(db=db, now=now, script=script, files=files, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


async def run_typed(tmp_path: Path, typed: str, *, now: str = EVENING) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = await try_main(
        db=tmp_path / "typed.db", now=now, stdin=io.StringIO(typed), out=out, err=err
    )
    return code, out.getvalue(), err.getvalue()


def without_text(monkeypatch: pytest.MonkeyPatch, key: str) -> None:
    """Content with one text missing, as a stale or hand-edited content set could be: the
    handler that needs it raises KeyError (load_content's own check is bypassed)."""
    import bot.tryout.run

    load = bot.tryout.session.load_content

    def broken() -> Any:
        content = load()
        return dataclasses.replace(
            content, texts={name: text for name, text in content.texts.items() if name != key}
        )

    monkeypatch.setattr(bot.tryout.session, "load_content", broken)


# ---------------------------------------------------------------------- whole conversations


async def test_questionnaire_script_reaches_a_result() -> None:
    code, out, err = await run_file(FIXTURES / "questionnaire.txt")
    assert (code, err) == (0, "")
    assert "you> /start" in out
    assert "[1] I understand, let's start" in out
    assert "bot> (edited: buttons removed)" in out  # consent button taken away after the press
    assert "[1] ☑ Calves" in out  # the multi-select tick is redrawn
    assert "Tired, overworked muscles" in out
    assert "You can look after this at home" in out


async def test_emergency_answer_ends_with_get_help_now() -> None:
    code, out, err = await run_file(FIXTURES / "emergency.txt")
    assert (code, err) == (0, "")
    assert "bot> (edited) Please get help now" in out


async def test_the_script_keeps_its_data_in_the_given_database(tmp_path: Path) -> None:
    db = tmp_path / "kept.db"
    code, _, err = await run_file(FIXTURES / "emergency.txt", db=db)
    assert (code, err) == (0, "")
    # The person agreed in the first run, so /start goes straight to the questions.
    code, out, err = await run_script(tmp_path, "send /start\nexpect Question 1\n", db=db)
    assert (code, err) == (0, ""), out
    assert "let's start" not in out


async def test_morning_check_in_arrives_when_the_clock_moves(tmp_path: Path) -> None:
    files = tmp_path / "files"
    code, out, err = await run_file(FIXTURES / "checkin.txt", files=files)
    assert (code, err) == (0, ""), out + err
    # Only the move to the morning brings the check-in, and it says which night it is about.
    evening, morning = out.split("(the clock now says Thu 2026-11-26 08:00 UTC)")
    assert "night of 25 Nov" not in evening
    assert morning.lstrip().startswith("bot> Morning check-in · the night of 25 Nov")
    assert "Nights recorded: 1" in morning
    rows = (files / "cramp-diary.csv").read_text(encoding="utf-8").splitlines()
    assert len(rows) == 3, rows  # a header, the recorded night and the skipped one
    assert rows[1].startswith("2026-11-25,answered,")
    assert rows[2].startswith("2026-11-26,skipped,")


async def test_advancing_a_day_from_midday_brings_the_next_mornings_check_in(
    tmp_path: Path,
) -> None:
    script = """
send /reminders
press "let's start"
press "Turn on"
press "07:30"
press "Europe"
press "London"
expect every morning at 07:30
advance 1d
expect Morning check-in
expect night of 26 Nov
"""
    code, out, err = await run_script(tmp_path, script, now="2026-11-26 12:00")
    assert (code, err) == (0, ""), out + err
    # The clock stops at the morning on its way, as a running bot would have sent it then.
    assert "(the clock now says Fri 2026-11-27 07:30 UTC)" in out
    assert out.rstrip().endswith("(the clock now says Fri 2026-11-27 12:00 UTC)")


def test_a_long_edited_message_is_shown_from_its_top() -> None:
    lines = [f"line {i}" for i in range(100)]
    # The result starts at line 40 and runs to the end, taller than the 48-line screen.
    shown = window(lines, 48, 40)
    assert shown[0] == "line 40" and len(shown) == 48
    # A short last message: the newest lines, as before.
    assert window(lines, 48, 95) == lines[52:]


async def test_a_check_in_due_at_the_start_arrives_at_once(tmp_path: Path) -> None:
    db = tmp_path / "typed.db"
    code, out, err = await run_file(FIXTURES / "optin.txt", db=db)
    assert (code, err) == (0, ""), out + err
    # Next morning, same database, clock frozen at 08:00: nothing moves it, yet it is there.
    code, out, err = await run_script(
        tmp_path,
        "expect Morning check-in\nexpect night of 25 Nov\npress None\nexpect twitching\n",
        now="2026-11-26 08:00",
        db=db,
    )
    assert (code, err) == (0, ""), out + err
    # Typing, too: the check-in comes right after the greeting, before anything is typed.
    code, out, err = await run_typed(tmp_path, "", now="2026-11-27 08:00")
    assert (code, err) == (0, "")
    greeting, rest = out.split("Ctrl-D to leave.\n")
    assert "(clock: Fri 2026-11-27 08:00 UTC)" in greeting
    assert rest.startswith("bot> Morning check-in · the night of 26 Nov")


def run_cli(
    folder: Path, *args: str, driver: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """`cramp-bot ARGS` in a subprocess, in (and with temporary files under) `folder`."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TMPDIR": str(folder)}
    env.pop("TELEGRAM_BOT_TOKEN", None)  # try mode needs none
    start = [str(driver)] if driver is not None else ["-m", "bot"]
    return subprocess.run(
        [sys.executable, *start, *args],
        capture_output=True,
        text=True,
        cwd=folder,
        env=env,
        timeout=120,
        check=False,
    )


def test_console_script_path_runs_a_script_in_a_subprocess(tmp_path: Path) -> None:
    result = run_cli(
        tmp_path, "try", "--now", EVENING, "--script", str(FIXTURES / "emergency.txt")
    )
    assert result.returncode == 0, result.stderr
    assert "Please get help now" in result.stdout
    assert result.stderr == ""  # logging stays quiet
    assert list(tmp_path.iterdir()) == []  # the throw-away database is gone


# ---------------------------------------------------------------------- script failures


async def test_a_script_that_is_not_utf8_is_refused_in_one_line(tmp_path: Path) -> None:
    script = tmp_path / "s.txt"
    script.write_bytes(b"\xff\xfe bad\n")
    code, out, err = await run_file(script)
    assert (code, out) == (2, "")
    assert err == (
        f"cramp-bot try: cannot read the script {script}: it is not UTF-8 text "
        "(byte 0xff at position 0)\n"
    )


async def test_a_crashing_handler_fails_the_script_line_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    without_text(monkeypatch, "q.back")  # question 2 has a Back button, so its screen fails
    code, out, err = await run_script(
        tmp_path, 'send /start\npress 1\npress "None of these"\nexpect Question 2\n'
    )
    assert code == 1
    assert err.startswith(
        f"{tmp_path / 'script.txt'}:3: press None of these: the bot failed: KeyError: 'q.back' ("
    ), err
    assert "timed out" not in err
    assert len(err.splitlines()) == 1
    # The person saw the bot's apology, and no traceback landed in the conversation.
    assert "Sorry, something went wrong on my side. Your answers so far are safe." in out
    assert out.rstrip().endswith("911 (North America).")
    assert "Traceback" not in out


async def test_a_crashing_handler_is_reported_while_typing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    without_text(monkeypatch, "q.back")
    code, out, err = await run_typed(tmp_path, "/start\n1\n8\n/help\n")
    assert (code, err) == (0, "")
    assert "(!) the bot failed: KeyError: 'q.back' (" in out
    assert "timed out" not in out
    assert "/privacy" in out.split("the bot failed")[1]  # and the session went on


def test_a_crash_is_logged_in_one_line_without_traceback(tmp_path: Path) -> None:
    """Through the console entry point, whose logging setup is the one a person gets."""
    script = tmp_path / "s.txt"
    script.write_text('send /start\npress 1\npress "None of these"\n', encoding="utf-8")
    driver = tmp_path / "driver.py"
    driver.write_text(
        "import dataclasses, sys\n"
        "import bot.tryout.session\n"
        "load = bot.tryout.session.load_content\n"
        "def broken():\n"
        "    content = load()\n"
        "    texts = {k: v for k, v in content.texts.items() if k != 'q.back'}\n"
        "    return dataclasses.replace(content, texts=texts)\n"
        "bot.tryout.session.load_content = broken\n"
        "from bot.cli import main\n"
        "sys.exit(main())\n",
        encoding="utf-8",
    )
    result = run_cli(tmp_path, "try", "--now", EVENING, "--script", str(script), driver=driver)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.splitlines()
    assert len(lines) == 2, lines
    assert lines[0].startswith(
        "ERROR cramp_bot.errors: event=handler_error update=3 kind=callback user=1001 "
        "error=KeyError: KeyError: 'q.back' ("
    )
    assert lines[1].startswith(f"{script}:3: press None of these: the bot failed: KeyError: ")


async def test_expect_does_not_see_old_text_when_only_buttons_were_removed(
    tmp_path: Path,
) -> None:
    code, out, err = await run_script(
        tmp_path, "send /start\npress 1\nexpect I store your answers\n"
    )
    assert code == 1
    assert "bot> (edited: buttons removed)" in out
    assert "script.txt:3: expected 'I store your answers'" in err
    assert "  | bot> Question 1 of about" in err
    assert "I store your answers" not in err.split("showed:", 1)[1]


async def test_files_must_be_a_folder_that_can_be_written(tmp_path: Path) -> None:
    a_file = tmp_path / "notes.txt"
    a_file.write_text("mine", encoding="utf-8")
    code, out, err = await run_file(FIXTURES / "emergency.txt", files=a_file)
    assert (code, out) == (2, "")
    assert err == f"cramp-bot try: --files {a_file}: it is a file, not a folder\n"
    assert a_file.read_text(encoding="utf-8") == "mine"

    under_a_file = a_file / "files"
    code, out, err = await run_file(FIXTURES / "emergency.txt", files=under_a_file)
    assert (code, out) == (2, "")
    assert err.startswith(f"cramp-bot try: --files {under_a_file}: cannot save files there (")
    assert len(err.splitlines()) == 1


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root may write anywhere")
async def test_files_in_a_read_only_folder_are_refused(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        code, out, err = await run_file(FIXTURES / "emergency.txt", files=locked / "files")
    finally:
        locked.chmod(0o700)
    assert (code, out) == (2, "")
    assert err.startswith(f"cramp-bot try: --files {locked / 'files'}: cannot save files there (")


async def test_a_failing_expect_names_the_line_and_shows_what_the_bot_said(
    tmp_path: Path,
) -> None:
    code, _, err = await run_script(tmp_path, "# greet\nsend /start\nexpect bananas\n")
    assert code == 1
    script = tmp_path / "script.txt"
    assert f"{script}:3: expected 'bananas'" in err
    assert "  | bot> Hello!" in err


async def test_expect_only_sees_what_came_after_the_previous_step(tmp_path: Path) -> None:
    code, _, err = await run_script(
        tmp_path, "send /start\nexpect let's start\nsend /privacy\nexpect let's start\n"
    )
    assert code == 1
    assert 'script.txt:4: expected "let\'s start"' in err


async def test_pressing_a_button_that_does_not_exist_fails_the_script(tmp_path: Path) -> None:
    code, _, err = await run_script(tmp_path, "send /start\npress 9\n")
    assert code == 1
    assert "script.txt:2: press 9: there is no button 9: the newest message with buttons " in err
    code, _, err = await run_script(tmp_path, 'send /start\npress "Bananas"\n')
    assert code == 1
    assert "script.txt:2: press Bananas: no button matching 'Bananas'" in err


async def test_a_malformed_script_is_refused_before_anything_runs(tmp_path: Path) -> None:
    code, out, err = await run_script(tmp_path, "send /start\njump 3\n")
    assert (code, out) == (2, "")
    assert "script.txt:2: unknown step 'jump'" in err
    code, out, err = await run_script(tmp_path, "now tomorrow\n")
    assert code == 2
    assert "script.txt:1: cannot read the time 'tomorrow'" in err


def test_parse_script_reads_every_kind_of_line() -> None:
    steps = parse_script(
        '# c\n\nsend /start\npress 2\npress "Yes, a new one"\nexpect Doctor\n'
        "now 2026-11-26 08:00\nadvance 1d2h\n",
        "x.txt",
    )
    assert [(s.line, s.verb, s.argument) for s in steps] == [
        (3, "send", "/start"),
        (4, "press", "2"),
        (5, "press", "Yes, a new one"),
        (6, "expect", "Doctor"),
        (7, "now", "2026-11-26 08:00"),
        (8, "advance", "1d2h"),
    ]
    assert steps[1].number == 2
    assert steps[4].moment == datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
    assert steps[5].delta == timedelta(days=1, hours=2)


# ---------------------------------------------------------------------- typing


async def test_typing_numbers_presses_buttons_and_eof_leaves_cleanly(tmp_path: Path) -> None:
    code, out, err = await run_typed(tmp_path, "/start\n1\n9\n:help\n:bogus\n")
    assert (code, err) == (0, "")
    assert "Type /start to begin" in out
    assert "you> [1] I understand, let's start" in out
    assert "Question 1 of about" in out
    assert "(!) there is no button 9: the newest message with buttons has 8 (1 to 8)" in out
    assert ":advance 1d" in out  # the help text
    assert "(!) unknown command ':bogus'; type :help for the list" in out
    assert out.rstrip().endswith("Bye.")


async def test_moving_the_clock_is_announced(tmp_path: Path) -> None:
    code, out, _ = await run_typed(tmp_path, ":now 2026-11-26 08:00\n:advance 2h\n")
    assert code == 0
    assert "(the clock now says Thu 2026-11-26 08:00 UTC)" in out
    assert "(the clock now says Thu 2026-11-26 10:00 UTC)" in out


async def test_a_bad_time_is_explained_and_the_session_goes_on(tmp_path: Path) -> None:
    code, out, _ = await run_typed(tmp_path, ":now soon\n:advance 3 weeks\n/start\n")
    assert code == 0
    assert "(!) cannot read the time 'soon'" in out
    assert "(!) cannot read the duration '3 weeks'" in out
    assert "let's start" in out


# ---------------------------------------------------------------------- pieces


def test_parse_moment_is_utc_unless_a_zone_is_given() -> None:
    assert parse_moment("2026-11-26 08:00") == datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
    assert parse_moment("2026-11-26 08:00 Europe/Berlin") == datetime(
        2026, 11, 26, 7, 0, tzinfo=UTC
    )
    assert parse_moment("2026-07-01T08:00+02:00") == datetime(2026, 7, 1, 6, 0, tzinfo=UTC)
    with pytest.raises(TryError, match="unknown time zone 'Mars/Olympus'"):
        parse_moment("2026-11-26 08:00 Mars/Olympus")


def test_parse_duration() -> None:
    assert parse_duration("1d") == timedelta(days=1)
    assert parse_duration("1d 12h 30m") == timedelta(days=1, hours=12, minutes=30)
    with pytest.raises(TryError):
        parse_duration("2 weeks")


def test_styled_text_uses_ansi_only_when_asked_and_shows_link_addresses() -> None:
    # "😀 bold" : the emoji is 2 UTF-16 units, so "bold" starts at offset 3.
    entities = [{"type": "bold", "offset": 3, "length": 4}]
    assert styled_text("😀 bold!", entities, ansi=False) == "😀 bold!"
    assert styled_text("😀 bold!", entities, ansi=True) == "😀 \x1b[0;1mbold\x1b[0m!"
    link = [{"type": "text_link", "offset": 0, "length": 3, "url": "https://nhs.uk"}]
    assert styled_text("NHS page", link, ansi=False) == "NHS <https://nhs.uk> page"


async def test_terminal_redraws_on_edit_and_files_are_saved(tmp_path: Path) -> None:
    emulator = BotApiEmulator()
    emulator.user(7, "Sam")
    tty_out, plain_out = io.StringIO(), io.StringIO()
    files = tmp_path / "files"
    files.mkdir()
    tty = Transcript(emulator, 7, tty_out, True, lambda: files)
    plain = Transcript(emulator, 7, plain_out, False, lambda: files)
    emulator.subscribe(tty.on_event)
    emulator.subscribe(plain.on_event)

    await emulator.call(
        "sendMessage", {"chat_id": 7, "text": "<b>Old</b> text", "parse_mode": "HTML"}
    )
    await emulator.call(
        "editMessageText",
        {"chat_id": 7, "message_id": 1, "text": "<b>New</b> text", "parse_mode": "HTML"},
    )
    await emulator.call(
        "sendDocument",
        {
            "chat_id": 7,
            "document": UploadedFile("diary.csv", b"night,severity\n"),
            "caption": "Your diary",
        },
    )

    screen = tty_out.getvalue()
    assert "\x1b[H\x1b[2J" in screen  # cleared and redrawn ...
    redrawn = screen.rsplit("\x1b[H\x1b[2J", 1)[1]
    assert "bot> \x1b[0;1mNew\x1b[0m text" in redrawn  # ... with the edit in place
    assert "Old" not in redrawn
    assert plain_out.getvalue().splitlines()[:2] == ["bot> Old text", "bot> (edited) New text"]
    assert "\x1b[" not in plain_out.getvalue()
    assert (files / "diary.csv").read_bytes() == b"night,severity\n"
    assert (files / "diary-2.csv").read_bytes() == b"night,severity\n"  # never overwritten
    assert f"saved to {files / 'diary-2.csv'}] Your diary" in plain_out.getvalue()


async def test_the_readme_example_conversation_still_happens() -> None:
    code, out, err = await run_file(FIXTURES / "readme.txt")
    assert (code, err) == (0, ""), out + err
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for line in (
        "bot> (edited) Your result: You can look after this at home",
        "     1. Caffeine and stimulants, because you said: Caffeine: 4 or more a day",
        "     [1] « Back to your result",
        "     Did you have any cramps last night?",
    ):
        assert line in out, line
        assert line in readme, line


async def test_history_chart_is_saved_and_its_caption_can_be_expected(tmp_path: Path) -> None:
    db, files = tmp_path / "diary.db", tmp_path / "files"
    code, out, err = await run_file(FIXTURES / "checkin.txt", db=db)
    assert (code, err) == (0, ""), out + err
    code, out, err = await run_file(FIXTURES / "chart.txt", db=db, files=files)
    assert (code, err) == (0, ""), out + err
    first = files / "cramp-chart.jpg"
    assert f"bot> [photo: {first}]" in out
    assert f"bot> (edited) [photo: {files / 'cramp-chart-2.jpg'}]" in out
    assert first.read_bytes().startswith(b"\xff\xd8")  # a JPEG, as Telegram shows photos
    assert sorted(p.name for p in files.iterdir()) == [
        "cramp-chart-2.jpg",
        "cramp-chart-3.jpg",
        "cramp-chart.jpg",
    ]
    assert {p.stat().st_mode & 0o777 for p in files.iterdir()} == {0o600}
