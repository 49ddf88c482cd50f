"""One environment's file, `environments/<name>.toml`, as a pydantic model.

The rules that need no other file live here (shapes, ids, regions); the ones that compare
files or the project (name = file name, promotes_from defined, state keys unique, Terraform
keys declared) live in `flotilla.deploy.environments`, which loads every file.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

ACCOUNT_ID = re.compile(r"\d{12}")
ROLE_ARN = re.compile(r"arn:aws[a-z-]*:iam::(\d{12}):role/[\w+=,.@/-]{1,512}")
EXTERNAL_ID = re.compile(r"[\w+=,.@:/-]{2,1224}")
SESSION_NAME = re.compile(r"[\w+=,.@-]{2,64}")
BUCKET = re.compile(r"(?!xn--)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
# Set by Flotilla itself (top-level keys of the file, or the service map): not in [terraform].
RESERVED_TF_KEYS = frozenset(
    {"project", "environment", "environment_kind", "region", "services", "domain"}
    | {"hosted_zone"}
    | {"certificate_arn", "allow_http"}
)
LOCAL_ACCOUNT = "123456789012"  # the emulator's (moto's) account


def check_region(value: str) -> str:
    """The preflight rule for flotilla.toml's region, for an environment's."""
    from flotilla.deploy.preflight.project import region_problem

    problem = region_problem(value)
    if problem:
        raise ValueError(problem)
    return value


def check_account(value: str) -> str:
    if not ACCOUNT_ID.fullmatch(value):
        raise ValueError('an AWS account id is 12 digits, as a string: "123456789012"')
    return value


class State(BaseModel):
    """Terraform's S3 backend: where this environment's state (and its ledger) is kept."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    bucket: str
    key: str | None = None  # default: <project>/<name>/terraform.tfstate
    region: str | None = None  # default: the environment's region
    encrypt: bool = True
    use_lockfile: bool = True

    @field_validator("bucket")
    @classmethod
    def _bucket(cls, v: str) -> str:
        if not BUCKET.fullmatch(v) or ".." in v:
            raise ValueError("an S3 bucket name: 3-63 of [a-z0-9.-], starting and ending alnum")
        return v

    @field_validator("key")
    @classmethod
    def _key(cls, v: str | None) -> str | None:
        if v is not None and (not v or v.startswith("/") or ".." in v.split("/")):
            raise ValueError("a relative S3 key such as 'flotilla/qa/terraform.tfstate'")
        return v

    @field_validator("region")
    @classmethod
    def _region(cls, v: str | None) -> str | None:
        return None if v is None else check_region(v)


TfValue = str | int | float | bool | list[Any] | dict[str, Any]


class EnvironmentFile(BaseModel):
    """What a user writes. Unknown keys are errors, so that typos never pass silently."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    kind: Literal["aws", "local"]
    region: str
    account_id: str | None = None  # None: the account the credentials are for
    role_arn: str | None = None
    external_id: str | None = None
    session_name: str | None = None
    domain: str | None = None
    hosted_zone: str | None = None
    certificate_arn: str | None = None
    allow_http: bool | None = None
    confirm: bool = False  # ask before applying (CI=true or --yes confirm)
    promotes_from: str | None = None
    alb_port: int | None = Field(None, ge=1024, le=65535)  # kind local: its ALB on loopback
    state: State
    terraform: dict[str, TfValue] = Field(default_factory=dict)

    @field_validator("region")
    @classmethod
    def _region(cls, v: str) -> str:
        return check_region(v)

    @field_validator("alb_port", mode="before")
    @classmethod
    def _port(cls, v: object) -> object:
        if v is not None and (isinstance(v, bool) or not isinstance(v, int)):
            raise ValueError("a port number (an integer, 1024-65535)")
        return v

    @field_validator("allow_http", "confirm", mode="before")
    @classmethod
    def _boolean(cls, v: object) -> object:
        if v is not None and not isinstance(v, bool):
            raise ValueError("true or false")
        return v

    @field_validator("account_id")
    @classmethod
    def _account(cls, v: str | None) -> str | None:
        return None if v is None else check_account(v)

    @field_validator("role_arn")
    @classmethod
    def _role(cls, v: str | None) -> str | None:
        if v is not None and not ROLE_ARN.fullmatch(v):
            raise ValueError("an IAM role ARN, arn:aws:iam::<12-digit account>:role/<name>")
        return v

    @field_validator("external_id")
    @classmethod
    def _external_id(cls, v: str | None) -> str | None:
        if v is not None and not EXTERNAL_ID.fullmatch(v):
            raise ValueError("2-1224 of [A-Za-z0-9+=,.@:/_-]")
        return v

    @field_validator("session_name")
    @classmethod
    def _session(cls, v: str | None) -> str | None:
        if v is not None and not SESSION_NAME.fullmatch(v):
            raise ValueError("2-64 of [A-Za-z0-9+=,.@_-]")
        return v

    @field_validator("terraform")
    @classmethod
    def _terraform(cls, v: dict[str, TfValue]) -> dict[str, TfValue]:
        reserved = sorted(set(v) & RESERVED_TF_KEYS)
        if reserved:
            raise ValueError(
                f"{', '.join(reserved)} set by Flotilla; write them at the top of the file "
                "(region, domain, ...) or in flotilla.toml (project)"
            )
        return v

    @property
    def account(self) -> str | None:
        """The account id: the file's, the role's, or the emulator's for kind local."""
        if self.account_id:
            return self.account_id
        if self.role_arn and (m := ROLE_ARN.fullmatch(self.role_arn)):
            return m.group(1)
        return LOCAL_ACCOUNT if self.kind == "local" else None

    def https_settings(self) -> dict[str, Any]:
        keys = ("domain", "hosted_zone", "certificate_arn", "allow_http")
        return {k: getattr(self, k) for k in keys if getattr(self, k) is not None}
