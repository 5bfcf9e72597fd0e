"""The peer of bench/load.py: the least a python-telegram-bot 22 app does for a button press.

    TELEGRAM_BOT_TOKEN=... TELEGRAM_API_BASE_URL=http://127.0.0.1:PORT/bot python bench/peer.py

It stores nothing and decides nothing: each press is answered (answerCallbackQuery) and then
the pressed message is edited, one after the other, as a minimal app would write it. It keeps
the shape of a cramp-bot conversation so the same virtual people can drive both: /start sends
a welcome with one button; that press removes the button and sends the first question; 14
questions follow (the third ticks a box, then Done), each press editing the one message; the
last edit shows a result without buttons. Texts are about as long as cramp-bot's.

Same python-telegram-bot, same ApplicationBuilder defaults (HTTP client, pool sizes, timeouts)
and the same polling settings as `cramp-bot run`; updates are handled concurrently, as
cramp-bot handles different people's updates. Standalone (no import from this repository), so
it can run under another interpreter: `python bench/load.py --peer-python /path/to/python`.
"""

from __future__ import annotations

import os

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import ApplicationBuilder, CallbackQueryHandler, CommandHandler, ContextTypes

QUESTIONS = 14
MULTI = 3  # the question where a box is ticked, then Done
FILLER = (
    "Please answer with the buttons below. Think of the last few weeks, not only of last "
    "night. If you are not sure, pick the answer that comes closest; you can go back."
)
WELCOME = (
    "<b>Hello!</b> This is the peer of the load benchmark. It stores nothing and only answers "
    "your presses.\n\n" + FILLER
)
RESULT = "<b>Done.</b>\n\n" + "\n\n".join([FILLER] * 6)
OPTIONS = ("Now and then", "Every week", "Most nights", "Hardly ever", "None of these")


def question(step: int, ticked: bool = False) -> tuple[str, InlineKeyboardMarkup]:
    text = f"<i>Question {step} of {QUESTIONS}</i>\n\nHow often does it come?\n\n<i>{FILLER}</i>"

    def button(label: str, option: str) -> InlineKeyboardButton:
        return InlineKeyboardButton(label, callback_data=f"p:{step}:{option}")

    back = button("« Back", "b")
    if step == MULTI:
        rows = [
            [button(("☑ " if ticked else "☐ ") + "Calves", "t")],
            [button("☐ Thighs", "u")],
            [button("☐ Feet", "v")],
            [back, button("Done »", "d")],
        ]
    else:
        rows = [[button(label, str(i))] for i, label in enumerate(OPTIONS)]
        rows.append([back])
    return text, InlineKeyboardMarkup(rows)


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    chat = update.effective_chat
    if chat is None:
        return
    agree = InlineKeyboardButton("I understand", callback_data="s1:agree")
    await context.bot.send_message(
        chat.id, WELCOME, parse_mode=ParseMode.HTML, reply_markup=InlineKeyboardMarkup([[agree]])
    )


async def agree(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query, chat = update.callback_query, update.effective_chat
    if query is None or chat is None:
        return
    await query.answer()
    await query.edit_message_text(WELCOME, parse_mode=ParseMode.HTML)
    text, keyboard = question(1)
    await context.bot.send_message(chat.id, text, parse_mode=ParseMode.HTML, reply_markup=keyboard)


async def press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    if query is None or query.data is None:
        return
    await query.answer()
    _, step_text, option = query.data.split(":")
    step = int(step_text)
    if option == "t":
        text, keyboard = question(step, ticked=True)
        await query.edit_message_text(text, parse_mode=ParseMode.HTML, reply_markup=keyboard)
        return
    if step >= QUESTIONS:
        await query.edit_message_text(RESULT, parse_mode=ParseMode.HTML)
        return
    text, keyboard = question(step + 1)
    await query.edit_message_text(text, parse_mode=ParseMode.HTML, reply_markup=keyboard)


def main() -> None:
    os.environ.setdefault("PTB_TIMEDELTA", "1")
    application = (
        ApplicationBuilder()
        .token(os.environ["TELEGRAM_BOT_TOKEN"])
        .base_url(os.environ["TELEGRAM_API_BASE_URL"])
        .concurrent_updates(256)
        .build()
    )
    application.add_handler(CommandHandler("start", start))
    application.add_handler(CallbackQueryHandler(agree, pattern=r"^s1:"))
    application.add_handler(CallbackQueryHandler(press, pattern=r"^p:"))
    # cramp-bot run polls with timeout=10 and no pause between polls, for every update type.
    application.run_polling(poll_interval=0.0, timeout=10, allowed_updates=Update.ALL_TYPES)


if __name__ == "__main__":
    main()
