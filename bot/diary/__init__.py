"""The morning check-in and the diary it builds.

What lives here: checkin (the steps and their screens), flow (what a check-in press means),
rules (warning signs, /history, /insights), export (/export files), reminders (the /reminders
settings: time, zone, pause), dispatcher (the once-a-minute sender, paced), schedule (local
mornings, DST-correct) and timezones (typed places to IANA zones). What it may import:
bot.content, bot.storage, bot.clock, bot.ui. Never python-telegram-bot, bot.wiring or handlers:
the dispatcher is handed a send function by the wiring.
"""
