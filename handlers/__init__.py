"""Telegram update handlers: thin, one module per feature, each with register(app).

Order matters: the group guard runs first, the fallback (free text, unknown commands,
unknown buttons) is registered last.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from telegram.ext import Application

from handlers import (
    account,
    chart,
    checkin,
    diary,
    edits,
    errors,
    fallback,
    groups,
    members,
    operator,
    questionnaire,
    reminders,
    result,
    upkeep,
)

AnyApp = Application[Any, Any, Any, Any, Any, Any]


def _modules() -> list[ModuleType]:
    # Features that build on the questionnaire come after it; the fallback comes last.
    return [
        errors,
        groups,
        edits,
        account,
        questionnaire,
        result,
        members,
        reminders,
        checkin,
        diary,
        chart,
        operator,
        upkeep,
        fallback,
    ]


def register_all(application: AnyApp) -> None:
    for module in _modules():
        module.register(application)


async def startup_all(application: AnyApp) -> None:
    for module in _modules():
        hook = getattr(module, "on_startup", None)
        if hook is not None:
            await hook(application)


async def stop_all(application: AnyApp) -> None:
    for module in _modules():
        hook = getattr(module, "on_stop", None)
        if hook is not None:
            await hook(application)
