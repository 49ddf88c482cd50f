"""The import rule (docs/architecture.md): deploy/ never imports local/; the composition root
(the CLI, flotilla.cli.targets) picks the local implementation. Read from the source, every
import statement, including those inside functions.

And no settings through the process environment: neither deploy/ nor local/ writes
`os.environ` (a `Target` carries endpoints, credentials and the registry instead)."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.fixtures.base import REPO

DEPLOY = REPO / "src" / "flotilla" / "deploy"
LOCAL = REPO / "src" / "flotilla" / "local"
KNOWN: set[tuple[str, str]] = set()  # none left; keep it empty


def local_imports(path: Path) -> set[str]:
    """The flotilla.local modules `path` imports (`from flotilla.local import x`: x)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
            if node.module == "flotilla.local":
                names = [f"flotilla.local.{a.name}" for a in node.names]
        else:
            continue
        found |= {n for n in names if n == "flotilla.local" or n.startswith("flotilla.local.")}
    return found


def test_deploy_imports_nothing_new_from_local() -> None:
    found = {
        (str(path.relative_to(DEPLOY)), module)
        for path in sorted(DEPLOY.rglob("*.py"))
        for module in local_imports(path)
    }
    new = found - KNOWN
    assert not new, f"deploy/ must not import local/ (pass the local part in from the CLI): {new}"
    gone = KNOWN - found
    assert not gone, f"no longer imported, remove from KNOWN: {gone}"


def test_the_rule_sees_imports_inside_functions(tmp_path: Path) -> None:
    sample = tmp_path / "m.py"
    sample.write_text("def f():\n    from flotilla.local.env import use_environment\n")
    assert "flotilla.local.env" in local_imports(sample)


ENV_WRITERS = {"update", "setdefault", "pop", "popitem", "clear", "__setitem__", "__delitem__"}


def environ_writes(path: Path) -> list[int]:
    """Lines of `path` that write the process environment: `os.environ[k] = v`, `del
    os.environ[k]`, `os.environ.update(...)` and friends, `os.putenv`, `os.unsetenv`."""

    def is_environ(node: ast.AST) -> bool:
        return (
            isinstance(node, ast.Attribute)
            and node.attr == "environ"
            and isinstance(node.value, ast.Name)
            and node.value.id == "os"
        ) or (isinstance(node, ast.Name) and node.id == "environ")

    lines = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        targets: list[ast.AST] = []
        if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        elif isinstance(node, ast.Delete):
            targets = list(node.targets)
        if any(isinstance(t, ast.Subscript) and is_environ(t.value) for t in targets):
            lines.append(node.lineno)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            f = node.func
            if f.attr in ENV_WRITERS and is_environ(f.value):
                lines.append(node.lineno)
            if f.attr in ("putenv", "unsetenv") and isinstance(f.value, ast.Name):
                lines.append(node.lineno)
    return sorted(lines)


def test_deploy_and_local_never_write_the_process_environment() -> None:
    found = {
        f"{path.relative_to(REPO)}:{line}"
        for root in (DEPLOY, LOCAL)
        for path in sorted(root.rglob("*.py"))
        for line in environ_writes(path)
    }
    assert not found, f"settings travel in a Target, not os.environ: {sorted(found)}"


def test_the_environ_rule_sees_each_kind_of_write(tmp_path: Path) -> None:
    sample = tmp_path / "m.py"
    sample.write_text(
        "import os\nfrom os import environ\n"
        "os.environ['A'] = '1'\n"
        "os.environ.setdefault('B', '2')\n"
        "os.environ.update({'C': '3'})\n"
        "del os.environ['A']\n"
        "environ.pop('B')\n"
        "os.putenv('D', '4')\n"
        "x = os.environ.get('E')\n"  # reading is fine
        "y = dict(os.environ)\n"
    )
    assert environ_writes(sample) == [3, 4, 5, 6, 7, 8]
