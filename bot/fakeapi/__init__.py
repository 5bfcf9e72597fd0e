"""A stand-in for Telegram's Bot API, shipped with the bot for try mode and the tests.

What lives here: emulator (the state and Telegram's own errors), markup (Telegram's HTML rules),
http (a real HTTP server on 127.0.0.1), inprocess (the same without sockets) and conversation
(a person's side, and knowing when the bot is done). What it may import: the standard
library, python-telegram-bot's request types and bot.ui (Telegram's limits); nothing else of
bot/. The running bot never imports it.
"""
