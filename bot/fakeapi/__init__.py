"""A stand-in for Telegram's Bot API, shipped with the bot for try mode and the tests.

What lives here: records (what it keeps, Telegram's error texts), state (chats, messages, the
update queue), methods (the Bot API methods and their errors), emulator (the people's side:
send, press, block, faults), markup (Telegram's HTML rules),
http (a real HTTP server on 127.0.0.1), inprocess (the same without sockets) and conversation
(a person's side, and knowing when the bot is done). What it may import: the standard
library, python-telegram-bot's request types and bot.ui (Telegram's limits); nothing else of
bot/. The running bot never imports it.
"""
