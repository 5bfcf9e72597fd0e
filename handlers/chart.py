"""The /history chart on Telegram: the photo after the text strip, and its h1: buttons.

The drawing (bot/diary/chart.py) runs in a worker process through one paced ChartRenderer
(bot/diary/renderer.py) per application, so people asking for charts queue behind each
other, never in front of somebody else's button press.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from datetime import date
from typing import Any

from telegram import InputFile, InputMediaPhoto, Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden
from telegram.ext import CallbackQueryHandler

from bot.diary.chart import (
    MIN_RECORDED,
    ChartState,
    ChartWords,
    chart_buttons,
    chart_caption,
    chart_nights,
    chart_photo,
    count_nights,
    later_line,
)
from bot.diary.flow import user_zone
from bot.diary.renderer import ChartRenderer
from bot.diary.rules import DiaryRecord, Texts
from bot.storage import User
from bot.ui import Screen
from bot.wiring.updates import PerUserUpdateProcessor
from handlers.common import AnyApp, Context, answer_query, deps, markup, message_gone

log = logging.getLogger(__name__)

RENDERER_KEY = "chart_renderer"
TURN_KEY = "history_turn"
TURN_GAP = 0.02  # seconds between two people's turns (twenty strips: 0.4 s more for the last)
# A /history turn and a chart's upload wait this long at most for a moment when no press is
# being worked on (docs/benchmarks.md, section 4): under steady load, 2 s more for the
# twentieth of twenty strips asked for at once.
QUIET_WAIT = 0.1
PHOTO_NAME = "cramp-chart.jpg"
# After each drawing the drawing process rests as long again, and a drawing's turn lasts at
# least DRAWING_PACE seconds: a queue of charts takes half a core at most, and twenty charts
# asked for at once reach their people over a few seconds rather than in one burst of drawing
# and uploading that holds up everybody else's presses (docs/benchmarks.md, section 4).
DRAWING_REST = 1.0
DRAWING_PACE = 0.15


def renderer(context: Context) -> ChartRenderer:
    found = context.application.bot_data.get(RENDERER_KEY)
    if not isinstance(found, ChartRenderer):
        # A worker process, not a thread: measured in docs/benchmarks.md, a drawing thread
        # doubles other people's press latency while charts are drawn (the GIL).
        found = ChartRenderer(process=True, rest=DRAWING_REST, pace=DRAWING_PACE)
        context.application.bot_data[RENDERER_KEY] = found
    return found


Handler = Callable[[Update, Context], Coroutine[Any, Any, None]]


def paced(handler: Handler) -> Handler:
    """For the handlers that draw (/history, the chart buttons, /export): their update counts
    as away throughout (`PerUserUpdateProcessor.away`). They spend most of their time waiting
    for a drawing in its own process or for their /history turn, so twenty of them must not
    make the bot count as busy and pause its polling for everybody else's presses
    (bot/wiring/app.py; docs/benchmarks.md, section 4)."""

    @functools.wraps(handler)
    async def wrapper(update: Update, context: Context) -> None:
        processor = _processor(context)
        with processor.away() if processor is not None else contextlib.nullcontext():
            await handler(update, context)

    return wrapper


def _processor(context: Context) -> PerUserUpdateProcessor | None:
    # Another processor (a test's bare application) has no notion of away or quiet.
    processor = context.application.update_processor
    return processor if isinstance(processor, PerUserUpdateProcessor) else None


@contextlib.asynccontextmanager
async def history_turn(context: Context) -> AsyncIterator[None]:
    """One /history (or chart button) at a time reads its diary, makes its strip and, for
    /history, sends it. Twenty people asking in the same instant are then served one after
    another, and the others' presses take their turns in between, not behind forty storage
    trips and twenty sends at once (docs/benchmarks.md, section 4). A send that hangs holds
    the turn only until the HTTP client's timeout; the photos wait for the drawing, not for
    the turn."""
    turn = context.application.bot_data.get(TURN_KEY)
    if not isinstance(turn, asyncio.Semaphore):
        turn = asyncio.Semaphore(1)
        context.application.bot_data[TURN_KEY] = turn
    async with turn:
        await quiet_moment(context)
        yield
        # A breath before the next turn, so presses waiting behind this one go first.
        await asyncio.sleep(TURN_GAP)


async def quiet_moment(context: Context) -> None:
    """Waits (QUIET_WAIT at most) until no other update is being worked on."""
    processor = _processor(context)
    if processor is not None:
        await processor.quiet_moment(QUIET_WAIT)


def last_night(user: User | None, context: Context) -> date:
    today = deps(context).clock.now().astimezone(user_zone(user)).date()
    return date.fromordinal(today.toordinal() - 1)


def next_checkin_day(user: User | None) -> date | None:
    """The local day of the next morning check-in, when they are on."""
    if user is None or not user.reminders_on or user.reminder_slot_at is None:
        return None
    return user.reminder_slot_at.astimezone(user_zone(user)).date()


def not_yet_line(
    entries: Sequence[DiaryRecord], user: User | None, context: Context, texts: Texts
) -> str | None:
    """HTML to add under the strip when there are too few nights for a chart; else None."""
    marks = chart_nights(entries, last_night(user, context), ChartState().days)
    recorded = count_nights(marks).recorded
    if recorded >= MIN_RECORDED:
        return None
    return later_line(recorded, texts, next_checkin_day(user))


async def _draw(
    context: Context, entries: Sequence[DiaryRecord], user: User | None, state: ChartState
) -> tuple[bytes, Screen] | None:
    """The picture and its caption and buttons; None when there are too few nights."""
    texts = deps(context).content
    marks = chart_nights(entries, last_night(user, context), state.days)
    counts = count_nights(marks, state.factor)
    if counts.recorded < MIN_RECORDED:
        return None
    words = ChartWords.from_texts(texts, state.days, state.factor)
    photo = await renderer(context).run(chart_photo, marks, words, state.factor)
    caption = chart_caption(counts, texts, state.factor)
    return photo, Screen(caption, chart_buttons(state, texts))


async def send_chart(
    context: Context, chat_id: int, entries: Sequence[DiaryRecord], user: User | None
) -> bool:
    """Sends the 30-night chart as a photo; False (nothing sent) with too few nights."""
    drawn = await _draw(context, entries, user, ChartState())
    if drawn is None:
        return False
    photo, screen = drawn
    await quiet_moment(context)
    try:
        await _send_photo(context, chat_id, photo, screen)
    except Forbidden:
        log.info("could not send the chart: the user blocked the bot")
    return True


def _showing(keyboard_data: list[str], screen: Screen) -> bool:
    return keyboard_data == [button.data for button in screen.all_buttons()]


@paced
async def chart_button(update: Update, context: Context) -> None:
    """h1: presses: redraw the chart in the same message with the length or shading asked."""
    query = update.callback_query
    user, chat = update.effective_user, update.effective_chat
    if query is None or user is None or chat is None or query.data is None:
        return
    d = deps(context)
    state = ChartState.parse(query.data)
    message = query.message
    if state is None or message is None:
        await answer_query(query, d.content.raw_text("chart.stale"))
        return
    keyboard = message.reply_markup if isinstance(message, Message) else None
    current = [
        button.callback_data
        for row in (keyboard.inline_keyboard if keyboard is not None else ())
        for button in row
        if isinstance(button.callback_data, str)
    ]
    if _showing(current, Screen("", chart_buttons(state, d.content))):
        # A double tap, or Telegram delivering the press again: the chart already shows it.
        await answer_query(query)
        return
    async with history_turn(context):
        known, entries = await d.storage.user_and_diary(user.id)
    marks = chart_nights(entries, last_night(known, context), state.days)
    if count_nights(marks).recorded < MIN_RECORDED:
        # Their diary was deleted, or thinned out: this chart can no longer be drawn.
        await answer_query(query, d.content.raw_text("chart.stale"))
        await _drop_buttons(context, chat.id, message.message_id)
        return
    # Answered before drawing: the spinner stops at once, the picture follows.
    await answer_query(query)
    drawn = await _draw(context, entries, known, state)
    if drawn is not None:
        photo, screen = drawn
        await quiet_moment(context)
        await _replace_photo(context, chat.id, message.message_id, photo, screen)


async def _replace_photo(
    context: Context, chat_id: int, message_id: int, photo: bytes, screen: Screen
) -> None:
    media = InputMediaPhoto(
        photo, filename=PHOTO_NAME, caption=screen.text, parse_mode=ParseMode.HTML
    )
    try:
        await context.bot.edit_message_media(
            media, chat_id=chat_id, message_id=message_id, reply_markup=markup(screen)
        )
        return
    except BadRequest as error:
        if "not modified" in str(error.message).lower():
            return
        if not message_gone(error):
            raise
    # The message is gone or holds no picture (a forged press on a text): send a new one.
    await _send_photo(context, chat_id, photo, screen)


async def _send_photo(context: Context, chat_id: int, photo: bytes, screen: Screen) -> None:
    await context.bot.send_photo(
        chat_id,
        InputFile(photo, filename=PHOTO_NAME),
        caption=screen.text,
        reply_markup=markup(screen),
    )


async def _drop_buttons(context: Context, chat_id: int, message_id: int) -> None:
    # Already without buttons, or gone: nothing is left to press either way.
    with contextlib.suppress(BadRequest):
        await context.bot.edit_message_reply_markup(chat_id, message_id, reply_markup=None)


def register(application: AnyApp) -> None:
    application.add_handler(CallbackQueryHandler(chart_button, pattern=r"^h1:"))
