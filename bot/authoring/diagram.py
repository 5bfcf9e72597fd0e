"""The questionnaire flow as a Mermaid flowchart (`cramp-bot check-content --diagram FILE.md`).

A reviewer looks at the picture instead of reading YAML: questions in the order they are
asked, skip rules as labelled edges ("if ...", and "otherwise" for the way past), the answers
that end the questionnaire as exits to their urgency level (with the rules they fire), and the
final result with its four levels and the rules that can set each without a stop answer. The
output depends only on the content, in file order, so it can be compared in a test and diffed
in a review.
"""

from __future__ import annotations

from pathlib import Path

from bot.authoring.report import describe_condition, quoted
from bot.content import conditions as cond
from bot.content.model import LEVEL_RANKS, SELF_CARE, Content, Question
from bot.content.reachability import satisfiable

RESULT = "result"
START = "start"


def _label(text: str) -> str:
    """A Mermaid string: double quotes would end it and < > would be read as HTML."""
    return '"' + text.replace('"', "'").replace("<", "#lt;").replace(">", "#gt;") + '"'


def _node(question: Question) -> str:
    return f"q_{question.id}"


def _level_node(level_id: str) -> str:
    return f"level_{level_id}"


def _edge(source: str, target: str, label: str | None = None) -> str:
    return f"    {source} -->|{_label(label)}| {target}" if label else f"    {source} --> {target}"


def _flow_edges(content: Content, index: int, source: str) -> list[str]:
    """Where the questionnaire can go after position `index` (-1: the start).

    Each following question with a skip rule is a possible next step ("if ..."); the first
    one without a skip rule (or the result) is where it goes otherwise."""
    edges: list[str] = []
    conditional = False
    for question in content.questions[index + 1 :]:
        if question.ask_if is not None:
            edges.append(
                _edge(
                    source, _node(question), f"if {describe_condition(content, question.ask_if)}"
                )
            )
            conditional = True
            continue
        edges.append(_edge(source, _node(question), "otherwise" if conditional else None))
        return edges
    edges.append(_edge(source, RESULT, "otherwise" if conditional else None))
    return edges


def _stop_edges(content: Content, question: Question) -> list[str]:
    """One edge per urgency level this question's stop answers lead to, naming the answers
    and the rules at that level they make fire."""
    exits: dict[str, tuple[list[str], list[str]]] = {}
    for option in question.options:
        if option.stop:
            # The answer alone, as if its skip rule held (a follow-up such as the clot
            # question is only asked after an earlier answer).
            answers = {question.id: (option.id,)}
            fired = [
                rule
                for rule in content.rules
                if cond.evaluate(rule.when, answers, set(option.flags))
            ]
            level = max(
                (rule.level for rule in fired), key=LEVEL_RANKS.__getitem__, default=SELF_CARE
            )
            labels, rules = exits.setdefault(level, ([], []))
            labels.append(option.label)
            rules.extend(r.id for r in fired if r.level == level and r.id not in rules)
    return [
        _edge(
            _node(question),
            _level_node(level),
            quoted(labels, "or") + (f"; rules: {', '.join(rules)}" if rules else ""),
        )
        for level, (labels, rules) in exits.items()
    ]


def _result_rules(content: Content, level_id: str) -> list[str]:
    """The rules of a level that can fire in a full result. A rule that needs a stop answer
    (the safety check's emergency signs) is drawn on that answer's edge instead: an edge from
    the result would be a way no one can take."""
    return [
        rule.id
        for rule in content.rules
        if rule.level == level_id and satisfiable(rule.when, content.questions, allow_stop=False)
    ]


def mermaid(content: Content) -> str:
    """The flowchart in Mermaid syntax (without the markdown fence)."""
    levels = sorted(LEVEL_RANKS, key=lambda lid: -LEVEL_RANKS[lid])
    lines = ["flowchart TD", f"    {START}([{_label('Start')}])"]
    for question in content.questions:
        kind = " (tick any)" if question.kind == "multi" else ""
        lines.append(f"    {_node(question)}[{_label(f'{question.id}: {question.short}{kind}')}]")
    result = "Result: causes ranked by points; level = highest rule that fires"
    lines.append(f"    {RESULT}[[{_label(result)}]]")
    for lid in levels:
        title = content.level(lid).title
        lines.append(f"    {_level_node(lid)}{{{{{_label(f'{lid}: {title}')}}}}}")
    lines.extend(_flow_edges(content, -1, START))
    for index, question in enumerate(content.questions):
        lines.extend(_stop_edges(content, question))
        lines.extend(_flow_edges(content, index, _node(question)))
    for lid in levels:
        rules = _result_rules(content, lid)
        if lid == SELF_CARE:
            label = "no rule above fires" + (f"; notes: {', '.join(rules)}" if rules else "")
        elif rules:
            label = f"rules: {', '.join(rules)}"
        else:
            continue
        lines.append(_edge(RESULT, _level_node(lid), label))
    lines.append("    classDef exit fill:#fde2e2,stroke:#b00020")
    lines.append(f"    class {_level_node('emergency')},{_level_node('urgent')} exit")
    return "\n".join(lines) + "\n"


def diagram_markdown(content: Content) -> str:
    return (
        f"# Questionnaire flow (content version {content.version})\n"
        "\n"
        "Written by `cramp-bot check-content --diagram`; do not edit by hand. Questions are "
        'asked from top to bottom. An edge marked "if ..." is a skip rule: the question is '
        'asked only when it holds, and the "otherwise" edge is taken when it does not. The '
        "edges into a level straight from a question are answers that end the questionnaire "
        "at once, with the rules they make fire; the edges from the result name only the rules "
        "that can fire without such an answer.\n"
        "\n"
        "```mermaid\n"
        f"{mermaid(content)}"
        "```\n"
    )


def write_diagram(content: Content, path: Path) -> None:
    path.write_text(diagram_markdown(content), encoding="utf-8")
