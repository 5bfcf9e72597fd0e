"""Forged callback data for every prefix the bot answers: random, and real payloads mutated.

Whatever arrives, the press gets an answer and nothing raises."""

from __future__ import annotations

import string

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.account.callbacks import DeletePress
from tests.harness import World

# Payloads as the bot really makes them, one or more per prefix.
REAL = [
    "s1:agree",
    "s1:restart",
    "s1:continue:1",
    "q1:1:em_now:none",
    "q1:1:where:calves:1",
    "q1:1:where:~done",
    "q1:1:where:~back",
    "x1:yes:29400000",
    "x1:no:29400000",
    "d1:20261124:cramps:0",
    "d1:20261124:act:snooze",
    "r1:on",
    "r1:p7",
    "r1:t:0730",
    "r1:z:0800:Europe/Berlin",
    "r1:rg:0800:europe",
]
PREFIXES = sorted({p.split(":")[0] + ":" for p in REAL})
BIG = st.sampled_from(
    ["0", "-1", "999999999999", "9" * 10, "4294967296", "18446744073709551616", "1e9", ""]
)


@st.composite
def mutated(draw: st.DrawFn) -> str:
    parts = draw(st.sampled_from(REAL)).split(":")
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(parts) - 1))
        kind = draw(st.sampled_from(["number", "text", "drop", "add"]))
        if kind == "number":
            parts[at] = draw(BIG)
        elif kind == "text":
            parts[at] = draw(st.text(max_size=12))
        elif kind == "drop" and len(parts) > 1:
            parts.pop(at)
        else:
            parts.insert(at, draw(st.text(string.ascii_lowercase + string.digits, max_size=8)))
    return ":".join(parts)[:64]


RANDOM = st.builds(
    lambda prefix, rest: (prefix + rest)[:64], st.sampled_from(PREFIXES), st.text(max_size=40)
)


def test_delete_data_bounds_its_minute() -> None:
    assert DeletePress.parse("x1:yes:999999999999") is None
    parsed = DeletePress.parse("x1:no:29400000")
    assert parsed is not None and not parsed.confirm


async def test_forged_delete_payload_is_answered(world: World) -> None:
    alex = world.person()
    await alex.send("/start")
    await alex.press("I understand")
    answer = await alex.press_data(
        "x1:yes:999999999999", message_id=alex.last_message().message_id
    )
    assert answer  # "out of date", not silence
    assert "went wrong" not in alex.last_text()
    assert await world.storage.get_user(1001) is not None  # nothing deleted
    assert world.errors == []


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.one_of(mutated(), RANDOM))
@example(data="x1:yes:999999999999")
@example(data="q1:9999999999:em_now:none")
@example(data="d1:99991231:cramps:0")
@example(data="s1:continue:9999999999")
async def test_every_prefix_survives_forged_data(world: World, data: str) -> None:
    alex = world.person(user_id=2002)
    if await world.storage.get_user(2002) is None:
        await alex.send("/start")
        await alex.press("I understand")
    pressed = alex.last_message().message_id
    await alex.press_data(data.encode("utf-8", "replace").decode("utf-8"), message_id=pressed)
    assert world.errors == [], data
    assert all("went wrong" not in m.text for m in alex.messages()), data
