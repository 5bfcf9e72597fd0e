"""`cramp-bot try`: talk to the bot in the terminal, with no token and no network.

The bot is the production one: `build_application` with the real handlers, content and SQLite
storage; only the Bot API is replaced, by the in-process emulator (no sockets at all). The
person is "Alex" (user 1001) in a private chat.

What the terminal shows:

- Every bot message as the person would see it: Telegram HTML rendered to plain text (bold,
  italic and underline as ANSI styles only when stdout is a terminal), links followed by their
  address, buttons numbered `[1] ...`. A number always presses a button of the NEWEST message
  that has buttons, like the keyboard under the last question.
- An edit replaces the message. On a terminal the conversation tail is cleared and redrawn; when
  stdout is not a terminal (a pipe, a file, a script run) the edited message is printed again,
  marked "(edited)", because printed lines cannot change.
- A button's short answer (Telegram's toast) as `(notice: ...)`.
- Files (from /export) are written to a folder (--files, else a new temporary folder that is
  kept after the session) and their path printed.

Time: one MovableClock is shared by storage, handlers and the reminder dispatcher. With
`--now "2026-11-26 08:00"` it is frozen at that moment (UTC unless a zone follows, e.g.
`2026-11-26 08:00 Europe/Berlin` or `2026-11-26T08:00+01:00`) and moves only when told to;
without --now it follows the real time (`:now` freezes it too). The reminder dispatcher runs
once right after start-up and once after every move (`:now`, `:advance`), so a morning check-in
that is due arrives at once; while the clock is frozen the once-a-minute reminder job is paused
(see `hold_timed_jobs`).

A handler that crashes ends the wait for the bot at once (the error handler registered here
sees it): the person is told "the bot failed: KeyError: ..." instead of waiting out a timeout,
and the log line on stderr has no traceback (see `quiet_logging`).

Scripted mode (`--script FILE`): see `parse_script`; a failed `expect` names the file and line
and shows what the bot showed instead, and the run exits 1.

Modules: session (the bot, the clock and one person, in process), transcript (what the
terminal shows), script (--script files), repl (typed lines), run (the entry point). The
running bot never imports this package.
"""
