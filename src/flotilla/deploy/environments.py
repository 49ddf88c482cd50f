"""Environments: `environments/<name>.toml` at the project root, one file per environment,
and the only place that lists them.

`load_all` reads and validates every file once (all problems at once: file, key, value, what
is allowed; exit 2 before any side effect). Terraform's inputs are generated from a file
into `build/<name>/`: `tfvars_file` (environment.tfvars.json) and `backend_file`
(backend.tfbackend). See docs/environments.md.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from flotilla.deploy.envmodel import EnvironmentFile
from flotilla.errors import UsageError
from flotilla.manifest import format_validation_error
from flotilla.project import Project
from flotilla.textfile import text_problem

SETTINGS_DIR = Path("environments")  # relative to the project root
HTTPS_SETTINGS = ("domain", "certificate_arn", "allow_http")
TFVARS = "environment.tfvars.json"
BACKEND = "backend.tfbackend"
_VARIABLE = re.compile(r'^variable\s+"([A-Za-z0-9_-]+)"', re.MULTILINE)
# What the S3 backend needs to reach the emulator (kind local).
_LOCAL_BACKEND = {
    "use_path_style": True,
    "skip_credentials_validation": True,
    "skip_requesting_account_id": True,
    "skip_metadata_api_check": True,
    "skip_region_validation": True,
}


def settings_dir(project: Project) -> Path:
    return project.root / SETTINGS_DIR


def settings_file(project: Project, env: str) -> Path:
    """The file holding `env`'s settings (it may not exist)."""
    return settings_dir(project) / f"{env}.toml"


def settings_hint(env: str) -> str:
    """The same file as a user types it (relative to the project root)."""
    return str(SETTINGS_DIR / f"{env}.toml")


@dataclass(frozen=True)
class Environment:
    """One validated environment and where it came from."""

    path: Path
    spec: EnvironmentFile
    project: str

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def kind(self) -> str:
        return self.spec.kind

    @property
    def state_key(self) -> str:
        return self.spec.state.key or f"{self.project}/{self.name}/terraform.tfstate"

    def alb_port(self, default: int) -> int | None:
        """Kind local: the port of its ALB on loopback (`default`: flotilla.toml's)."""
        if self.kind != "local":
            return None
        return self.spec.alb_port if self.spec.alb_port is not None else default

    @property
    def state_region(self) -> str:
        return self.spec.state.region or self.spec.region

    def tfvars(self) -> dict[str, Any]:
        """Terraform's variables for this environment (the service map comes on top)."""
        return {
            "project": self.project,
            "environment": self.name,
            "environment_kind": self.kind,
            "region": self.spec.region,
            **self.spec.https_settings(),
            **self.spec.terraform,
        }

    def backend(self, emulator_port: int) -> dict[str, Any]:
        """The S3 backend settings; kind local points them at the emulator."""
        state = self.spec.state
        found: dict[str, Any] = {
            "bucket": state.bucket,
            "key": self.state_key,
            "region": self.state_region,
            "encrypt": state.encrypt,
            "use_lockfile": state.use_lockfile,
        }
        if self.kind == "local":
            found["endpoints"] = {"s3": f"http://127.0.0.1:{emulator_port}"}
            found.update(_LOCAL_BACKEND)
        return found


def declared_variables(project: Project) -> set[str] | None:
    """The variables the root module declares; None when there is no variables.tf."""
    path = project.terraform_dir / "variables.tf"
    if not path.is_file():
        return None
    return set(_VARIABLE.findall(path.read_text(encoding="utf-8")))


def _parse(path: Path, lines: list[str], data: bytes | None = None) -> EnvironmentFile | None:
    try:
        data = path.read_bytes() if data is None else data
    except OSError as exc:
        lines.append(f"{path}: cannot read: {exc.strerror}")
        return None
    problem = text_problem(data, allow_empty=False, limit=64 * 1024)
    if problem:
        lines.append(f"{path}: {problem}")
        return None
    try:
        raw = tomllib.loads(data.decode("utf-8"))
    except tomllib.TOMLDecodeError as exc:
        lines.append(f"{path}: not valid TOML: {exc}")
        return None
    try:
        return EnvironmentFile.model_validate(raw)
    except ValidationError as exc:
        lines.extend(format_validation_error(str(path), exc).splitlines())
        return None


def _check_one(project: Project, path: Path, spec: EnvironmentFile) -> list[str]:
    from flotilla.deploy.preflight.names import environment_problems

    where, name, lines = str(path), spec.name, []
    if name != path.stem:
        return [f"{where}: key `name` = {name!r}: must equal the file name {path.stem!r}"]
    problems = environment_problems(project.name, name, derived=False)
    lines += [f"{where}: key `name` = {name!r}: {p}" for p in problems]
    if spec.kind == "aws" and spec.alb_port is not None:
        lines.append(
            f"{where}: key `alb_port` = {spec.alb_port}: only for kind local (an AWS "
            "environment's load balancer is in its account)"
        )
    role = spec.role_arn
    if role and spec.account_id and f"::{spec.account_id}:" not in role:
        lines.append(
            f"{where}: key `role_arn` = {role!r}: names another account than "
            f"account_id {spec.account_id!r}"
        )
    declared = declared_variables(project)
    if declared is not None:
        for key in sorted(set(spec.terraform) - declared):
            lines.append(
                f"{where}: unknown key `terraform.{key}`: not a variable of "
                f"{project.terraform_dir / 'variables.tf'}"
            )
    return lines


