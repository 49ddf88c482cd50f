"""The pipeline's stage contracts as typed models (as Chalice's `deploy/models.py`): what one
stage hands the next, parsed once where it is read instead of indexed as dicts."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Status = Literal["built", "unchanged", "failed"]


class BuiltService(BaseModel):
    """One service's entry of build/manifest.json, as the pipeline reads it."""

    model_config = ConfigDict(frozen=True)

    image: str
    content_tag: str | None
    tags: list[str]
    image_id: str | None = None
    size: int | None = None
    status: Status
    error: str | None = None

    def push_tags(self) -> list[str]:
        """The content tag first, then the others (a built or unchanged image has one)."""
        if self.content_tag is None:
            raise ValueError(f"{self.image} has no content tag (status {self.status})")
        return [self.content_tag, *(t for t in self.tags if t != self.content_tag)]


class BuildManifest(BaseModel):
    """build/manifest.json: the build stage's contract with push and plan."""

    model_config = ConfigDict(frozen=True)

    project: str = ""
    git_sha: str | None = None
    base_image: str = ""
    services: dict[str, BuiltService] = Field(default_factory=dict)


class ServiceOutput(BaseModel):
    """One entry of Terraform's `services` output (infra/terraform/outputs.tf)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    service_name: str
    target_group_arn: str | None = None
    url: str | None = None
    listener_rule_arn: str | None = None


class TfOutputs(BaseModel):
    """Terraform's root outputs after apply: what roll-out, smoke and status read."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    cluster_name: str | None = None
    alb_url: str | None = None
    alb_dns_name: str | None = None
    services: dict[str, ServiceOutput] = Field(default_factory=dict)

    @property
    def base_url(self) -> str:
        return self.alb_url or self.alb_dns_name or ""
