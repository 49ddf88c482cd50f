"""What a deploy checks in a service before it calls the release good: the manifest's
`[[smoke]]` entries and its verify settings. Pydantic and the standard library only (the
manifest model imports it)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

# verify_seconds when neither the manifest nor the command sets it: CloudWatch has 1-minute
# data and some lag, so AWS needs minutes where the local tasks' own counters need seconds.
VERIFY_SECONDS = {"local": 20.0, "aws": 180.0}
VERIFY_MIN_REQUESTS = 100


class SmokeCheck(BaseModel):
    """One request through the load balancer after the rollout, and what its answer must be.

    `status` None means "anything but 5xx". `contains` is a substring of the body; `json_key`
    a key (dotted for nested objects, e.g. `item.id`) the JSON body must have."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    method: Literal["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] = "GET"
    path: str
    body: Any = None
    status: int | None = Field(default=None, ge=100, le=599)
    contains: str | None = Field(default=None, min_length=1)
    json_key: str | None = Field(default=None, pattern=r"^[^.\s]+(\.[^.\s]+)*$")

    @field_validator("path")
    @classmethod
    def _path(cls, v: str) -> str:
        if not v.startswith("/") or any(c.isspace() for c in v):
            raise ValueError("must be an absolute URL path like '/orders/items/1' (no spaces)")
        return v

    def describe(self) -> str:
        return f"{self.method} {self.path}"

    def expectation(self) -> str:
        parts = [f"HTTP {self.status}" if self.status is not None else "not 5xx"]
        if self.contains is not None:
            parts.append(f"body contains {self.contains!r}")
        if self.json_key is not None:
            parts.append(f"JSON has key {self.json_key!r}")
        return ", ".join(parts)


def default_smoke(path: str) -> tuple[SmokeCheck, ...]:
    """With no `[[smoke]]` entry: GET the service's root path; it must not answer 5xx."""
    return (SmokeCheck(path=f"{path}/"),)


def check_smoke_paths(checks: tuple[SmokeCheck, ...], path: str) -> None:
    """Every smoke path is the service's path or under it (the ALB routes nothing else here)."""
    for i, c in enumerate(checks):
        if not (c.path == path or c.path.startswith(path + "/")):
            raise ValueError(
                f"key `smoke.{i}.path` = {c.path!r}: must be under the service path {path!r}, "
                f"e.g. '{path}/items'"
            )
