"""Project settings from `flotilla.toml` at the repository root: the one place for shared names."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from flotilla.errors import UsageError
from flotilla.manifest import format_validation_error
from flotilla.textfile import read_text

DEFAULT_TF_PLUGIN_DIR = Path("/opt/tf-plugins")


class ProjectSection(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(default="flotilla", pattern=r"^[a-z][a-z0-9-]{0,30}$")
    region: str = "us-east-1"
    # The AWS account images are pushed to, once; every environment pulls from it. Default:
    # the account of the first environment in each environment's promotion chain.
    registry_account: str | None = Field(default=None, pattern=r"^[0-9]{12}$")


class LocalSection(BaseModel):
    model_config = ConfigDict(extra="forbid")
    emulator_port: int = 4566
    registry_port: int = 5000
    alb_port: int = 8080


class AuditSection(BaseModel):
    """`flotilla audit`: licence allow-list, staleness threshold, vulnerability policy."""

    model_config = ConfigDict(extra="forbid")
    allow: list[str] = Field(
        default_factory=lambda: [
            "MIT",
            "BSD-2-Clause",
            "BSD-3-Clause",
            "Apache-2.0",
            "ISC",
            "PSF-2.0",
            "Python-2.0",
            "MPL-2.0",
            "0BSD",
            "Unlicense",
        ]
    )
    ignore_packages: list[str] = Field(default_factory=list)
    unknown_licence: Literal["warn", "fail"] = "warn"
    stale_after_days: int = Field(default=730, ge=1)
    fail_on_vulns: bool = True
    require_vuln_db: bool = False
    timeout_seconds: float = Field(default=10.0, gt=0, le=120)


class TerraformSection(BaseModel):
    """Where terraform takes its providers from (offline machines)."""

    model_config = ConfigDict(extra="forbid")
    plugin_dir: str | None = None  # relative to the project root; "" = always the registry


class BuildSection(BaseModel):
    """`flotilla build`: the base image every service image starts FROM."""

    model_config = ConfigDict(extra="forbid")
    # Pinned by digest ("python:3.12-slim@sha256:<64 hex>"), a rebuild is byte-for-byte the
    # same base even when the tag moves; --base-image and $BASE_IMAGE still win.
    base_image: str | None = Field(
        default=None,
        pattern=r"^[a-z0-9][a-z0-9._/:-]*(@sha256:[0-9a-f]{64})?$",
        description="image reference, best pinned: name[:tag]@sha256:<64 lowercase hex>",
    )


class ProjectConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    project: ProjectSection = Field(default_factory=ProjectSection)
    local: LocalSection = Field(default_factory=LocalSection)
    audit: AuditSection = Field(default_factory=AuditSection)
    terraform: TerraformSection = Field(default_factory=TerraformSection)
    build: BuildSection = Field(default_factory=BuildSection)


@dataclass(frozen=True)
class Project:
    """Where the repository is and what it is called."""

    root: Path
    config: ProjectConfig

    @property
    def name(self) -> str:
        return self.config.project.name

    @property
    def services_dir(self) -> Path:
        return self.root / "services"

    @property
    def build_dir(self) -> Path:
        return self.root / "build"

    @property
    def terraform_dir(self) -> Path:
        return self.root / "infra" / "terraform"

    @property
    def tf_plugin_dir(self) -> Path | None:
        """Terraform's provider directory: flotilla.toml `[terraform] plugin_dir`, then
        FLOTILLA_TF_PLUGIN_DIR, then /opt/tf-plugins when it exists; None means the registry.
        The same answer with or without make."""
        setting = self.config.terraform.plugin_dir
        if setting is None:
            setting = os.environ.get("FLOTILLA_TF_PLUGIN_DIR", "").strip() or None
        if setting is None:
            return DEFAULT_TF_PLUGIN_DIR if DEFAULT_TF_PLUGIN_DIR.is_dir() else None
        return (self.root / setting).resolve() if setting else None


def find_root() -> Path:
    """The nearest folder holding flotilla.toml; FLOTILLA_ROOT wins when set."""
    if env := os.environ.get("FLOTILLA_ROOT"):
        return Path(env).resolve()
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if (folder / "flotilla.toml").is_file():
            return folder
    raise UsageError(
        f"no flotilla.toml in {here} or any parent folder",
        hint="run from the project's repository, or set FLOTILLA_ROOT",
    )


def load_project(root: Path | None = None) -> Project:
    root = root or find_root()
    path = root / "flotilla.toml"
    try:
        data = tomllib.loads(read_text(path, allow_empty=True)) if path.exists() else {}
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{path}: not valid TOML: {exc}") from None
    try:
        return Project(root, ProjectConfig.model_validate(data))
    except ValidationError as exc:
        raise UsageError(format_validation_error(str(path), exc)) from None
