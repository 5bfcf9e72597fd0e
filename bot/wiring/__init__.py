"""Wiring: where the core meets python-telegram-bot.

What lives here: app (build_application, the one factory for production, tests and try mode),
deps (Deps and the typed Context every handler gets), updates (per-person ordering of updates),
retry_after (waiting out 429s on replies) and webhook (the webhook server with /healthz). What
it may import: everything in bot/ and handlers/. Handlers import only bot.wiring.deps from here,
which keeps the graph acyclic.
"""
