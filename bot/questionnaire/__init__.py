"""The questionnaire: which question comes next, what a press means, and the result.

What lives here: logic (pure: path and skip rules, scoring, triage), render (Screens for the
questions and the result), flow (a press against the stored state, returning Screens), and
callbacks (the `q1` callback-data codec). What it may import: bot.content, bot.storage,
bot.clock, bot.ui. Never python-telegram-bot, bot.wiring or handlers.
"""
