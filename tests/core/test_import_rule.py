"""The import rule (docs/architecture.md): deploy/ never imports local/; the composition root
(the CLI) picks the local implementation. Read from the source, every import statement,
including those inside functions.

Two imports inside functions remain (issue 16): rollout.status_source_for and
validate.select_environment. They are listed here so that no new one can appear; when one is
removed, remove it from KNOWN too (the test says so), until KNOWN is empty."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.fixtures.base import REPO

DEPLOY = REPO / "src" / "flotilla" / "deploy"
KNOWN = {
    ("rollout.py", "flotilla.local.status"),
    ("validate.py", "flotilla.local.env"),
}


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
