"""The fake Bot API refuses, with Telegram's error, what Telegram could never hand out or
accept, instead of wedging the bot's long poll on an answer it cannot serialise."""

from __future__ import annotations

import pytest

from bot.fakeapi.records import ApiError, UploadedFile
from tests.harness import START, World

LONE_SURROGATE = "cramp \ud800 at night"


def message(text: str) -> dict[str, object]:
    return {
        "message": {
            "message_id": 500,
            "from": {"id": 1001, "is_bot": False, "first_name": "Alex"},
            "chat": {"id": 1001, "type": "private", "first_name": "Alex"},
            "date": int(START.timestamp()),
            "text": text,
        }
    }


@pytest.mark.parametrize(
    ("update", "description"),
    [
        ({}, "the update is empty"),
        ({"update_id": 99}, "the update is empty"),
        (message(LONE_SURROGATE), "strings must be encoded in UTF-8"),
    ],
)
async def test_unserialisable_update_is_refused_and_polling_goes_on(
    world: World, update: dict[str, object], description: str
) -> None:
    alex = world.person()
    with pytest.raises(ApiError) as refused:
        world.emulator.add_raw_update(update)
    assert refused.value.status == 400 and description in refused.value.description
    await alex.send("/help")
    assert "/start" in alex.last_text()
    assert world.errors == []


async def test_a_call_with_a_lone_surrogate_gets_telegrams_error(world: World) -> None:
    world.emulator.user(1001, "Alex")
    status, body = await world.emulator.call(
        "sendMessage", {"chat_id": 1001, "text": LONE_SURROGATE}
    )
    assert status == 400
    assert body["description"] == "Bad Request: strings must be encoded in UTF-8"


async def test_an_upload_is_checked_by_its_name_not_its_bytes(world: World) -> None:
    world.emulator.user(1001, "Alex")
    # Bytes that are not UTF-8 are a file's business; a file name must be UTF-8.
    not_utf8 = b"\xff\xd8\xff\xe0\xed\xa0\x80" * 10
    status, body = await world.emulator.call(
        "sendPhoto", {"chat_id": 1001, "photo": UploadedFile(LONE_SURROGATE, not_utf8)}
    )
    assert status == 400
    assert body["description"] == "Bad Request: strings must be encoded in UTF-8"
    status, body = await world.emulator.call(
        "sendPhoto", {"chat_id": 1001, "photo": UploadedFile("chart.jpg", not_utf8)}
    )
    # Past the UTF-8 check, to the picture's own: these bytes are no image.
    assert status == 400
    assert body["description"] == "Bad Request: IMAGE_PROCESS_FAILED"
