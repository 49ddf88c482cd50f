"""`flotilla env new NAME --from ENV`: a new environment's file, made from an existing one.

The source file's text is kept (comments included) with the name, the state location and the
given account and region changed; the result is validated like every environment file before
it is written, so a bad name, an unknown --from, a malformed account or an unknown region
exit 2 with nothing written.
"""

from __future__ import annotations

import re
import socket
from dataclasses import dataclass
from pathlib import Path

from flotilla.deploy import environments
from flotilla.deploy.envmodel import check_account, check_region
from flotilla.errors import UsageError
from flotilla.project import Project

_TABLE = re.compile(r"^\s*\[")


@dataclass(frozen=True)
class NewEnvironment:
    path: Path
    review: list[str]  # what the user should look at before the first deploy


def _set(lines: list[str], table: str | None, key: str, value: str) -> None:
    """Set `key = value` in `table` (None: the top level) of a TOML file's lines."""
    current: str | None = None
    start = 0 if table is None else None
    for i, line in enumerate(lines):
        if _TABLE.match(line):
            if current == table and start is not None:
                break
            current = line.strip().strip("[]").strip()
            if current == table:
                start = i + 1
            continue
        if current == table and re.match(rf"^\s*{key}\s*=", line):
            lines[i] = f"{key} = {value}{_comment(line)}"
            return
    if start is None:  # no such table: append it
        lines += ["", f"[{table}]", f"{key} = {value}"]
        return
    end = start
    while end < len(lines) and not _TABLE.match(lines[end]):
        end += 1
    while end > start and not lines[end - 1].strip():
        end -= 1
    lines.insert(end if table else _top_insert(lines), f"{key} = {value}")


# A simple value (a string without escapes, or a bare number/boolean) and its comment.
_TRAILING = re.compile(r'^[^=]*=\s*(?:"[^"\\]*"|[^"#\s]+)(\s+#.*)$')


def _comment(line: str) -> str:
    """The line's trailing `# ...` comment (with its spacing), kept when the value changes."""
    found = _TRAILING.match(line)
    return found.group(1) if found else ""


def _top_insert(lines: list[str]) -> int:
    """After the last top-level assignment (before the first table)."""
    last = 0
    for i, line in enumerate(lines):
        if _TABLE.match(line):
            break
        if re.match(r"^\s*[A-Za-z_]+\s*=", line):
            last = i + 1
    return last


def _drop(lines: list[str], key: str) -> None:
    """Remove the top-level `key = ...` line (before the first table)."""
    for i, line in enumerate(lines):
        if _TABLE.match(line):
            return
        if re.match(rf"^\s*{key}\s*=", line):
            del lines[i]
            return


# What an environment of kind aws has that one on this machine does not.
_AWS_ONLY = (
    *("account_id", "role_arn", "external_id", "session_name"),
    *("domain", "hosted_zone", "certificate_arn", "allow_http", "promotes_from"),
)
# Terraform settings the emulator needs (infra/terraform/variables.tf), as in local.toml.
_EMULATOR_TF = {
    "emulator_compat": "true",
    "skip_credentials_validation": "true",
    "skip_requesting_account_id": "false",
    "skip_metadata_api_check": "true",
    "s3_use_path_style": "true",
    "alb_deletion_protection": "false",  # `env destroy` on this machine needs no extra step
}


def free_alb_port(project: Project, known: dict[str, environments.Environment]) -> int:
    """The lowest port above every local environment's ALB port that no other environment,
    no other part of ENV=local and nothing listening on loopback uses."""
    cfg = project.config.local
    used = {cfg.emulator_port, cfg.registry_port}
    used |= {p for e in known.values() if (p := e.alb_port(cfg.alb_port)) is not None}
    port = max(used - {cfg.emulator_port, cfg.registry_port}, default=cfg.alb_port - 1) + 1
    while port in used or _listening(port):
        port += 1
    return port


def _listening(port: int) -> bool:
    """Something on this machine listens on 127.0.0.1:`port` already."""
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def _to_local(
    project: Project, text: list[str], known: dict[str, environments.Environment]
) -> list[str]:
    """Kind local: no account, role or HTTPS of its own; its own ALB port; emulator settings."""
    declared = environments.declared_variables(project)
    for key in _AWS_ONLY:
        _drop(text, key)
    _set(text, None, "kind", _quoted("local"))
    for key, value in _EMULATOR_TF.items():
        if declared is None or key in declared:
            _set(text, "terraform", key, value)
    port = free_alb_port(project, known)
    _set(text, None, "alb_port", str(port))
    return [f"alb_port = {port}: its ALB on this machine (http://127.0.0.1:{port})"]


