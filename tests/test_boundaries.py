"""The house's rules, checked on the source: imports run one way, nothing imports in a circle, and each chat
platform's SDK stays inside its adapter. No exceptions are listed: a new import against a rule fails here.

The layers, top to bottom: bot/ -> notifications/ -> conversations/ -> storage/ -> vocabulary/. A module may
import its own layer and any layer below it. Every import counts, including imports inside functions and
under `if TYPE_CHECKING:`.
"""
from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ("vocabulary", "storage", "conversations", "notifications", "bot")  # bottom first
SDKS = {"slack_bolt": "bot.slack", "slack_sdk": "bot.slack", "botbuilder": "bot.teams", "botframework": "bot.teams"}
ADAPTERS = ("bot.slack", "bot.teams", "bot.console")
# The composition root: what wires adapters together. Adapters never reach back into it.
COMPOSITION_ROOT = ("bot.app", "bot.server", "bot.config", "bot.cli", "bot.commands")


def _modules(root: Path) -> dict[str, Path]:
    found = {}
    for layer in LAYERS:
        for path in sorted((root / layer).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(parts)] = path
    return found


def _imported_names(path: Path, module: str) -> Iterator[tuple[int, str]]:
    """(line, dotted name) for every import in the file, with relative imports made absolute."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(parent + ([base] if base else []))
            yield node.lineno, base
            for alias in node.names:
                yield node.lineno, f"{base}.{alias.name}"
        elif (isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None))
              in ("import_module", "__import__") and node.args and isinstance(node.args[0], ast.Constant)
              and isinstance(node.args[0].value, str)):
            yield node.lineno, node.args[0].value


class Graph:
    """Our modules and the edges between them (an edge per import, to the module or package it loads)."""

    def __init__(self, root: Path = ROOT):
        self.root = root
        self.modules = _modules(root)
        self.edges: dict[str, dict[str, int]] = {m: {} for m in self.modules}  # module -> {imported: line}
        self.external: list[tuple[str, int, str]] = []  # (module, line, third-party name)
        for module, path in self.modules.items():
            for line, name in _imported_names(path, module):
                target = self._ours(name)
                if target is None:
                    if name.split(".")[0] not in LAYERS:
                        self.external.append((module, line, name))
                elif target != module:
                    self.edges[module].setdefault(target, line)

    def _ours(self, name: str) -> str | None:
        while name and name not in self.modules:
            name = name.rpartition(".")[0]
        return name or None

    def where(self, module: str, line: int) -> str:
        return f"{self.modules[module].relative_to(self.root)}:{line}"

    def upward_imports(self) -> list[str]:
        rank = {layer: i for i, layer in enumerate(LAYERS)}
        return [f"{self.where(m, line)} {m} imports {t} (a higher layer)"
                for m, targets in self.edges.items() for t, line in targets.items()
                if rank[t.split(".")[0]] > rank[m.split(".")[0]]]

    def circles(self) -> list[list[str]]:
        """Strongly connected groups of more than one module (Tarjan, iterative)."""
        index: dict[str, int] = {}
        low: dict[str, int] = {}
        stack: list[str] = []
        on_stack: set[str] = set()
        found: list[list[str]] = []
        for start in self.modules:
            if start in index:
                continue
            work = [(start, iter(self.edges[start]))]
            index[start] = low[start] = len(index)
            stack.append(start)
            on_stack.add(start)
            while work:
                node, children = work[-1]
                child = next(children, None)
                if child is not None:
                    if child not in index:
                        index[child] = low[child] = len(index)
                        stack.append(child)
                        on_stack.add(child)
                        work.append((child, iter(self.edges[child])))
                    elif child in on_stack:
                        low[node] = min(low[node], index[child])
                    continue
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    group = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.append(member)
                        if member == node:
                            break
                    if len(group) > 1:
                        found.append(sorted(group))
        return found

    def sdk_imports_outside_adapters(self) -> list[str]:
        return [f"{self.where(m, line)} {m} imports {name} (only {SDKS[name.split('.')[0]]} may)"
                for m, line, name in self.external
                if name.split(".")[0] in SDKS and not _within(m, SDKS[name.split(".")[0]])]

    def adapters_reaching_out(self) -> list[str]:
        """An adapter imports neither the composition root nor another adapter."""
        bad = []
        for m, targets in self.edges.items():
            home = next((a for a in ADAPTERS if _within(m, a)), None)
            if home is None:
                continue
            for t, line in targets.items():
                other = next((a for a in ADAPTERS if _within(t, a) and a != home), None)
                if other or any(_within(t, root) for root in COMPOSITION_ROOT):
                    bad.append(f"{self.where(m, line)} {m} imports {t}")
        return bad


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


GRAPH = Graph()


def test_the_walk_reads_every_layer():
    for layer in LAYERS:
        assert sum(1 for m in GRAPH.modules if m.split(".")[0] == layer) >= 5, layer
    assert sum(len(t) for t in GRAPH.edges.values()) > 500


def test_imports_run_one_way():
    assert GRAPH.upward_imports() == []


def test_no_import_circles():
    assert GRAPH.circles() == []


def test_platform_sdks_stay_in_their_adapter():
    assert GRAPH.sdk_imports_outside_adapters() == []
    # and the adapters really do use them (the check reads the right names)
    users = {m.split(".")[1] for m, _, name in GRAPH.external if name.split(".")[0] in SDKS}
    assert users == {"slack", "teams"}


def test_adapters_do_not_reach_into_the_composition_root_or_each_other():
    assert GRAPH.adapters_reaching_out() == []


def test_the_checks_catch_what_they_are_for(tmp_path):
    files = {
        "vocabulary/__init__.py": "",
        "vocabulary/words.py": "def f():\n    from storage import rows\n",  # upward, inside a function
        "storage/__init__.py": "",
        "storage/rows.py": "from vocabulary import words\n",
        "conversations/__init__.py": "",
        "conversations/a.py": "from . import b\n",
        "conversations/b.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from conversations.a import X\n",
        "conversations/neutral.py": "import json\nfrom .slack_sdk import x\n",
        "conversations/leaky.py": "def f():\n    from slack_sdk.web import WebClient\n",
        "notifications/__init__.py": "",
        "bot/__init__.py": "",
        "bot/app.py": "from bot.teams import handler\n",
        "bot/slack/__init__.py": "import slack_bolt\n",
        "bot/teams/__init__.py": "",
        "bot/teams/handler.py": "import botbuilder.core\nfrom bot import app\nfrom bot.slack import x\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    graph = Graph(tmp_path)
    assert graph.upward_imports() == ["vocabulary/words.py:2 vocabulary.words imports storage (a higher layer)",
                                      "vocabulary/words.py:2 vocabulary.words imports storage.rows (a higher layer)"]
    assert sorted(graph.circles()) == [["bot.app", "bot.teams.handler"], ["conversations.a", "conversations.b"],
                                       ["storage.rows", "vocabulary.words"]]
    assert graph.sdk_imports_outside_adapters() == [
        "conversations/leaky.py:2 conversations.leaky imports slack_sdk.web (only bot.slack may)",
        "conversations/leaky.py:2 conversations.leaky imports slack_sdk.web.WebClient (only bot.slack may)"]
    assert graph.adapters_reaching_out() == ["bot/teams/handler.py:2 bot.teams.handler imports bot.app",
                                             "bot/teams/handler.py:3 bot.teams.handler imports bot.slack"]
