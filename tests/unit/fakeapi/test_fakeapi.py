"""The fake Bot API answers like Telegram, so the end-to-end tests can trust what it accepts.

Driven with python-telegram-bot's own Bot over real HTTP (its production HTTPXRequest), so each
rejection is checked twice: Telegram's exact text in the emulator, and the exception class PTB
raises for it. The last tests drive the harness against a tiny PTB application.
"""

from __future__ import annotations

import asyncio
import datetime as dtm
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from telegram import (
    Bot,
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    Message,
    Update,
)
from telegram.error import BadRequest, Forbidden, InvalidToken, NetworkError, RetryAfter
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
)
from telegram.request import HTTPXRequest

from bot.fakeapi.emulator import BotApiEmulator
from bot.fakeapi.http import FakeBotApiServer
from bot.fakeapi.inprocess import InProcessRequest
from bot.fakeapi.markup import parse_html
from bot.fakeapi.records import NOT_MODIFIED, QUERY_TOO_OLD
from tests.harness import HarnessTimeout, TelegramUser

USER = 1001
Markup = InlineKeyboardMarkup


class FrozenClock:
    def __init__(self, start: float = 1_790_000_000.0) -> None:
        self.value = start

    def __call__(self) -> float:
        return self.value


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


@pytest.fixture
def emulator(clock: FrozenClock) -> BotApiEmulator:
    emulator = BotApiEmulator(now=clock)
    emulator.user(USER, "Alex")
    return emulator


@pytest.fixture
async def server(emulator: BotApiEmulator) -> AsyncIterator[FakeBotApiServer]:
    async with FakeBotApiServer(emulator) as server:
        yield server


@pytest.fixture
async def bot(emulator: BotApiEmulator, server: FakeBotApiServer) -> AsyncIterator[Bot]:
    async with Bot(emulator.token, base_url=server.base_url) as bot:
        yield bot


def keyboard(*data: str) -> Markup:
    return Markup([[InlineKeyboardButton(f"Button {d}", callback_data=d)] for d in data])


def last_error(emulator: BotApiEmulator) -> tuple[str, int, str]:
    return emulator.errors[-1]


# ---------------------------------------------------------------------- sending and editing


async def test_get_me_and_a_sent_message_are_recorded(bot: Bot, emulator: BotApiEmulator) -> None:
    assert bot.username == "cramp_test_bot"
    sent = await bot.send_message(
        USER, "<b>Hello</b> &amp; welcome", parse_mode="HTML", reply_markup=keyboard("a")
    )
    assert sent.text == "Hello & welcome"
    assert sent.entities[0].type == "bold"
    [message] = emulator.messages(USER)
    assert (message.text, message.html) == ("Hello & welcome", "<b>Hello</b> &amp; welcome")
    assert message.button_labels == ["Button a"]
    assert message.keyboard[0][0].callback_data == "a"


async def test_identical_edit_is_not_modified(bot: Bot, emulator: BotApiEmulator) -> None:
    sent = await bot.send_message(USER, "<i>Q1</i>", parse_mode="HTML", reply_markup=keyboard("a"))
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_text(
            "<em>Q1</em>", USER, sent.message_id, parse_mode="HTML", reply_markup=keyboard("a")
        )
    assert last_error(emulator) == ("editMessageText", 400, NOT_MODIFIED)
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_reply_markup(USER, sent.message_id, reply_markup=keyboard("a"))


async def test_edits_replace_text_and_drop_an_omitted_keyboard(
    bot: Bot, emulator: BotApiEmulator
) -> None:
    sent = await bot.send_message(USER, "Q1", reply_markup=keyboard("a"))
    await bot.edit_message_text("Q2", USER, sent.message_id, reply_markup=keyboard("b"))
    assert emulator.messages(USER)[0].button_labels == ["Button b"]
    await bot.edit_message_text("Result", USER, sent.message_id)
    [message] = emulator.messages(USER)
    assert (message.text, message.reply_markup) == ("Result", None)
    assert [event.kind for event in emulator.history(USER)] == ["sent", "edited", "edited"]
    assert [event.text for event in emulator.history(USER)] == ["Q1", "Q2", "Result"]