def _quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _problems(name: str, account: str | None, region: str | None, project: Project) -> list[str]:
    from flotilla.deploy.preflight.names import environment_problems

    lines = [f"environment name {name!r}: {p}" for p in environment_problems(project.name, name)]
    for option, value, check in (("--account", account, check_account), ("--region", region,
                                 check_region)):  # fmt: skip
        if value is not None:
            try:
                check(value)
            except ValueError as exc:
                lines.append(f"{option} {value!r}: {exc}")
    return lines


def new_environment(
    project: Project,
    name: str,
    source: str,
    *,
    account: str | None = None,
    region: str | None = None,
    kind: str | None = None,
) -> NewEnvironment:
    """Write environments/<name>.toml from `source`'s file; UsageError (exit 2) and nothing
    written for a bad name, an unknown source, a malformed account or an unknown region.

    `kind` local (or a source of kind local) makes one that runs on this machine beside the
    others, with an ALB port of its own."""
    lines = _problems(name, account, region, project)
    if kind not in (None, "aws", "local"):
        lines.append(f"--kind {kind!r}: allowed: aws, local")
    known = environments.load_all(project)  # every file valid first
    path = environments.settings_file(project, name)
    if source not in known:
        lines.append(environments.unknown(project, source).replace("unknown", "--from: unknown"))
    if name in known or path.exists():
        lines.append(f"environment {name!r} exists already: {path}")
    if lines:
        raise UsageError("\n".join(lines))
    base = known[source]
    local = kind == "local" or (kind is None and base.kind == "local")
    if base.kind == "local" and not local:
        raise UsageError(
            f"--from {source} --kind aws: {source} runs on this machine and has no account; "
            "make an aws environment from an aws one (e.g. --from staging)"
        )
    if local and account is not None:
        raise UsageError(
            f"--account {account}: an environment of kind local runs in the emulator's account"
        )
    spec = base.spec
    text = base.path.read_text(encoding="utf-8").splitlines()
    # The name in comments, but not a table of flotilla.toml such as `[local]`.
    word = re.compile(rf"(?<!\[)\b{re.escape(source)}\b(?!\])")
    text = [word.sub(name, t) if t.lstrip().startswith("#") else t for t in text]
    new_region = region or spec.region
    bucket = f"{project.name}-tfstate-{name}"
    _set(text, None, "name", _quoted(name))
    _set(text, None, "region", _quoted(new_region))
    _set(text, "state", "bucket", _quoted(bucket))
    _set(text, "state", "key", _quoted(f"{project.name}/{name}/terraform.tfstate"))
    if spec.state.region is not None or region is not None:
        _set(text, "state", "region", _quoted(new_region))
    review = [f"the state bucket {bucket!r} ({new_region}): create it once with "
              f"`flotilla env bootstrap {name}`"]  # fmt: skip
    if local:
        review = _to_local(project, text, known) + review[1:]
    if account is not None:
        _set(text, None, "account_id", _quoted(account))
        if spec.role_arn:
            role = re.sub(r"::\d{12}:", f"::{account}:", spec.role_arn)
            _set(text, None, "role_arn", _quoted(role))
            review.append(f"role_arn = {role!r}: the role must exist in account {account}")
    if spec.promotes_from == name:
        text = [t for t in text if not re.match(r"^\s*promotes_from\s*=", t)]
    body = "\n".join(text) + "\n"
    parsed = environments.load_all(project, (path, body.encode()))[name].spec  # or exit 2
    for key in ("domain", "hosted_zone", "certificate_arn"):
        if getattr(parsed, key):
            review.append(f"{key} = {getattr(parsed, key)!r} is {source}'s: give {name} its own")
    if "vpc_cidr" in parsed.terraform:
        review.append(f"terraform.vpc_cidr = {parsed.terraform['vpc_cidr']!r} is {source}'s "
                      "(change it if the networks are ever peered)")  # fmt: skip
    if not local and not (parsed.domain or parsed.certificate_arn or parsed.allow_http):
        review.append("HTTPS: set domain, certificate_arn or allow_http = true (preflight asks)")
    first = "flotilla local up; " if local else ""
    review.append(f"then: {first}flotilla env show {name}; flotilla plan --env {name}")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".toml.tmp")
    tmp.write_text(body, encoding="utf-8")
    tmp.replace(path)
    return NewEnvironment(path, review)
