"""/history, /insights and /export: the diary as the person reads it, and their data as files."""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any

from telegram import Update
from telegram.ext import CommandHandler

from bot.checkin_flow import SKIPPED, user_zone
from bot.diary import history_view, insights_view
from bot.export import diary_csv, everything_json
from bot.storage import DiaryEntry, User
from handlers.checkin import texts_of
from handlers.common import AnyApp, Context, deps, reply_text

CSV_NAME = "cramp-diary.csv"
JSON_NAME = "cramp-bot-data.json"


def _answered(entries: list[DiaryEntry]) -> list[DiaryEntry]:
    """Nights with at least one answer: a check-in that was sent but never touched is no entry."""
    return [
        entry
        for entry in entries
        if any(v is not None for k, v in entry.answers.items() if k != SKIPPED)
    ]


def _today(user: User | None, context: Context) -> date:
    return deps(context).clock.now().astimezone(user_zone(user)).date()


async def history_command(update: Update, context: Context) -> None:
    """The last 30 nights as a strip of symbols, counts and the trend."""
    user = update.effective_user
    if user is None:
        return
    d = deps(context)
    known = await d.storage.get_user(user.id)
    entries = await d.storage.list_diary(user.id) if known is not None else []
    text = history_view(entries, _today(known, context), texts=texts_of(d))
    await reply_text(update, context, text)


async def insights_command(update: Update, context: Context) -> None:
    """Cautious counts per factor: cramp nights with and without it."""
    user = update.effective_user
    if user is None:
        return
    d = deps(context)
    entries = await d.storage.list_diary(user.id)
    await reply_text(update, context, insights_view(entries, texts=texts_of(d)))


async def export_command(update: Update, context: Context) -> None:
    """Everything stored about the person: the diary as CSV, the rest as JSON."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    d = deps(context)
    known = await d.storage.get_user(user.id)
    if known is None:
        await reply_text(update, context, d.content.text("export.nothing"))
        return
    assessments = await d.storage.list_assessments(user.id)
    answers = await d.storage.list_answers(user.id)
    diary = _answered(await d.storage.list_diary(user.id))
    if not assessments and not diary:
        await reply_text(update, context, d.content.text("export.nothing"))
        return
    if diary:
        await context.bot.send_document(
            chat.id,
            document=diary_csv(diary),
            filename=CSV_NAME,
            caption=d.content.raw_text("export.caption.csv"),
        )
    user_row: dict[str, Any] = dataclasses.asdict(known)
    user_row.pop("awaiting", None)  # a passing conversation state, not data about them
    document = everything_json(
        user_row, [dataclasses.asdict(a) for a in assessments], answers, diary
    )
    await context.bot.send_document(
        chat.id,
        document=document,
        filename=JSON_NAME,
        caption=d.content.raw_text("export.caption.json"),
    )
    if not diary:
        await reply_text(update, context, d.content.text("export.no_diary"))


def register(application: AnyApp) -> None:
    application.add_handler(CommandHandler("history", history_command))
    application.add_handler(CommandHandler("insights", insights_command))
    application.add_handler(CommandHandler("export", export_command))
