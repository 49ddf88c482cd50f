"""The service manifest, `services/<name>/service.toml`, validated with pydantic.

Shared by the runtime (which reads `path`, `health`, `port`) and by deploy (which reads
everything). It depends on nothing but pydantic and the standard library.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from flotilla.checks import VERIFY_MIN_REQUESTS, SmokeCheck, check_smoke_paths, default_smoke
from flotilla.errors import ManifestError
from flotilla.textfile import read_text

# The container's switch for <path>/openapi.json and /docs, set from the manifest at deploy.
OPENAPI_ENV = "FLOTILLA_OPENAPI"


# Fargate's valid task sizes: cpu units -> allowed memory (MiB).
FARGATE_SIZES: dict[int, tuple[int, ...]] = {
    256: (512, 1024, 2048),
    512: tuple(range(1024, 4096 + 1, 1024)),
    1024: tuple(range(2048, 8192 + 1, 1024)),
    2048: tuple(range(4096, 16384 + 1, 1024)),
    4096: tuple(range(8192, 30720 + 1, 1024)),
}

SEMVER = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$"
)
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# ECS takes an SSM parameter or Secrets Manager secret by ARN; an SSM name ("/a/b") is
# turned into an ARN by Terraform for the deploying account and region.
SECRET_REF = re.compile(
    r"^(arn:aws[a-z-]*:ssm:[a-z0-9-]+:\d{12}:parameter/[\w./-]+"
    r"|arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[\w/+=.@-]+(?::[\w-]*){0,3}"
    r"|/[\w./-]+)$"
)


def _check_env_names(values: dict[str, str], what: str) -> dict[str, str]:
    for key in values:
        if not ENV_NAME.match(key):
            raise ValueError(f"{what} name {key!r} must match [A-Za-z_][A-Za-z0-9_]*")
    return values


class Slo(BaseModel):
    """Service-level objectives; Terraform turns them into CloudWatch alarms."""

    model_config = ConfigDict(extra="forbid")

    p99_ms: int = Field(default=500, gt=0, le=60_000)
    availability: float = Field(default=99.9, gt=0, lt=100, description="percent, e.g. 99.9")


class Sizing(BaseModel):
    """The keys an environment may override."""

    model_config = ConfigDict(extra="forbid")

    cpu: int | None = None
    memory: int | None = None
    count: int | None = Field(default=None, ge=0, le=100)
    min: int | None = Field(default=None, ge=0, le=100)
    max: int | None = Field(default=None, ge=1, le=100)
    env: dict[str, str] | None = None
    secrets: dict[str, str] | None = None
    slo: Slo | None = None
    openapi: bool | None = None


class Manifest(BaseModel):
    """One service. Unknown keys are errors so that typos never pass silently."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    framework: Literal["fastapi", "flask", "django"]
    entry: Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")]
    django_settings: str | None = None
    path: str
    port: int = Field(default=8000, ge=1024, le=65535)
    version: str
    health: str | None = None
    max_body_bytes: int = Field(default=1024 * 1024, ge=1, le=1024**3)  # larger: 413
    openapi: bool | None = None  # <path>/openapi.json and /docs; default: on, off in prod
    cpu: int = 256
    memory: int = Field(default=512, validate_default=True)
    count: int = Field(default=1, ge=0, le=100)
    min: int = Field(default=1, ge=0, le=100)
    max: int = Field(default=4, ge=1, le=100, validate_default=True)
    env: dict[str, str] = Field(default_factory=dict)
    secrets: dict[str, str] = Field(default_factory=dict)
    slo: Slo = Field(default_factory=Slo)
    smoke: tuple[SmokeCheck, ...] = ()
    verify_seconds: float | None = Field(default=None, ge=0, le=3600)
    verify_min_requests: int = Field(default=VERIFY_MIN_REQUESTS, ge=1, le=10_000_000)
    # Any environment defined in environments/<name>.toml; deploy's preflight refuses an
    # override for one that is not (the manifest alone cannot know which are).
    environments: dict[str, Sizing] = Field(default_factory=dict)

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not re.fullmatch(r"[a-z][a-z0-9-]{0,31}", v):
            raise ValueError("must be 1-32 characters of [a-z0-9-], starting with a letter")
        return v

    @field_validator("path")
    @classmethod
    def _path(cls, v: str) -> str:
        if not re.fullmatch(r"(/[a-z0-9][a-z0-9._-]*)+", v):
            raise ValueError(
                "must be an absolute path like '/orders': lowercase segments of "
                "[a-z0-9._-], no trailing slash, not '/'"
            )
        return v

    @field_validator("version")
    @classmethod
    def _version(cls, v: str) -> str:
        if not SEMVER.match(v):
            raise ValueError("must be a semantic version like '1.2.3'")
        return v

    @field_validator("health")
    @classmethod
    def _health(cls, v: str | None, info: ValidationInfo) -> str | None:
        path = info.data.get("path")
        if v is not None and path and not (v == path or v.startswith(path + "/")):
            raise ValueError(f"must be under path {path!r}, e.g. '{path}/healthz'")
        return v

    @field_validator("cpu")
    @classmethod
    def _cpu(cls, v: int) -> int:
        if v not in FARGATE_SIZES:
            raise ValueError(f"not a Fargate cpu size; allowed: {sorted(FARGATE_SIZES)}")
        return v

    @field_validator("memory")
    @classmethod
    def _memory(cls, v: int, info: ValidationInfo) -> int:
        cpu = info.data.get("cpu")
        if cpu in FARGATE_SIZES and v not in FARGATE_SIZES[cpu]:
            allowed = FARGATE_SIZES[cpu]
            raise ValueError(
                f"memory {v} does not pair with cpu {cpu}; allowed: "
                f"{allowed[0]}..{allowed[-1]} in steps of {allowed[1] - allowed[0]}"
            )
        return v

    @field_validator("max")
    @classmethod
    def _counts(cls, v: int, info: ValidationInfo) -> int:
        lo, count = info.data.get("min"), info.data.get("count")
        if lo is not None and lo > v:
            raise ValueError(f"min {lo} must be <= max {v}")
        if lo is not None and count is not None and not lo <= count <= v:
            raise ValueError(f"count {count} must be between min {lo} and max {v}")
        return v

    @field_validator("env")
    @classmethod
    def _env(cls, v: dict[str, str]) -> dict[str, str]:
        return _check_env_names(v, "variable")

    @field_validator("secrets")
    @classmethod
    def _secrets(cls, v: dict[str, str], info: ValidationInfo) -> dict[str, str]:
        _check_env_names(v, "secret")
        for key, ref in v.items():
            if not SECRET_REF.match(ref):
                raise ValueError(
                    f"secret {key} = {ref!r} must be an SSM parameter (name '/x/y' or ARN) "
                    "or a Secrets Manager ARN; secret values never go in the manifest"
                )
        clash = set(v) & set(info.data.get("env") or {})
        if clash:
            raise ValueError(f"{sorted(clash)} set in both [env] and [secrets]")
        return v

    @model_validator(mode="after")
    def _default_health(self) -> Manifest:
        if self.health is None:
            object.__setattr__(self, "health", f"{self.path}/healthz")
        check_smoke_paths(self.smoke, self.path)
        return self

    @property
    def health_path(self) -> str:
        assert self.health is not None
        return self.health

    @property
    def smoke_checks(self) -> tuple[SmokeCheck, ...]:
        """The `[[smoke]]` entries, or the default: GET of the root path, not 5xx."""
        return self.smoke or default_smoke(self.path)

    def openapi_in(self, environment: str) -> bool:
        """Whether `environment` serves the document and docs (`openapi`, else not in prod)."""
        chosen = self.for_env(environment).openapi
        return environment != "prod" if chosen is None else chosen

    def for_env(self, environment: str) -> Manifest:
        """The manifest with `[environments.<environment>]` applied, validated again."""
        override = self.environments.get(environment)
        if override is None:
            return self
        data = self.model_dump()
        for key, value in override.model_dump(exclude_none=True).items():
            data[key] = {**data[key], **value} if key in ("env", "secrets") else value
        return Manifest.model_validate(data)


