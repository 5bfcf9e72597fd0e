"""Content: the questions, causes, urgency rules and texts, from content/*.yaml.

What lives here: the model (frozen dataclasses and the one urgency ladder), the condition
language of skip and urgency rules, the text-key registry, the YAML reader, the loader
(`load.load_content`, the one entry point, called once at start) and the checks across files.
What it may import: the standard library, PyYAML, bot.ui; the registry also reads the diary's
vocabularies (steps, factors, regions) and the cross-file checks render the worst-case screens
with bot.questionnaire. model.py and conditions.py import nothing of the features.
Nothing outside this package reads YAML.
"""
