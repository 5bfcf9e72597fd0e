"""What the terminal shows: Telegram HTML as plain or ANSI-styled text, numbered buttons,
edits redrawn (or reprinted when the output is not a terminal), files saved to a folder.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from bot.fakeapi.emulator import BotApiEmulator
from bot.fakeapi.records import HistoryEvent, SentMessage
from bot.storage import PRIVATE_FILE

_BOLD, _ITALIC, _UNDERLINE, _STRIKE = "1", "3", "4", "9"
_ANSI_STYLES = {
    "bold": _BOLD,
    "italic": _ITALIC,
    "underline": _UNDERLINE,
    "strikethrough": _STRIKE,
    "text_link": _UNDERLINE,
}

# ---------------------------------------------------------------------- rendering


def styled_text(text: str, entities: list[dict[str, Any]], *, ansi: bool) -> str:
    """The visible text with ANSI styles for the formatting entities (when `ansi`) and each
    link's address after its text. Entity offsets count UTF-16 code units."""
    starts: list[int] = []  # UTF-16 offset where each character begins
    position = 0
    for char in text:
        starts.append(position)
        position += 2 if ord(char) > 0xFFFF else 1
    index_of = {offset: index for index, offset in enumerate(starts)}
    index_of[position] = len(text)

    styles: list[set[str]] = [set() for _ in text]
    links: dict[int, list[str]] = {}
    for entity in entities:
        begin = index_of.get(int(entity.get("offset", 0)))
        end = index_of.get(int(entity.get("offset", 0)) + int(entity.get("length", 0)))
        if begin is None or end is None:
            continue
        code = _ANSI_STYLES.get(str(entity.get("type")))
        if code is not None:
            for index in range(begin, end):
                styles[index].add(code)
        if entity.get("type") == "text_link" and entity.get("url"):
            links.setdefault(end, []).append(str(entity["url"]))

    out: list[str] = []
    current: set[str] = set()
    for index, char in enumerate(text):
        for url in links.get(index, []):
            out.append(_switch(current, set(), ansi) + f" <{url}>")
            current = set()
        wanted = styles[index] if ansi else set()
        if wanted != current:
            out.append(_switch(current, wanted, ansi))
            current = wanted
        out.append(char)
    out.append(_switch(current, set(), ansi))
    for url in links.get(len(text), []):
        out.append(f" <{url}>")
    return "".join(out)


def _first_line(text: str, width: int = 50) -> str:
    line = text.strip().split("\n", 1)[0]
    return f"“{line[:width]}…”" if len(line) > width else f"“{line}”"


def _switch(current: set[str], wanted: set[str], ansi: bool) -> str:
    if not ansi or current == wanted:
        return ""
    codes = ";".join(["0", *sorted(wanted)])
    return f"\x1b[{codes}m"


def render_message(
    message: SentMessage, *, ansi: bool, numbered: bool, mark: str = ""
) -> list[str]:
    """A bot message as terminal lines: `bot> ` (and `mark`, e.g. "(edited) ") then the text,
    indented, then the buttons one keyboard row per line (numbered when `numbered`)."""
    prefix = "bot> "
    indent = " " * len(prefix)
    body = styled_text(message.text, message.entities, ansi=ansi) if message.text else ""
    lines = body.split("\n") if body else [""]
    rendered = [prefix + mark + lines[0]] + [indent + line if line else "" for line in lines[1:]]
    number = 0
    for row in message.keyboard:
        cells = []
        for button in row:
            number += 1
            cells.append(f"[{number}] {button.text}" if numbered else f"[ {button.text} ]")
        rendered.append(indent + "   ".join(cells))
    return rendered


def window(lines: list[str], height: int, focus_at: int | None) -> list[str]:
    """The last `height` lines, but never starting below `focus_at`: when the message just
    sent or edited is taller than the screen, its top is shown (where a result begins)."""
    height = max(height, 5)
    start = max(len(lines) - height, 0)
    if focus_at is not None:
        start = min(start, focus_at)
    return lines[start : start + height]


@dataclass
class _Entry:
    kind: str  # "you", "bot", "note"
    text: str = ""
    message_id: int = 0