async def test_too_long_counts_the_text_after_entity_parsing(
    bot: Bot, emulator: BotApiEmulator
) -> None:
    await bot.send_message(USER, "<b>" + "&amp;" * 4096 + "</b>", parse_mode="HTML")
    assert len(emulator.messages(USER)[0].text) == 4096
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(USER, "&amp;" * 4097, parse_mode="HTML")
    assert last_error(emulator)[2] == "Bad Request: message is too long"


@pytest.mark.parametrize("text", ["", "   ", "<b> </b>"])
async def test_empty_text_is_refused(bot: Bot, emulator: BotApiEmulator, text: str) -> None:
    with pytest.raises(BadRequest, match="Message text is empty"):
        await bot.send_message(USER, text, parse_mode="HTML")
    assert last_error(emulator)[2] == "Bad Request: message text is empty"


@pytest.mark.parametrize(
    ("html", "reason"),
    [
        ("<foo>x</foo>", 'Unsupported start tag "foo" at byte offset 0'),
        ("1 < 2", 'Unsupported start tag "" at byte offset 2'),
        ("é <br>", 'Unsupported start tag "br" at byte offset 3'),
        ("<b>bold", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("x <b", "Unclosed start tag at byte offset 2"),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
    ],
)
async def test_broken_html_is_refused_with_telegrams_text(
    bot: Bot, emulator: BotApiEmulator, html: str, reason: str
) -> None:
    with pytest.raises(BadRequest, match="Can't parse entities"):
        await bot.send_message(USER, html, parse_mode="HTML")
    assert last_error(emulator) == (
        "sendMessage",
        400,
        f"Bad Request: can't parse entities: {reason}",
    )
    assert emulator.messages(USER) == []


def test_every_allowed_tag_parses_with_utf16_offsets() -> None:
    html = (
        "😀<b>b</b><strong>s</strong><i>i</i><em>e</em><u>u</u><ins>n</ins><s>s</s>"
        '<strike>k</strike><del>d</del><span class="tg-spoiler">p</span><tg-spoiler>t</tg-spoiler>'
        '<a href="https://example.org/?a=1&amp;b=2">link</a><code>c</code>'
        '<pre><code class="language-python">x = 1</code></pre><blockquote>q</blockquote>'
        "&lt;&gt;&quot;&#65;&#x42;&nbsp;"
    )
    text, entities = parse_html(html)
    assert text == '😀bsieunskdptlinkcx = 1q<>"AB&nbsp;'
    kinds = [entity["type"] for entity in entities]
    assert kinds[:2] == ["bold", "bold"]
    assert entities[0]["offset"] == 2  # the emoji is two UTF-16 code units
    assert {"spoiler", "text_link", "code", "pre", "blockquote", "strikethrough"} <= set(kinds)
    link = next(entity for entity in entities if entity["type"] == "text_link")
    assert link["url"] == "https://example.org/?a=1&b=2"
    pre = next(entity for entity in entities if entity["type"] == "pre")
    assert pre["language"] == "python"


# ---------------------------------------------------------------------- keyboards and callbacks


async def test_callback_data_is_limited_to_64_bytes(bot: Bot, emulator: BotApiEmulator) -> None:
    await bot.send_message(USER, "ok", reply_markup=keyboard("x" * 64))
    for bad in ("x" * 65, "é" * 33):
        with pytest.raises(BadRequest, match="Button_data_invalid"):
            await bot.send_message(USER, "too long", reply_markup=keyboard(bad))
        assert last_error(emulator)[2] == "Bad Request: BUTTON_DATA_INVALID"
    assert len(emulator.messages(USER)) == 1


async def test_empty_callback_data_is_refused(emulator: BotApiEmulator) -> None:
    markup = '{"inline_keyboard": [[{"text": "A", "callback_data": ""}]]}'
    status, body = await emulator.call(
        "sendMessage", {"chat_id": str(USER), "text": "x", "reply_markup": markup}
    )
    assert (status, body["description"]) == (400, "Bad Request: BUTTON_DATA_INVALID")


async def test_more_than_100_buttons_is_too_long(bot: Bot, emulator: BotApiEmulator) -> None:
    rows = [[InlineKeyboardButton(str(i), callback_data=str(i))] for i in range(101)]
    with pytest.raises(BadRequest, match="Reply markup is too long"):
        await bot.send_message(USER, "many", reply_markup=Markup(rows))
    assert last_error(emulator)[2] == "Bad Request: reply markup is too long"


async def test_a_callback_query_can_be_answered_once(bot: Bot, emulator: BotApiEmulator) -> None:
    sent = await bot.send_message(USER, "Q", reply_markup=keyboard("a"))
    _, query_id = emulator.user_presses(USER, USER, sent.message_id, "a")
    with pytest.raises(BadRequest, match="Message_too_long"):
        await bot.answer_callback_query(query_id, text="x" * 201)
    assert await bot.answer_callback_query(query_id, text="Saved")
    assert emulator.callback_answers[query_id]["text"] == "Saved"
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_callback_query(query_id)
    assert last_error(emulator)[2] == QUERY_TOO_OLD
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_callback_query("12345")


async def test_a_press_carries_the_message_as_it_is_now(
    bot: Bot, emulator: BotApiEmulator
) -> None:
    sent = await bot.send_message(USER, "Q1", reply_markup=keyboard("a"))
    await bot.edit_message_text("Q2", USER, sent.message_id, reply_markup=keyboard("b"))
    update_id, query_id = emulator.user_presses(USER, USER, sent.message_id, "b")
    [update] = await bot.get_updates()
    assert update.update_id == update_id
    assert update.callback_query is not None
    assert (update.callback_query.id, update.callback_query.data) == (query_id, "b")
    assert isinstance(update.callback_query.message, Message)
    assert update.callback_query.message.text == "Q2"


async def test_group_messages_and_presses_name_who_acted(
    bot: Bot, emulator: BotApiEmulator
) -> None:
    emulator.group(-500, "Night owls")
    emulator.user(2002, "Sam")
    first = emulator.user_sends_text(USER, -500, "/start@cramp_test_bot")
    sent = await bot.send_message(-500, "Private chats only", reply_markup=keyboard("s1:agree"))
    second, _ = emulator.user_presses(2002, -500, sent.message_id, "s1:agree")
    message_update, press_update = await bot.get_updates()
    assert [message_update.update_id, press_update.update_id] == [first, second]
    assert message_update.message is not None
    assert message_update.message.chat.type == "group"
    assert message_update.message.entities[0].length == len("/start@cramp_test_bot")
    assert press_update.callback_query is not None
    assert press_update.callback_query.from_user.id == 2002
    assert press_update.effective_chat is not None
    assert press_update.effective_chat.id == -500


async def test_deleted_and_unknown_messages(bot: Bot, emulator: BotApiEmulator) -> None:
    sent = await bot.send_message(USER, "Q")
    assert await bot.delete_message(USER, sent.message_id)
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("Q2", USER, sent.message_id)
    assert last_error(emulator)[2] == "Bad Request: message to edit not found"
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("Q2", USER, 999)
    with pytest.raises(BadRequest, match="Message to delete not found"):
        await bot.delete_message(USER, sent.message_id)
    assert emulator.messages(USER) == []
    assert emulator.messages(USER, include_deleted=True)[0].deleted


async def test_unknown_chat_and_blocked_user(bot: Bot, emulator: BotApiEmulator) -> None:
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(777, "hello")
    assert last_error(emulator)[2] == "Bad Request: chat not found"
    update_id = emulator.block(USER)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(USER, "good morning")
    assert last_error(emulator) == ("sendMessage", 403, "Forbidden: bot was blocked by the user")
    emulator.unblock(USER)
    await bot.send_message(USER, "welcome back")
    updates = await bot.get_updates()
    member_updates = [u.my_chat_member for u in updates if u.my_chat_member is not None]
    assert updates[0].update_id == update_id
    assert [m.new_chat_member.status for m in member_updates] == ["kicked", "member"]


async def test_wrong_token_is_unauthorized(
    emulator: BotApiEmulator, server: FakeBotApiServer
) -> None:
    with pytest.raises(InvalidToken):
        async with Bot("1234567890:wrong", base_url=server.base_url):
            pass
    assert last_error(emulator) == ("getMe", 401, "Unauthorized")


async def test_method_names_are_case_insensitive_and_form_values_decoded(
    emulator: BotApiEmulator,
) -> None:
    markup = '{"inline_keyboard": [[{"text": "Go", "callback_data": "go"}]]}'
    status, body = await emulator.call(
        "SENDMESSAGE", {"chat_id": str(USER), "text": "hi", "reply_markup": markup}
    )
    assert status == 200
    assert body["result"]["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "go"
    assert emulator.calls[-1][0] == "sendMessage"
    status, body = await emulator.call("noSuchMethod", {})
    assert (status, body["description"]) == (404, "Not Found")


async def test_set_my_commands_is_validated(bot: Bot, emulator: BotApiEmulator) -> None:
    await bot.set_my_commands([BotCommand("start", "Begin"), BotCommand("check", "Again")])
    assert [c.command for c in await bot.get_my_commands()] == ["start", "check"]
    assert emulator.commands()[0] == {"command": "start", "description": "Begin"}
    cases = [
        (BotCommand("Start", "x"), "Bad Request: BOT_COMMAND_INVALID"),
        (BotCommand("a" * 33, "x"), "Bad Request: command length must not exceed 32"),
        (BotCommand("help", " "), "Bad Request: command description must be non-empty"),
        (
            BotCommand("help", "x" * 257),
            "Bad Request: command description length must not exceed 256",
        ),
    ]
    for command, description in cases:
        with pytest.raises(BadRequest):
            await bot.set_my_commands([command])
        assert last_error(emulator)[2] == description


# ---------------------------------------------------------------------- faults


async def test_injected_429_raises_retry_after(
    bot: Bot, emulator: BotApiEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "1")
    emulator.inject(
        "sendMessage", status=429, description="Too Many Requests: retry after 5", retry_after=5
    )
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(USER, "one")
    assert caught.value.retry_after == dtm.timedelta(seconds=5)
    await bot.send_message(USER, "two")
    assert [m.text for m in emulator.messages(USER)] == ["two"]
    assert emulator.stats.rate_limited == 1


async def test_injected_errors_fail_the_next_n_calls(bot: Bot, emulator: BotApiEmulator) -> None:
    emulator.inject(
        "sendMessage", status=403, description="Forbidden: user is deactivated", times=2
    )
    for _ in range(2):
        with pytest.raises(Forbidden, match="user is deactivated"):
            await bot.send_message(USER, "x")
    await bot.send_message(USER, "third")
    assert emulator.stats.errors[("sendMessage", 403)] == 2


async def test_flood_mode_answers_429_past_the_limit(
    bot: Bot, emulator: BotApiEmulator, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "1")
    emulator.flood_limit(2)
    await bot.send_message(USER, "1")
    await bot.send_message(USER, "2")
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(USER, "3")
    assert caught.value.retry_after == dtm.timedelta(seconds=1)
    assert last_error(emulator) == ("sendMessage", 429, "Too Many Requests: retry after 1")
    clock.value += 1.0
    await bot.send_message(USER, "4")
    assert [m.text for m in emulator.messages(USER)] == ["1", "2", "4"]
    assert emulator.stats.rate_limited == 1
    assert emulator.stats.calls["sendMessage"] == 4


@pytest.mark.parametrize(("when", "delivered"), [("before", []), ("after", ["lost answer"])])
async def test_network_error_drops_the_connection(
    bot: Bot, emulator: BotApiEmulator, when: Any, delivered: list[str]
) -> None:
    emulator.inject_network_error("sendMessage", 1, when=when)
    with pytest.raises(NetworkError):
        await bot.send_message(USER, "lost answer")
    assert [m.text for m in emulator.messages(USER)] == delivered
    await bot.send_message(USER, "next")
    assert emulator.messages(USER)[-1].text == "next"


# ---------------------------------------------------------------------- updates and files


async def test_long_poll_wakes_on_a_new_update(
    emulator: BotApiEmulator, server: FakeBotApiServer
) -> None:
    # Separate request objects, as an Application has: the long poll must not block a send.
    async with Bot(
        emulator.token,
        base_url=server.base_url,
        get_updates_request=HTTPXRequest(read_timeout=60),
    ) as bot:
        poll = asyncio.create_task(bot.get_updates(timeout=50))
        await emulator.wait_until(
            lambda: emulator.stats.calls["getUpdates"] == 1, what="the long poll to arrive"
        )
        await bot.send_message(USER, "sent while a poll waits")
        update_id = emulator.user_sends_text(USER, USER, "/start now")
        async with asyncio.timeout(10):  # fails, instead of hanging, if the poll never wakes
            updates = await poll
    assert [u.update_id for u in updates] == [update_id]
    message = updates[0].message
    assert message is not None
    assert message.text == "/start now"
    assert message.entities[0].type == "bot_command"
    assert message.entities[0].length == len("/start")
    assert not emulator.is_fetched(update_id)  # the bot has not polled again yet


async def test_offset_confirms_and_redeliver_hands_out_again(
    bot: Bot, emulator: BotApiEmulator
) -> None:
    first = emulator.user_sends_text(USER, USER, "one")
    second = emulator.user_sends_text(USER, USER, "two")
    assert [u.update_id for u in await bot.get_updates()] == [first, second]
    assert [u.update_id for u in await bot.get_updates(offset=second + 1)] == []
    assert emulator.is_fetched(second)
    emulator.redeliver(second)
    assert [u.update_id for u in await bot.get_updates(offset=second + 1)] == [second]
    assert [u.update_id for u in await bot.get_updates(offset=second + 1)] == []


async def test_a_second_poller_terminates_the_first(
    emulator: BotApiEmulator, server: FakeBotApiServer
) -> None:
    async with (
        Bot(emulator.token, base_url=server.base_url) as first,
        Bot(emulator.token, base_url=server.base_url) as second,
    ):
        poll = asyncio.create_task(first.get_updates(timeout=30, read_timeout=40))
        await emulator.wait_until(lambda: emulator.stats.calls["getUpdates"] == 1)
        assert await second.get_updates(timeout=0) == ()
        with pytest.raises(Exception, match="terminated by other getUpdates request"):
            await poll


async def test_multipart_document_arrives_byte_for_byte(
    bot: Bot, emulator: BotApiEmulator
) -> None:
    data = b"night,severity\r\n--boundary-lookalike\r\n\x00\xff\xfe2026-11-25,3\r\n"
    sent = await bot.send_document(
        USER,
        InputFile(data, filename='diary "export".csv'),
        caption="<b>Your diary</b>",
        parse_mode="HTML",
    )
    assert sent.document is not None
    assert sent.document.file_size == len(data)
    [document] = emulator.documents(USER)
    assert (document.data, document.file_name, document.caption) == (
        data,
        'diary "export".csv',
        "Your diary",
    )
    await bot.send_document(USER, sent.document.file_id)  # a known file_id is re-sent
    assert emulator.documents(USER)[1].data == data


async def test_many_concurrent_connections(
    emulator: BotApiEmulator, server: FakeBotApiServer
) -> None:
    request = HTTPXRequest(connection_pool_size=64)
    async with Bot(emulator.token, base_url=server.base_url, request=request) as bot:
        await asyncio.gather(*(bot.send_message(USER, f"m{i}") for i in range(200)))
    assert sorted(m.text for m in emulator.messages(USER)) == sorted(f"m{i}" for i in range(200))


async def test_json_bodies_query_strings_and_unknown_paths(
    emulator: BotApiEmulator, server: FakeBotApiServer
) -> None:
    base = f"{server.base_url}{emulator.token}"
    async with httpx.AsyncClient() as client:
        sent = await client.post(
            f"{base}/sendMessage",
            json={"chat_id": USER, "text": "json", "reply_markup": {"inline_keyboard": []}},
        )
        got = await client.get(f"{base}/getMe?x=1")
        missing = await client.post(f"http://127.0.0.1:{server.port}/nothing")
    assert sent.status_code == 200
    assert sent.json()["result"]["text"] == "json"
    assert got.json()["result"]["username"] == "cramp_test_bot"
    assert (missing.status_code, missing.json()["description"]) == (404, "Not Found")


async def test_in_process_request(emulator: BotApiEmulator) -> None:
    request = InProcessRequest(emulator)
    async with Bot(emulator.token, request=request, get_updates_request=request) as bot:
        await bot.send_message(USER, "<b>hi</b>", parse_mode="HTML", reply_markup=keyboard("a"))
        await bot.send_document(USER, InputFile(b"abc", filename="x.csv"))
        emulator.inject_network_error("sendMessage")
        with pytest.raises(NetworkError):
            await bot.send_message(USER, "dropped")
        with pytest.raises(BadRequest, match="Can't parse entities"):
            await bot.send_message(USER, "<b>", parse_mode="HTML")
        update_id = emulator.user_sends_text(USER, USER, "hello")
        assert [u.update_id for u in await bot.get_updates()] == [update_id]
    assert [m.text for m in emulator.messages(USER)] == ["hi", ""]
    assert emulator.documents(USER)[0].data == b"abc"
    with pytest.raises(InvalidToken):
        async with Bot("1234567890:wrong", request=InProcessRequest(emulator)):
            pass


# ---------------------------------------------------------------------- the harness

Handler = Callable[[Update, ContextTypes.DEFAULT_TYPE], Any]


async def _start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_text(
        "Pick one",
        reply_markup=Markup(
            [
                [InlineKeyboardButton("Calves", callback_data="q1:calf")],
                [InlineKeyboardButton("Thighs", callback_data="q1:thigh")],
            ]
        ),
    )


async def _three(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    for n in range(3):
        await asyncio.sleep(0.01)  # a slow handler: the harness must wait for all of it
        await update.effective_message.reply_text(f"part {n}")


async def _pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None and query.data is not None
    await query.answer("Noted")
    await query.edit_message_text(f"You chose {query.data.removeprefix('q1:')}")


@asynccontextmanager
async def running_app(
    emulator: BotApiEmulator, server: FakeBotApiServer
) -> AsyncIterator[Application[Any, Any, Any, Any, Any, Any]]:
    app = (
        ApplicationBuilder()
        .token(emulator.token)
        .base_url(server.base_url)
        .concurrent_updates(True)
        .build()
    )
    app.add_handler(CommandHandler("start", _start))
    app.add_handler(CommandHandler("three", _three))
    app.add_handler(CallbackQueryHandler(_pressed))
    errors: list[object] = []

    async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        errors.append(context.error)

    app.add_error_handler(on_error)
    async with app:
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0.0, timeout=1)
        await app.start()
        emulator.idle_check = lambda: (
            app.update_queue.empty() and app.update_processor.current_concurrent_updates == 0
        )
        try:
            yield app
        finally:
            await app.updater.stop()
            await app.stop()
    assert errors == []


async def test_harness_send_press_and_wait(
    emulator: BotApiEmulator, server: FakeBotApiServer
) -> None:
    alex = TelegramUser(emulator, USER)
    async with running_app(emulator, server):
        await alex.send("/start")
        assert alex.last_text() == "Pick one"
        assert alex.buttons() == ["Calves", "Thighs"]
        assert await alex.press("Calv") == "Noted"
        assert alex.last_text() == "You chose calf"
        assert alex.buttons() == []
        await alex.send("/three")
        assert [m.text for m in alex.messages()][-3:] == ["part 0", "part 1", "part 2"]
        await alex.send("/start")
        with pytest.raises(AssertionError, match=r"buttons: \['Calves', 'Thighs'\]"):
            await alex.press("Arms")
        assert await alex.press_data("q1:forged", message_id=alex.last_message().message_id) == (
            "Noted"
        )
        assert alex.last_text() == "You chose forged"


async def test_harness_fails_clearly_when_the_bot_is_not_polling(
    emulator: BotApiEmulator,
) -> None:
    alex = TelegramUser(emulator, USER, timeout=0.2)
    with pytest.raises(HarnessTimeout, match="fetch update"):
        await alex.send("/start")
