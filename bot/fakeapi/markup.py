"""Telegram's HTML parse mode and inline keyboards, checked the way the Bot API checks them.

The HTML parser follows TDLib's `parse_html` (td/telegram/MessageEntity.cpp), which is what the
Bot API server runs: it works on UTF-8 bytes, so error offsets are byte offsets, and entity
offsets are counted in UTF-16 code units like in real updates. Error texts are TDLib's; the Bot
API server lowercases their first letter and prefixes "Bad Request: can't parse entities: ".
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from bot.ui import MAX_CALLBACK_DATA, MAX_CAPTION, MAX_MESSAGE

SUPPORTED_TAGS = frozenset(
    {
        "a",
        "b",
        "strong",
        "i",
        "em",
        "s",
        "strike",
        "del",
        "u",
        "ins",
        "tg-spoiler",
        "tg-emoji",
        "span",
        "pre",
        "code",
        "blockquote",
    }
)
_SIMPLE_ENTITY = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
}
_NAMED_REFERENCES = {b"lt": "<", b"gt": ">", b"amp": "&", b"quot": '"'}
_SPACE = frozenset(b" \t\r\n\f\v")
_ASCII_LETTERS = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_HEX_DIGITS = frozenset(b"0123456789abcdefABCDEF")
_NAME_TOKEN = _ASCII_LETTERS | frozenset(b"0123456789.-")

# Telegram's limits, from the bot's one table of them.
MAX_TEXT_LENGTH = MAX_MESSAGE
MAX_CAPTION_LENGTH = MAX_CAPTION
MAX_CALLBACK_DATA_BYTES = MAX_CALLBACK_DATA
MAX_BUTTONS = 100


class EntityParseError(ValueError):
    """TDLib's parse error; str(error) is TDLib's text (capitalised, without any prefix)."""


@dataclass
class _OpenTag:
    name: str
    argument: str
    utf16_offset: int
    result_position: int


def _at(text: bytes, index: int) -> int:
    # TDLib reads a NUL-terminated C string: past the end reads as 0.
    return text[index] if index < len(text) else 0


def _utf16_units(first_byte: int) -> int:
    if 0x80 <= first_byte < 0xC0:  # a continuation byte adds no character
        return 0
    return 2 if first_byte >= 0xF0 else 1


def _decode_reference(text: bytes, position: int) -> tuple[str, int] | None:
    """An HTML character reference at `position` ('&'): (character, position after it)."""
    end = position + 1
    if _at(text, end) == ord("#"):
        end += 1
        code = 0
        if _at(text, end) == ord("x"):
            end += 1
            while _at(text, end) in _HEX_DIGITS:
                code = code * 16 + int(chr(text[end]), 16)
                end += 1
        else:
            while ord("0") <= _at(text, end) <= ord("9"):
                code = code * 10 + text[end] - ord("0")
                end += 1
        if code == 0 or code >= 0x10FFFF or end - position >= 10:
            return None
        character = chr(code)
    else:
        while _at(text, end) in _ASCII_LETTERS:
            end += 1
        named = _NAMED_REFERENCES.get(text[position + 1 : end])
        if named is None:
            return None
        character = named
    if _at(text, end) == ord(";"):
        end += 1
    return character, end


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def parse_html(html: str) -> tuple[str, list[dict[str, Any]]]:
    """Telegram HTML -> (plain text, entities); raises EntityParseError like the Bot API."""
    text = html.encode("utf-8")
    result = bytearray()
    entities: list[dict[str, Any]] = []
    nested: list[_OpenTag] = []
    utf16_offset = 0
    i = 0
    while i < len(text):
        c = text[i]
        if c == ord("&"):
            decoded = _decode_reference(text, i)
            if decoded is not None:
                character, i = decoded
                result += character.encode("utf-8", "surrogatepass")
                utf16_offset += _utf16_len(character)
                continue
        if c != ord("<"):
            utf16_offset += _utf16_units(c)
            result.append(c)
            i += 1
            continue
        begin = i
        i += 1
        if _at(text, i) != ord("/"):
            tag, i = _start_tag(text, begin, i)
            nested.append(_OpenTag(tag[0], tag[1], utf16_offset, len(result)))
            i += 1  # past '>'
            continue
        if not nested:
            raise EntityParseError(f"Unexpected end tag at byte offset {begin}")
        while _at(text, i) not in _SPACE and _at(text, i) != ord(">") and _at(text, i) != 0:
            i += 1
        end_name = text[begin + 2 : i].decode("utf-8", "replace").lower()
        while _at(text, i) in _SPACE:
            i += 1
        if _at(text, i) != ord(">"):
            raise EntityParseError(f"Unclosed end tag at byte offset {begin}")
        open_tag = nested.pop()
        if end_name and end_name != open_tag.name:
            raise EntityParseError(
                f'Unmatched end tag at byte offset {begin}, expected "</{open_tag.name}>", '
                f'found "</{end_name}>"'
            )
        if utf16_offset > open_tag.utf16_offset:
            _add_entity(entities, open_tag, utf16_offset - open_tag.utf16_offset, result)
        i += 1
    if nested:
        raise EntityParseError(
            f'Can\'t find end tag corresponding to start tag "{nested[-1].name}"'
        )
    for entity in entities:
        if entity["type"] == "code":
            entity.pop("language", None)  # a language counts only for code inside pre
    plain = result.decode("utf-8", "surrogatepass")
    return plain, sorted(entities, key=lambda e: (e["offset"], -e["length"]))


def _start_tag(text: bytes, begin: int, i: int) -> tuple[tuple[str, str], int]:
    """Reads a start tag from its name on; returns ((name, argument), index of its '>')."""
    while _at(text, i) not in _SPACE and _at(text, i) != ord(">") and _at(text, i) != 0:
        i += 1
    if _at(text, i) == 0:
        raise EntityParseError(f"Unclosed start tag at byte offset {begin}")
    tag = text[begin + 1 : i].decode("utf-8", "replace").lower()
    if tag not in SUPPORTED_TAGS:
        raise EntityParseError(f'Unsupported start tag "{tag}" at byte offset {begin}')
    argument = ""
    while _at(text, i) != ord(">"):
        while _at(text, i) in _SPACE:
            i += 1
        if _at(text, i) == ord(">"):
            break
        attribute_begin = i
        while _at(text, i) not in _SPACE and _at(text, i) not in b"=>/\"'\0":
            i += 1
        attribute = text[attribute_begin:i].decode("utf-8", "replace")
        if not attribute:
            raise EntityParseError(
                f'Empty attribute name in the tag "{tag}" at byte offset {begin}'
            )
        while _at(text, i) in _SPACE:
            i += 1
        if _at(text, i) != ord("="):
            if _at(text, i) == 0:
                raise EntityParseError(f'Unclosed start tag "{tag}" at byte offset {begin}')
            if tag == "blockquote" and attribute == "expandable":
                argument = "1"
            continue
        i += 1
        while _at(text, i) in _SPACE:
            i += 1
        if _at(text, i) == 0:
            raise EntityParseError(f'Unclosed start tag "{tag}" at byte offset {begin}')
        value, i = _attribute_value(text, i)
        if _at(text, i) == 0:
            raise EntityParseError(f"Unclosed start tag at byte offset {begin}")
        if (tag, attribute) in {("a", "href"), ("tg-emoji", "emoji-id")}:
            argument = value
        elif tag == "code" and attribute == "class" and value.startswith("language-"):
            argument = value[len("language-") :]
        elif tag == "span" and attribute == "class" and value.startswith("tg-"):
            argument = value[len("tg-") :]
        elif tag == "blockquote" and attribute == "expandable":
            argument = "1"
    if tag == "span" and argument != "spoiler":
        raise EntityParseError(f'Tag "span" must have class "tg-spoiler" at byte offset {begin}')
    return (tag, argument), i


def _attribute_value(text: bytes, i: int) -> tuple[str, int]:
    quote = _at(text, i)
    if quote not in (ord("'"), ord('"')):
        token_begin = i
        while _at(text, i) in _NAME_TOKEN:
            i += 1
        if _at(text, i) not in _SPACE and _at(text, i) != ord(">"):
            raise EntityParseError(f"Unexpected end of name token at byte offset {token_begin}")
        return text[token_begin:i].decode("ascii").lower(), i
    i += 1
    value = bytearray()
    while _at(text, i) != quote and _at(text, i) != 0:
        if text[i] == ord("&"):
            decoded = _decode_reference(text, i)
            if decoded is not None:
                character, i = decoded
                value += character.encode("utf-8", "surrogatepass")
                continue
        value.append(text[i])
        i += 1
    if _at(text, i) == quote:
        i += 1
    return value.decode("utf-8", "replace"), i


def _add_entity(
    entities: list[dict[str, Any]], open_tag: _OpenTag, length: int, result: bytearray
) -> None:
    offset = open_tag.utf16_offset
    name, argument = open_tag.name, open_tag.argument
    last = entities[-1] if entities else None
    same_span = last is not None and last["offset"] == offset and last["length"] == length
    if name in _SIMPLE_ENTITY:
        entities.append({"type": _SIMPLE_ENTITY[name], "offset": offset, "length": length})
    elif name == "tg-emoji":
        if not argument.isdigit() or int(argument) <= 0:
            raise EntityParseError("Invalid custom emoji identifier specified")
        emoji = {"type": "custom_emoji", "offset": offset, "length": length}
        entities.append({**emoji, "custom_emoji_id": argument})
    elif name == "a":
        url = argument or bytes(result[open_tag.result_position :]).decode("utf-8", "replace")
        if url:
            entities.append({"type": "text_link", "offset": offset, "length": length, "url": url})
    elif name == "pre":
        if last is not None and same_span and last["type"] == "code" and "language" in last:
            last["type"] = "pre"
        else:
            entities.append({"type": "pre", "offset": offset, "length": length})
    elif name == "code":
        if last is not None and same_span and last["type"] == "pre" and argument:
            last["language"] = argument
        else:
            entity: dict[str, Any] = {"type": "code", "offset": offset, "length": length}
            if argument:
                entity["language"] = argument
            entities.append(entity)
    elif name == "blockquote":
        kind = "expandable_blockquote" if argument else "blockquote"
        entities.append({"type": kind, "offset": offset, "length": length})


def strip_text(text: str, entities: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """Telegram trims leading and trailing white space of a message and clips its entities."""
    stripped = text.strip()
    if stripped == text:
        return text, entities
    lead = _utf16_len(text[: len(text) - len(text.lstrip())])
    total = _utf16_len(stripped)
    clipped: list[dict[str, Any]] = []
    for entity in entities:
        start = max(entity["offset"] - lead, 0)
        end = min(entity["offset"] + entity["length"] - lead, total)
        if end > start:
            clipped.append({**entity, "offset": start, "length": end - start})
    return stripped, clipped


def format_text(text: str, parse_mode: str | None) -> tuple[str, list[dict[str, Any]]]:
    """Message text as the user sees it (trimmed) with its entities; raises EntityParseError."""
    if parse_mode is not None and parse_mode.lower() == "html":
        plain, entities = parse_html(text)
    else:
        # MarkdownV2 is not emulated: the bot uses HTML; other text passes through unparsed.
        plain, entities = text, []
    return strip_text(plain, entities)


_BAD_MARKUP_JSON = "Bad Request: can't parse reply keyboard markup JSON object"


class MarkupError(ValueError):
    """A reply_markup Telegram refuses; str(error) is the full Bot API description."""


def decode_reply_markup(raw: object) -> dict[str, Any] | None:
    """reply_markup as a dict (form fields carry it as JSON text); validates inline keyboards."""
    if raw is None or raw == "":
        return None
    markup = raw
    if isinstance(raw, str):
        try:
            markup = json.loads(raw)
        except ValueError as exc:
            raise MarkupError(_BAD_MARKUP_JSON) from exc
    if not isinstance(markup, dict):
        raise MarkupError(_BAD_MARKUP_JSON)
    if "inline_keyboard" in markup:
        _check_inline_keyboard(markup["inline_keyboard"])
    return markup


def _check_inline_keyboard(rows: object) -> None:
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise MarkupError(
            'Bad Request: field "inline_keyboard" of the InlineKeyboardMarkup '
            "should be an Array of Arrays"
        )
    count = 0
    for row in rows:
        for button in row:
            count += 1
            if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                raise MarkupError(
                    "Bad Request: can't parse inline keyboard button: "
                    'Field "text" must be of type String'
                )
            actions = set(button) - {"text", "style"}
            if not actions:
                raise MarkupError(
                    "Bad Request: can't parse inline keyboard button: "
                    "Text buttons are unallowed in the inline keyboard"
                )
            if "callback_data" in button:
                data = button["callback_data"]
                if (
                    not isinstance(data, str)
                    or not data
                    or len(data.encode("utf-8")) > MAX_CALLBACK_DATA_BYTES
                ):
                    raise MarkupError("Bad Request: BUTTON_DATA_INVALID")
    if count > MAX_BUTTONS:
        raise MarkupError("Bad Request: reply markup is too long")