def load_all(
    project: Project, candidate: tuple[Path, bytes] | None = None
) -> dict[str, Environment]:
    """Every environment, validated; UsageError (exit 2) listing every problem in any file.

    `candidate` (a path and its would-be content) is checked as if it were written."""
    folder = settings_dir(project)
    lines: list[str] = []
    found: dict[str, Environment] = {}
    paths = sorted(folder.glob("*.toml")) if folder.is_dir() else []
    if candidate is not None and candidate[0] not in paths:
        paths = sorted([*paths, candidate[0]])
    named = {p.stem for p in paths}  # a broken file is reported once, not by each reference
    for path in paths:
        data = candidate[1] if candidate is not None and path == candidate[0] else None
        spec = _parse(path, lines, data)
        if spec is None:
            continue
        problems = _check_one(project, path, spec)
        lines += problems
        if not problems:
            found[spec.name] = Environment(path, spec, project.name)
    for env in found.values():
        source = env.spec.promotes_from
        if source is not None and (source not in named or source == env.name):
            allowed = ", ".join(n for n in sorted(named) if n != env.name) or "(none defined)"
            lines.append(
                f"{env.path}: key `promotes_from` = {source!r}: not another defined "
                f"environment; allowed: {allowed}"
            )
    owners: dict[tuple[str, str], str] = {}
    for env in found.values():
        where = (env.spec.state.bucket, env.state_key)
        other = owners.setdefault(where, env.name)
        if other != env.name:
            lines.append(
                f"{env.path}: key `state.key` = {env.state_key!r}: the same state as "
                f"environment {other!r} (bucket {where[0]!r}); give each its own key"
            )
    lines += _port_problems(project, found)
    if lines:
        raise UsageError("\n".join(dict.fromkeys(lines)))
    return found


def _port_problems(project: Project, found: dict[str, Environment]) -> list[str]:
    """Kind local environments run side by side: each needs an ALB port of its own."""
    cfg = project.config.local
    taken = {cfg.emulator_port: "flotilla.toml [local].emulator_port"}
    taken[cfg.registry_port] = "flotilla.toml [local].registry_port"
    lines = []
    for env in sorted(found.values(), key=lambda e: (e.spec.alb_port is not None, e.name)):
        port = env.alb_port(cfg.alb_port)
        if port is None:
            continue
        key = "alb_port" if env.spec.alb_port is not None else "alb_port (unset)"
        if port in taken:
            lines.append(
                f"{env.path}: key `{key}` = {port}: already used by {taken[port]}; give each "
                "local environment its own port (`alb_port = ...`)"
            )
        taken.setdefault(port, f"environment {env.name!r}")
    return lines


def defined(project: Project) -> list[str]:
    """Every environment's name (each file validated)."""
    return sorted(load_all(project))


def unknown(project: Project, env: str) -> str:
    """The message for an environment with no file."""
    known = ", ".join(defined(project)) or "(none defined)"
    return f"unknown environment {env!r}: no {settings_file(project, env)}; allowed: {known}"


def get(project: Project, env: str) -> Environment:
    """`env`'s settings; UsageError naming the file and the defined ones when it has none."""
    found = load_all(project)
    if env not in found:
        raise UsageError(unknown(project, env))
    return found[env]


def check(project: Project, env: str) -> None:
    """`env` is defined (and every environment file is valid)."""
    get(project, env)


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.is_file() or path.read_text(encoding="utf-8") != text:
        tmp = path.with_suffix(".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    return path


def tfvars_file(project: Project, env: str) -> Path:
    """Write `build/<env>/environment.tfvars.json` from `env`'s file; its path."""
    values = get(project, env).tfvars()
    text = json.dumps(values, indent=2, sort_keys=True) + "\n"
    return _write(project.build_dir / env / TFVARS, text)


def _hcl(value: Any) -> str:
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_hcl(v)}" for k, v in value.items()) + " }"
    return json.dumps(value)  # strings, booleans and numbers read the same in HCL


def backend_file(project: Project, env: str) -> Path:
    """Write `build/<env>/backend.tfbackend` (terraform init -backend-config); its path."""
    settings = get(project, env).backend(project.config.local.emulator_port)
    lines = [f"# generated from {settings_hint(env)}; edit that file instead"]
    lines += [f"{key} = {_hcl(value)}" for key, value in settings.items()]
    return _write(project.build_dir / env / BACKEND, "\n".join(lines) + "\n")


@dataclass(frozen=True)
class Settings:
    """The HTTPS settings of one environment, as the preflight rule reads them."""

    path: Path
    values: dict[str, Any]

    def get(self, key: str) -> Any:
        return self.values.get(key)

    @property
    def serves_https(self) -> bool:
        return bool(self.get("domain")) or bool(self.get("certificate_arn"))

    @property
    def allows_http(self) -> bool:
        return self.get("allow_http") is True


def read_settings(project: Project, env: str) -> Settings:
    found = get(project, env)
    return Settings(found.path, found.spec.https_settings())
