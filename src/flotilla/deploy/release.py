"""What a release is: one service's whole service-map entry plus who shipped it and the verdict.

`ServiceSpec` is everything Terraform (and the checks after it) needs for one service, so a
rollback can re-apply a release without reading the working tree. It is built from a manifest
in one place (`servicemap.service_spec`) and from the ledger everywhere else. Fields added
later get defaults, so older ledger entries still load.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from flotilla.checks import VERIFY_MIN_REQUESTS, SmokeCheck, default_smoke

Verdict = Literal["passed", "failed", "interrupted"]
Kind = Literal["deploy", "rollback", "promote"]


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class _Frozen(BaseModel):
    # "ignore": a ledger written by a newer flotilla still loads here.
    model_config = ConfigDict(frozen=True, extra="ignore")


class Slo(_Frozen):
    p99_ms: int = 500
    availability: float = 99.9


class ServiceSpec(_Frozen):
    """One service's entry in the service map, as deployed (the environment's overrides
    applied). `image` is pinned by digest."""

    path: str
    port: int
    health: str
    cpu: int
    memory: int
    count: int
    min: int
    max: int
    env: dict[str, str] = {}
    secrets: dict[str, str] = {}  # name -> secret reference (ARN or parameter), never a value
    slo: Slo = Slo()
    smoke: tuple[SmokeCheck, ...] = ()  # the `[[smoke]]` entries
    verify_seconds: float | None = None  # None: the environment's default (flotilla.checks)
    verify_min_requests: int = VERIFY_MIN_REQUESTS
    image: str

    @property
    def smoke_checks(self) -> tuple[SmokeCheck, ...]:
        """The smoke entries, or the default (GET of the root path, not 5xx)."""
        return self.smoke or default_smoke(self.path)

    def with_image(self, image: str) -> ServiceSpec:
        return self.model_copy(update={"image": image})


class Release(_Frozen):
    """One ledger entry. `number` is assigned by `Ledger.record` (0 until then).

    `spec` is None only for entries migrated from the SSM ledger, which kept the image alone."""

    number: int = 0
    service: str
    tag: str  # the content tag (or the tag `rollback --to` named)
    digest: str
    image: str  # what the task definition runs (<host>/<repo>@<digest>)
    version: str
    git_sha: str = ""
    spec: ServiceSpec | None = None
    openapi: str = ""  # "sha256:..." of its OpenAPI document (kept next to the ledger), or ""
    verdict: Verdict = "passed"
    reason: str = ""
    kind: Kind = "deploy"
    account: str = ""
    deployer: str = "unknown"  # the caller identity's ARN
    time: str = ""  # ISO 8601, UTC

    def again(self, deployer: str, account: str, kind: Kind) -> Release:
        """This release deployed anew (same image and spec): a new entry, numbered on record."""
        return self.model_copy(
            update={
                "number": 0,
                "time": now(),
                "deployer": deployer,
                "account": account,
                "kind": kind,
                "verdict": "passed",
                "reason": "",
            }
        )

    def with_verdict(self, verdict: Verdict, reason: str = "") -> Release:
        return self.model_copy(update={"verdict": verdict, "reason": reason})

    def same_deployment(self, other: Release) -> bool:
        """True when both run the same image with the same service-map entry."""
        return self.digest == other.digest and self.spec == other.spec


class Pin(_Frozen):
    """A service held at one release: deploys keep it there until it is unpinned."""

    number: int
    by: str = "rollback"
    deployer: str = "unknown"
    time: str = ""