def format_validation_error(source: str, error: ValidationError) -> str:
    """One line per problem: file, key, bad value and what is allowed."""
    lines = []
    for err in error.errors():
        loc = ".".join(str(p) for p in err["loc"])
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            lines.append(f"{source}: unknown key `{loc}` (remove it or check its spelling)")
            continue
        if err["type"] == "missing":
            lines.append(f"{source}: missing required key `{loc}`")
            continue
        value = err.get("input")
        shown = "" if isinstance(value, dict) else f" = {value!r}"
        lines.append(f"{source}: key `{loc}`{shown}: {msg}" if loc else f"{source}: {msg}")
    return "\n".join(lines)


def parse_manifest(text: str, source: str, folder_name: str | None = None) -> Manifest:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ManifestError(f"{source}: not valid TOML: {exc}") from None
    try:
        manifest = Manifest.model_validate(data)
    except ValidationError as exc:
        raise ManifestError(format_validation_error(source, exc)) from None
    if folder_name is not None and manifest.name != folder_name:
        raise ManifestError(
            f"{source}: key `name` = {manifest.name!r} must equal the folder name {folder_name!r}"
        )
    for env in manifest.environments:
        try:
            manifest.for_env(env)
        except ValidationError as exc:
            raise ManifestError(
                format_validation_error(f"{source} [environments.{env}]", exc)
            ) from None
    return manifest


def load_manifest(path: Path) -> Manifest:
    """Read and validate one `service.toml`; the folder name must equal `name`."""
    text = read_text(path)
    # Resolved: an image may reach the service folder through a link (/srv/service).
    return parse_manifest(text, str(path), folder_name=path.resolve().parent.name)
