"""Usage counts for the operator, as plain text: aggregates only, small counts hidden.

Any count from 1 to 4 is shown as "<5", and so is a share computed from one, so that nothing
here can point at one person ("the only person who finished last week got `emergency`").
"""

from __future__ import annotations

from bot.storage import UsageCounts

SMALL = 5
LEVELS = ("emergency", "urgent", "see_doctor", "self_care")
_LEVEL_NAMES = {
    "emergency": "emergency",
    "urgent": "urgent (doctor today)",
    "see_doctor": "see a doctor",
    "self_care": "self-care",
}


def count(n: int) -> str:
    return f"<{SMALL}" if 0 < n < SMALL else str(n)


def share(part: int, whole: int) -> str:
    """`part` of `whole` as a rounded percentage, hidden when either count is small."""
    if part == 0:
        return "0"
    if part < SMALL or whole < SMALL:
        return f"<{SMALL}"
    return f"{part} ({round(100 * part / whole)}%)"


def render(counts: UsageCounts) -> list[str]:
    """The stats as lines of text, for the shell and for /stats alike."""
    lines = [
        f"people: {count(counts.people)}",
        f"consented: {count(counts.consented)}",
        f"morning check-in on: {count(counts.reminders_on)}",
        f"blocked the bot: {count(counts.blocked)}",
        f"questionnaires finished, last 7 days: {count(counts.finished_7d)}",
        f"questionnaires finished, last 30 days: {count(counts.finished_30d)}",
        "urgency of those (last 30 days):",
    ]
    other = sum(n for level, n in counts.levels_30d.items() if level not in LEVELS)
    for level in LEVELS:
        n = counts.levels_30d.get(level, 0)
        lines.append(f"  {_LEVEL_NAMES[level]}: {share(n, counts.finished_30d)}")
    if other:
        lines.append(f"  other: {share(other, counts.finished_30d)}")
    lines += [
        "morning check-ins, last 30 nights:",
        f"  sent: {count(counts.checkins_sent_30d)}",
        f"  answered: {count(counts.checkins_answered_30d)}",
        f"  skipped: {count(counts.checkins_skipped_30d)}",
    ]
    return lines
