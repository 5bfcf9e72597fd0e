"""cramp-bot's core: one package per concern, the Telegram wiring kept to bot.wiring.

Top level: cli (the `cramp-bot` command), config, logs, clock (the one source of time), ui
(Screen, Button, Telegram's limits, the command list) and storage (every SQL statement).
Packages: content, questionnaire, account, diary (the features and their content), wiring
(python-telegram-bot), authoring (check-content), tryout and fakeapi (try mode). Each package's
docstring says what lives there and what it may import; tests/unit/test_layout.py holds them to it.
"""
