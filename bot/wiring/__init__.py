"""Wiring: where the core meets python-telegram-bot."""
