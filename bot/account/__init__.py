"""The person's account: consent before anything is stored for long, the offer to continue an
unfinished questionnaire, and /delete.

What lives here: flow (what /start, the consent button, /check and /delete mean) and callbacks
(the `s1:` and `x1:` codecs). What it may import: bot.content, bot.storage, bot.clock, bot.ui,
bot.questionnaire's pure parts. Never python-telegram-bot, bot.wiring or handlers.
"""
