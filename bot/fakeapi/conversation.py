"""One person talking to the bot through the emulator, and knowing when the bot is done.

Used by the tests (tests/harness.py) and by `cramp-bot try`, so both wait the same way:

    alex = Conversation(emulator, 1001, idle_check=bot_is_idle)
    await alex.send("/start")
    answer = await alex.press("I agree")

How it knows the bot has finished handling something (no fixed sleeps anywhere):

1. The person's message or button press is queued in the emulator as an update U.
2. Wait until the bot has fetched U: a getUpdates answer contained U and the bot has polled again
   since. PTB's Updater puts every update of an answer into `Application.update_queue` before it
   polls again, so from then on U is in the application's hands
   (`BotApiEmulator.is_fetched`).
3. For a button press, wait until the bot answered that callback query (every press must be
   answered, or the person's button spins).
4. Wait until the bot is idle on several consecutive event-loop turns: `idle_check()` is true
   and no Bot API call is in flight in the emulator. Whoever runs the bot sets `idle_check`
   (here or once on the emulator), usually with `application_idle(app)`. Several turns,
   because PTB takes an update off the queue one turn before the task that processes it counts
   as running. Without an idle_check only the in-flight calls are watched, which is weaker:
   use it only for bots you cannot see into (a subprocess).

Each wait has a deadline (10 s by default); missing it raises HarnessTimeout (an
AssertionError) that says what never happened, so a hung bot fails loudly instead of hanging.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from bot.fakeapi.emulator import BotApiEmulator
from bot.fakeapi.records import HarnessTimeout, InlineButton, SentMessage

IDLE_TURNS = 5  # consecutive event-loop turns the bot must look idle

ButtonMatcher = str | Callable[[str], bool]


class NoSuchButton(AssertionError):
    """No button (or more than one) matches what the person asked to press."""


def application_idle(application: Any) -> Callable[[], bool]:
    """An idle check for a PTB Application: nothing queued and no update being processed."""

    def idle() -> bool:
        return bool(
            application.update_queue.empty()
            and application.update_processor.current_concurrent_updates == 0
        )

    return idle


class Conversation:
    """One person talking to the bot through the emulator (their private chat by default)."""

    def __init__(
        self,
        emulator: BotApiEmulator,
        user_id: int,
        *,
        chat_id: int | None = None,
        first_name: str = "Alex",
        language_code: str | None = "en",
        idle_check: Callable[[], bool] | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.emulator = emulator
        self.user_id = user_id
        self.chat_id = user_id if chat_id is None else chat_id
        self.idle_check = idle_check
        self.timeout = timeout
        emulator.user(user_id, first_name, language_code=language_code)
        if self.chat_id != user_id:
            emulator.group(self.chat_id)  # no-op when the caller registered it already

    # ------------------------------------------------------------------ acting

    async def send(self, text: str) -> None:
        """Sends a /command or free text; returns once the bot has finished handling it."""
        update_id = self.emulator.user_sends_text(self.user_id, self.chat_id, text)
        await self.settle(update_id)

    async def send_message(self, **fields: Any) -> None:
        """Sends any other message, e.g. `send_message(sticker={...})`; waits like send()."""
        update_id = self.emulator.user_sends_message(self.user_id, self.chat_id, **fields)
        await self.settle(update_id)

    async def press(self, label: ButtonMatcher, *, message_id: int | None = None) -> str:
        """Presses the button whose text is `label` (or contains it, or satisfies it when a
        predicate) in the newest message with a keyboard, or in `message_id`. The callback
        data is the one the bot put on that button. Returns the callback answer text."""
        message = self.keyboard_message(message_id)
        button = pick_button(message, label)
        assert button.callback_data is not None
        return await self.press_data(button.callback_data, message_id=message.message_id)

    async def press_data(self, data: str, *, message_id: int) -> str:
        """Presses a button carrying `data` (forged or stale data, for robustness tests)."""
        update_id, query_id = self.emulator.user_presses(
            self.user_id, self.chat_id, message_id, data
        )
        await self.settle(update_id, query_id=query_id)
        return str(self.emulator.callback_answers[query_id].get("text") or "")

    async def settle(self, update_id: int, *, query_id: str | None = None) -> None:
        """Waits until the bot has fetched update `update_id`, answered `query_id` (if given)
        and gone idle. Public for updates queued by other means (block(), add_raw_update())."""
        emulator = self.emulator
        await emulator.wait_until(
            lambda: emulator.is_fetched(update_id),
            within=self.timeout,
            what=f"the bot to fetch update {update_id} (is it polling getUpdates?)",
        )
        if query_id is not None:
            await emulator.wait_until(
                lambda: query_id in emulator.callback_answers,
                within=self.timeout,
                what=f"the bot to answer callback query {query_id} (answerCallbackQuery)",
            )
        await self.wait_idle()

    async def wait_idle(self) -> None:
        """Waits until the bot looks idle on IDLE_TURNS consecutive event-loop turns."""
        check = self.idle_check or self.emulator.idle_check
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout
        streak = 0
        while streak < IDLE_TURNS:
            await asyncio.sleep(0)
            idle = self.emulator.active_calls == 0 and (check is None or check())
            if idle:
                streak += 1
                continue
            streak = 0
            if loop.time() > deadline:
                raise HarnessTimeout(f"the bot was still busy after {self.timeout:g} s")
            await asyncio.sleep(0.001)  # busy: poll gently rather than spin

    # ------------------------------------------------------------------ looking

    def messages(self) -> list[SentMessage]:
        """The bot's messages in this chat as they are now (deleted ones left out)."""
        return self.emulator.messages(self.chat_id)

    def last_message(self) -> SentMessage:
        messages = self.messages()
        if not messages:
            raise AssertionError(f"the bot has sent nothing to chat {self.chat_id}")
        return messages[-1]

    def last_text(self) -> str:
        """The newest (lowest on screen) bot message's text as the person sees it."""
        return self.last_message().text

    def keyboard_message(self, message_id: int | None = None) -> SentMessage:
        """`message_id`, or the newest bot message that has an inline keyboard."""
        if message_id is not None:
            message = self.emulator.message(self.chat_id, message_id)
            if message is None or message.deleted:
                raise NoSuchButton(f"no message {message_id} in chat {self.chat_id}")
            return message
        message = self.newest_keyboard_message()
        if message is None:
            texts = [m.text[:60] for m in self.messages()[-3:]]
            raise NoSuchButton(f"no message with buttons in chat {self.chat_id}; last: {texts}")
        return message

    def newest_keyboard_message(self) -> SentMessage | None:
        """The newest bot message with an inline keyboard, or None."""
        for message in reversed(self.messages()):
            if message.keyboard:
                return message
        return None

    def buttons(self, message_id: int | None = None) -> list[str]:
        """Button labels of `message_id` or of the newest message with a keyboard ([] if none)."""
        try:
            return self.keyboard_message(message_id).button_labels
        except AssertionError:
            if message_id is not None:
                raise
            return []

    def callback_data(self, label: ButtonMatcher, *, message_id: int | None = None) -> str:
        data = pick_button(self.keyboard_message(message_id), label).callback_data
        assert data is not None
        return data


def pick_button(message: SentMessage, label: ButtonMatcher) -> InlineButton:
    """The one button of `message` whose text is `label`, else contains it, else contains it
    ignoring case (or satisfies it, for a predicate); NoSuchButton when none or several."""
    buttons = [button for row in message.keyboard for button in row]
    if callable(label):
        matches = [button for button in buttons if label(button.text)]
    else:
        matches = (
            [button for button in buttons if button.text == label]
            or [button for button in buttons if label in button.text]
            or [button for button in buttons if label.lower() in button.text.lower()]
        )
    labels = [button.text for button in buttons]
    if not matches:
        raise NoSuchButton(
            f"no button matching {label!r} in message {message.message_id}; buttons: {labels}"
        )
    if len(matches) > 1:
        found = [button.text for button in matches]
        raise NoSuchButton(
            f"{len(matches)} buttons match {label!r} in message {message.message_id}: {found}"
        )
    if matches[0].callback_data is None:
        raise NoSuchButton(f"button {matches[0].text!r} has no callback data (a URL button?)")
    return matches[0]
