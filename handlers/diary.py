"""/history, /insights and /export: the diary as the person reads it, and their data as files."""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import CommandHandler

from bot.diary.export import ANSWERED, diary_csv, everything_json, night_status
from bot.diary.flow import user_zone
from bot.diary.report_pdf import PageTexts, last_questionnaire, make_report
from bot.diary.rules import history_view, insights_view
from bot.storage import User
from handlers.chart import history_turn, not_yet_line, paced, renderer, send_chart
from handlers.checkin import texts_of
from handlers.common import AnyApp, Context, deps, reply_text

CSV_NAME = "cramp-diary.csv"
JSON_NAME = "cramp-bot-data.json"
REPORT_NAME = "cramp-report.pdf"


def _today(user: User | None, context: Context) -> date:
    return deps(context).clock.now().astimezone(user_zone(user)).date()


@paced
async def history_command(update: Update, context: Context) -> None:
    """The last 30 nights as a strip of symbols, counts and the trend."""
    user = update.effective_user
    if user is None:
        return
    d = deps(context)
    async with history_turn(context):
        known, entries = await d.storage.user_and_diary(user.id)
        text = history_view(entries, _today(known, context), texts=texts_of(d))
        later = not_yet_line(entries, known, context, texts_of(d))
        if later is not None:
            text = f"{text}\n\n{later}"
        await reply_text(update, context, text)
    chat = update.effective_chat
    if later is None and chat is not None:
        # After the strip, which stays: it comes at once and a screen reader can read it.
        await send_chart(context, chat.id, entries, known)


async def insights_command(update: Update, context: Context) -> None:
    """Cautious counts per factor: cramp nights with and without it."""
    user = update.effective_user
    if user is None:
        return
    d = deps(context)
    entries = await d.storage.list_diary(user.id)
    await reply_text(update, context, insights_view(entries, texts=texts_of(d)))


@paced
async def export_command(update: Update, context: Context) -> None:
    """Everything stored about the person: the answered nights as CSV, everything as JSON."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    d = deps(context)
    if chat.type != ChatType.PRIVATE or chat.id != user.id:
        # Health data goes only to the person's own private chat, never where others read.
        await reply_text(update, context, d.content.text("group.private_only"))
        return
    known = await d.storage.get_user(user.id)
    if known is None:
        await reply_text(update, context, d.content.text("export.nothing"))
        return
    assessments = await d.storage.list_assessments(user.id)
    answers = await d.storage.list_answers(user.id)
    nights = await d.storage.list_diary(user.id)
    nudges = await d.storage.list_nudges(user.id)
    answered = [entry for entry in nights if night_status(entry) == ANSWERED]
    if answered:
        await context.bot.send_document(
            chat.id,
            document=diary_csv(nights, user_zone(known)),
            filename=CSV_NAME,
            caption=d.content.raw_text("export.caption.csv"),
            parse_mode=None,  # captions are plain text, unlike every message
        )
    user_row: dict[str, Any] = dataclasses.asdict(known)
    user_row.pop("awaiting", None)  # a passing conversation state, not data about them
    document = everything_json(
        user_row, [dataclasses.asdict(a) for a in assessments], answers, nights, nudges
    )
    # Even with no answers yet the row says when they started, their consent and settings.
    await context.bot.send_document(
        chat.id,
        document=document,
        filename=JSON_NAME,
        caption=d.content.raw_text("export.caption.everything"),
        parse_mode=None,
    )
    questionnaire = last_questionnaire(d.content, assessments, answers, user_zone(known))
    if answered or questionnaire is not None:
        report = await renderer(context).run(
            make_report,
            PageTexts.of(d.content),
            entries=nights,
            nudges=nudges,
            questionnaire=questionnaire,
            today=_today(known, context),
            zone=user_zone(known),
        )
        await context.bot.send_document(
            chat.id,
            document=report,
            filename=REPORT_NAME,
            caption=d.content.raw_text("export.caption.report"),
        )
    if not answered:
        key = "export.no_answered_nights" if nights else "export.no_diary"
        await reply_text(update, context, d.content.text(key))


def register(application: AnyApp) -> None:
    application.add_handler(CommandHandler("history", history_command))
    application.add_handler(CommandHandler("insights", insights_command))
    application.add_handler(CommandHandler("export", export_command))
