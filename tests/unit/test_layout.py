"""The layout's promises, checked on the source: no import cycles, features free of Telegram
and of the wiring, a docstring on every package, and modules small enough to read."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.harness import ROOT

SOURCES = sorted([*(ROOT / "bot").rglob("*.py"), *(ROOT / "handlers").rglob("*.py")])
FEATURES = ("bot.content", "bot.questionnaire", "bot.account", "bot.diary", "bot.operator")
# storage.py is the one home of SQL and may be long.
LONG_ALLOWED = {"bot.storage"}
MAX_LINES = 550


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in SOURCES}


def _type_checking_only(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports_of(name: str) -> set[str]:
    """Modules of this project that `name` imports when it runs (TYPE_CHECKING blocks aside)."""
    tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _type_checking_only(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            # `from bot.questionnaire import logic` imports the module bot.questionnaire.logic
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return {module for module in found if module in MODULES and module != name}


GRAPH = {name: imports_of(name) for name in MODULES}


def test_no_import_cycles() -> None:
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    path: list[str] = []
    cycles: list[list[str]] = []

    def walk(name: str) -> None:
        state[name] = 1
        path.append(name)
        for target in sorted(GRAPH[name]):
            if state.get(target) == 1:
                cycles.append([*path[path.index(target) :], target])
            elif target not in state:
                walk(target)
        path.pop()
        state[name] = 2

    for name in sorted(GRAPH):
        if name not in state:
            walk(name)
    assert not cycles, "\n".join(" -> ".join(cycle) for cycle in cycles)


def all_imports(name: str) -> set[str]:
    """Every module `name` imports, this project's or not (for the Telegram rule)."""
    tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


@pytest.mark.parametrize("name", [n for n in MODULES if n.startswith(FEATURES)])
def test_features_know_nothing_of_telegram_or_the_wiring(name: str) -> None:
    bad = {
        module
        for module in all_imports(name)
        if module.split(".")[0] in ("telegram", "handlers")
        or module.startswith(("bot.wiring", "bot.tryout", "bot.fakeapi", "bot.authoring"))
    }
    assert not bad, f"{name} imports {sorted(bad)}"


@pytest.mark.parametrize("name", ["bot.content.model", "bot.content.conditions"])
def test_the_content_model_imports_no_feature(name: str) -> None:
    bad = {
        m for m in all_imports(name) if m.startswith(FEATURES) and not m.startswith("bot.content")
    }
    assert not bad, f"{name} imports {sorted(bad)}"


@pytest.mark.parametrize("name", [n for n in MODULES if n.startswith("bot.fakeapi")])
def test_the_fake_bot_api_stands_alone(name: str) -> None:
    # bot.ui is the one table of Telegram's limits, which the fake enforces too.
    allowed = ("bot.fakeapi", "bot.ui")
    bad = {m for m in all_imports(name) if m.startswith("bot") and not m.startswith(allowed)}
    assert not bad, f"{name} imports {sorted(bad)}"


def test_the_running_bot_never_imports_the_tools() -> None:
    reached: set[str] = set()
    todo = ["bot.wiring.app"]
    while todo:
        name = todo.pop()
        if name not in reached:
            reached.add(name)
            todo.extend(GRAPH[name])
    tools = sorted(
        n for n in reached if n.startswith(("bot.tryout", "bot.fakeapi", "bot.authoring"))
    )
    assert not tools


def test_handlers_never_import_the_application_factory() -> None:
    bad = {
        (name, module)
        for name in MODULES
        if name.startswith("handlers")
        for module in GRAPH[name]
        if module == "bot.wiring.app"
    }
    assert not bad


@pytest.mark.parametrize("name", [n for n, p in MODULES.items() if p.name == "__init__.py"])
def test_every_package_says_what_lives_there(name: str) -> None:
    docstring = ast.get_docstring(ast.parse(MODULES[name].read_text(encoding="utf-8")))
    assert docstring and len(docstring) > 80, f"{name} has no docstring worth the name"


@pytest.mark.parametrize("name", [n for n in MODULES if n not in LONG_ALLOWED])
def test_modules_stay_readable(name: str) -> None:
    lines = len(MODULES[name].read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{name} has {lines} lines; split it by concern"
