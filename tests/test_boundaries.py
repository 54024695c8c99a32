"""conversations/ is platform-neutral: no module in it imports a chat platform's SDK."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PLATFORM_SDKS = ("slack_bolt", "slack_sdk", "botbuilder", "botframework")


def _imports(tree: ast.AST):
    for node in ast.walk(tree):  # every import, including ones inside functions and `if TYPE_CHECKING:`
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module
        elif (isinstance(node, ast.Call) and isinstance(node.func, (ast.Name, ast.Attribute))
              and getattr(node.func, "id", getattr(node.func, "attr", None)) in ("import_module", "__import__")
              and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            yield node.lineno, node.args[0].value


def _platform_imports(package: Path, root: Path = ROOT) -> list[str]:
    """'file:line imports module' for every platform SDK import under `package` (paths relative to `root`)."""
    found = []
    for path in sorted(package.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for line, name in _imports(tree):
            if name.split(".")[0] in PLATFORM_SDKS:
                found.append(f"{path.relative_to(root)}:{line} imports {name}")
    return found


def test_conversations_imports_no_platform_sdk():
    files = list((ROOT / "conversations").rglob("*.py"))
    assert len(files) > 10  # the walk really reads the package
    assert _platform_imports(ROOT / "conversations") == []


def test_the_check_names_the_file_and_line(tmp_path):
    pkg = tmp_path / "conversations"
    (pkg / "flows").mkdir(parents=True)
    (pkg / "flows" / "leaky.py").write_text("import json\n\n\ndef f():\n    from slack_sdk.web import WebClient\n")
    (pkg / "ok.py").write_text("import botbuilding_blocks\nfrom .slack_sdk import x\n")
    assert _platform_imports(pkg, tmp_path) == ["conversations/flows/leaky.py:5 imports slack_sdk.web"]