@dataclass
class Transcript:
    """Listens to the emulator and shows the chat; remembers what the bot showed lately (for
    `expect`) and writes documents and photos to `files_dir` (private to their owner, 0600,
    like every file that holds health data)."""

    emulator: BotApiEmulator
    chat_id: int
    out: TextIO
    tty: bool
    files_dir: Callable[[], Path]
    entries: list[_Entry] = field(default_factory=list)
    shown: list[str] = field(default_factory=list)  # plain text shown since the last action
    _printed: dict[int, str] = field(default_factory=dict)  # message id -> text last printed
    _photos: dict[int, str] = field(default_factory=dict)  # message id -> photo file id saved
    _focus: int | None = None  # the message sent or edited last: its top must be on screen

    def start_action(self) -> None:
        self.shown.clear()

    def you(self, text: str, *, echo: bool) -> None:
        self.entries.append(_Entry("you", text))
        if echo:
            self._print([f"you> {text}"])

    def note(self, text: str) -> None:
        self.entries.append(_Entry("note", text))
        self._print([text])

    def on_event(self, event: HistoryEvent) -> None:
        if event.chat_id != self.chat_id:
            return
        message = self.emulator.message(event.chat_id, event.message_id)
        if event.kind == "answered":
            if event.text:
                self.shown.append(event.text)
                self.note(f"(notice: {event.text})")
            return
        if message is None or event.kind not in ("sent", "edited", "deleted", "document", "photo"):
            return
        if event.kind == "document":
            self._save_document(message)
            return
        photo = message.photo
        if photo is not None and self._photos.get(message.message_id) != photo.file_id:
            # A new picture (sent, or put in place by an edit): saved so it can be opened.
            self._photos[message.message_id] = photo.file_id
            path = self._save(photo.file_name or "photo.png", photo.data, message.message_id)
            mark = "(edited) " if event.kind == "edited" else ""
            self.entries.append(_Entry("note", f"bot> {mark}[photo: {path}]"))
            self._print([f"bot> {mark}[photo: {path}]"])
        before = self._printed.get(message.message_id)
        self._printed[message.message_id] = message.text
        if event.kind in ("sent", "edited", "photo"):
            self._focus = message.message_id
        if event.kind in ("sent", "photo"):
            self.entries.append(_Entry("bot", message_id=message.message_id))
            self.shown.append(self._plain(message))
            self._print(self._render(message))
            return
        if event.kind == "edited" and message.text != before:
            self.shown.append(self._plain(message))
        elif event.kind == "edited" and message.keyboard:
            # Only the buttons are new; the text was there before, so `expect` must not find
            # it again (it would pass on an old message).
            plain = render_message(message, ansi=False, numbered=True)
            self.shown.append("\n".join(plain[-len(message.keyboard) :]))
        if self.tty:
            self._redraw()
        elif event.kind == "edited" and message.text == before:
            # Only the buttons changed (typically taken away after a press): say so briefly
            # instead of repeating a long text the person has just read.
            what = "new buttons" if message.keyboard else "buttons removed"
            self._print([f"bot> (edited: {what}) {_first_line(message.text)}"])
            if message.keyboard:
                self._print(self._render(message)[-len(message.keyboard) :])
        elif event.kind == "edited":
            self._print(self._render(message, mark="(edited) "))
        else:
            self._print([f"bot> (deleted) {_first_line(message.text)}"])

    def _save_document(self, message: SentMessage) -> None:
        document = message.document
        assert document is not None
        name = Path(document.file_name).name or f"file-{message.message_id}"
        path = self._save(name, document.data, message.message_id)
        caption = f" {message.text}" if message.text else ""
        line = f"[file {name}, {len(document.data)} bytes, saved to {path}]{caption}"
        self.entries.append(_Entry("note", f"bot> {line}"))
        self.shown.append(f"{name} {message.text}")
        self._print([f"bot> {line}"])

    def _save(self, file_name: str, data: bytes, message_id: int) -> Path:
        """Writes a new file in the files folder (never over an earlier one), private."""
        folder = self.files_dir()
        name = Path(file_name).name or f"file-{message_id}"
        path = folder / name
        counter = 1
        while True:
            try:
                # O_EXCL: a new file, created 0600 whatever the umask (health data).
                handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
                break
            except FileExistsError:
                counter += 1
                path = folder / f"{Path(name).stem}-{counter}{Path(name).suffix}"
        with os.fdopen(handle, "wb") as out:
            os.fchmod(out.fileno(), PRIVATE_FILE)  # a umask such as 0277 would leave 0400
            out.write(data)
        return path

    def _plain(self, message: SentMessage) -> str:
        return "\n".join(render_message(message, ansi=False, numbered=True))

    def _render(self, message: SentMessage, *, mark: str = "") -> list[str]:
        newest = self._newest_keyboard_id()
        numbered = message.message_id == newest
        return render_message(message, ansi=self.tty, numbered=numbered, mark=mark)

    def _newest_keyboard_id(self) -> int | None:
        for message in reversed(self.emulator.messages(self.chat_id)):
            if message.keyboard:
                return message.message_id
        return None

    def _redraw(self) -> None:
        lines: list[str] = []
        focus_at: int | None = None
        for entry in self.entries:
            if entry.kind == "you":
                lines.append(f"you> {entry.text}")
            elif entry.kind == "note":
                lines.append(entry.text)
            else:
                message = self.emulator.message(self.chat_id, entry.message_id)
                if message is not None and not message.deleted:
                    if message.message_id == self._focus:
                        focus_at = len(lines)
                    lines.extend(self._render(message))
        self.out.write("\x1b[H\x1b[2J")
        self._print(window(lines, shutil.get_terminal_size().lines - 2, focus_at))

    def _print(self, lines: list[str]) -> None:
        self.out.write("\n".join(lines) + "\n")
        self.out.flush()
