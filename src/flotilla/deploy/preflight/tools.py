"""Tools: terraform on PATH, its version against what the configuration asks for and the
features it uses (the S3 backend's `use_lockfile` needs 1.10), and the hashicorp/aws provider
in the plugin directory (Project.tf_plugin_dir) at a version versions.tf accepts, for this
platform."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from functools import cache
from pathlib import Path

from packaging.specifiers import SpecifierSet
from packaging.version import InvalidVersion, Version

from flotilla.deploy.preflight import Inputs, Violation, rule

# (setting in an environment's [state], the first terraform that understands it)
BACKEND_FEATURES = (("use_lockfile", Version("1.10.0")),)
PROVIDER = Path("registry.terraform.io", "hashicorp", "aws")


def specifier(constraint: str) -> SpecifierSet:
    """A Terraform version constraint (`>= 1.5.0`, `~> 5.70`) as a packaging SpecifierSet."""
    parts = []
    for raw in constraint.split(","):
        match = re.fullmatch(r"\s*(~>|>=|<=|!=|=|>|<)?\s*(\d+(?:\.\d+)*)\s*", raw)
        if not match:
            raise ValueError(f"not a version constraint: {raw.strip()!r}")
        op, version = match.group(1) or "==", match.group(2)
        if op == "~>":
            nums = [int(n) for n in version.split(".")]
            upper = [*nums[:-2], nums[-2] + 1] if len(nums) > 1 else [nums[0] + 1]
            parts += [f">={version}", f"<{'.'.join(map(str, upper))}"]
        else:
            parts.append(f"{'==' if op == '=' else op}{version}")
    return SpecifierSet(",".join(parts))


def _versions_tf(inputs: Inputs) -> tuple[Path, str]:
    path = inputs.terraform_dir / "versions.tf"
    return path, path.read_text(encoding="utf-8") if path.is_file() else ""


def _required(text: str, pattern: str) -> str | None:
    match = re.search(pattern, text, re.DOTALL)
    return match.group(1) if match else None


@cache
def terraform_version(binary: str) -> Version | None:
    """`terraform version -json`, once per binary and process."""
    try:
        out = subprocess.run(
            [binary, "version", "-json"], capture_output=True, text=True, timeout=60, check=False
        ).stdout
        return Version(json.loads(out)["terraform_version"])
    except (OSError, subprocess.SubprocessError, ValueError, KeyError, InvalidVersion):
        return None


@rule
def terraform(inputs: Inputs) -> Iterator[Violation]:
    binary = shutil.which("terraform")
    if binary is None:
        yield Violation.plain("terraform is not on PATH; install Terraform >= 1.10")
        return
    version = terraform_version(binary)
    if version is None:
        yield Violation.plain(f"{binary}: `terraform version -json` gave no version")
        return
    path, text = _versions_tf(inputs)
    required = _required(text, r'required_version\s*=\s*"([^"]+)"')
    if required and version not in specifier(required):
        yield Violation(str(path), "required_version", f"terraform on PATH is {version}", required)
    from flotilla.deploy.environments import load_all

    for env in load_all(inputs.project).values():
        for key, needs in BACKEND_FEATURES:
            if getattr(env.spec.state, key) and version < needs:
                yield Violation(
                    str(env.path),
                    f"state.{key}",
                    f"needs terraform >= {needs}; {binary} is {version} (upgrade terraform)",
                )


def _platform() -> str:
    import platform

    machine = platform.machine().lower()
    arch = {"x86_64": "amd64", "aarch64": "arm64"}.get(machine, machine)
    return f"{platform.system().lower()}_{arch}"


@rule
def provider(inputs: Inputs) -> Iterator[Violation]:
    plugin_dir = inputs.project.tf_plugin_dir
    if plugin_dir is None:
        return  # the registry is used; its reachability is checked online
    folder = plugin_dir / PROVIDER
    found: list[Version] = []
    if folder.is_dir():
        for sub in folder.iterdir():
            try:
                version = Version(sub.name)
            except InvalidVersion:
                continue
            if any((sub / _platform()).glob("terraform-provider-aws*")):
                found.append(version)
    if not found:
        yield Violation.plain(
            f"terraform plugin directory {plugin_dir} (flotilla.toml [terraform].plugin_dir or "
            f"FLOTILLA_TF_PLUGIN_DIR) holds no hashicorp/aws provider for {_platform()} "
            f"(expected {folder}/<version>/{_platform()}/terraform-provider-aws_*); "
            "unset it to use the Terraform registry, or fill the plugin directory"
        )
        return
    path, text = _versions_tf(inputs)
    wanted = _required(text, r"aws\s*=\s*\{[^}]*version\s*=\s*\"([^\"]+)\"")
    if wanted and not any(v in specifier(wanted) for v in found):
        shown = ", ".join(str(v) for v in sorted(found))
        yield Violation(
            str(path),
            "required_providers.aws.version",
            f"terraform plugin directory {plugin_dir} has hashicorp/aws {shown} only",
            wanted,
        )
