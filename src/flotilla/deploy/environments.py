"""Per-environment settings: where they live and the few Flotilla reads itself.

Today an environment is `infra/terraform/environments/<env>.tfvars`; every reader goes through
`settings_file` / `read_settings`, so moving environments elsewhere changes this module only.
Terraform owns the full HCL; here only top-level `key = value` scalars are read (strings,
booleans, numbers, null), which is all the HTTPS rule needs.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from flotilla.project import Project

SETTINGS_DIR = Path("infra/terraform/environments")  # relative to the project root
HTTPS_SETTINGS = ("domain", "certificate_arn", "allow_http")
_ASSIGNMENT = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$")


def settings_file(project: Project, env: str) -> Path:
    """The file holding `env`'s settings."""
    return project.terraform_dir / "environments" / f"{env}.tfvars"


def defined(project: Project) -> list[str]:
    """Every environment that has a settings file."""
    folder = settings_file(project, "_").parent
    return sorted(p.stem for p in folder.glob("*.tfvars"))


def settings_hint(env: str) -> str:
    """The same file as a user types it (relative to the project root)."""
    return str(SETTINGS_DIR / f"{env}.tfvars")


@dataclass(frozen=True)
class Settings:
    """The scalar settings of one environment, as written (comments and blocks skipped)."""

    path: Path
    values: dict[str, str | bool | float | None]

    def get(self, key: str) -> str | bool | float | None:
        return self.values.get(key)

    @property
    def serves_https(self) -> bool:
        return bool(self.get("domain")) or bool(self.get("certificate_arn"))

    @property
    def allows_http(self) -> bool:
        return self.get("allow_http") is True


def _scalar(raw: str) -> str | bool | float | None:
    raw = re.sub(r"\s+(#|//).*$", "", raw)  # a trailing comment
    if raw in ("true", "false"):
        return raw == "true"
    if raw == "null":
        return None
    if raw.startswith('"'):
        try:
            return str(json.loads(raw))
        except json.JSONDecodeError:
            return raw.strip('"')
    try:
        return float(raw)
    except ValueError:
        return raw  # a list, map or expression: present, not interpreted


def read_settings(project: Project, env: str) -> Settings:
    """`env`'s top-level scalar settings (blocks, lists and maps are kept as raw text)."""
    path = settings_file(project, env)
    values: dict[str, str | bool | float | None] = {}
    depth = 0
    for line in path.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith(("#", "//")):
            continue
        if depth == 0:
            match = _ASSIGNMENT.match(stripped)
            if match:
                values[match[1]] = _scalar(match[2])
        depth += stripped.count("{") + stripped.count("[") - stripped.count("}")
        depth -= stripped.count("]")
        depth = max(depth, 0)
    return Settings(path, values)
