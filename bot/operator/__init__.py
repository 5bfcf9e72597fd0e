"""Running cramp-bot as a service: health, the systemd watchdog, aggregate usage counts.

Telegram-free: the wiring (bot/wiring/webhook.py, handlers/operator.py) and the CLI call in.
"""
