"""`cramp-bot check-content`: tools for the people who write the content.

What lives here: check (triage cases and the summary), report (what leads to each cause and
level, path lengths), diagram (the questionnaire as a Mermaid flowchart) and simulate (where
answers end). What it may import: bot.content, bot.questionnaire. The running bot never
imports this package.
"""
