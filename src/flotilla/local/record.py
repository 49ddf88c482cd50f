"""`.flotilla/local/status.json`: what the daemon publishes each tick, typed once here for its
one writer (the daemon, through `report`) and its readers (the status source, the traffic
metrics, `flotilla local up` and `urls`)."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from flotilla.deploy.status import RolloutState
from flotilla.local.paths import read_json


class TaskRecord(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    service: str
    task_definition: str
    container: str
    target: str | None = None
    url: str | None = None  # on the host's loopback
    internal_url: str | None = None  # the task's own port, never behind the ALB
    state: str
    reason: str | None = None


class TargetRecord(BaseModel):
    model_config = ConfigDict(frozen=True)

    target: str
    state: str
    reason: str | None = None


class ServiceRecord(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    cluster: str
    task_definition: str
    observed_task_definition: str
    desired: int
    running: int
    pending: int
    rollout_state: RolloutState
    rollout_reason: str | None = None
    rolled_back: bool = False
    stopped_reasons: list[str] = Field(default_factory=list)
    targets: list[TargetRecord] = Field(default_factory=list)
    paths: list[str] = Field(default_factory=list)
    tasks: list[TaskRecord] = Field(default_factory=list)


class StatusRecord(BaseModel):
    model_config = ConfigDict(frozen=True)

    ready: bool = False
    updated: float = 0.0
    pid: int | None = None
    env_id: str = ""
    emulator: str = ""
    registry: str | None = None
    alb: str = ""
    children: list[int] = Field(default_factory=list)
    services: dict[str, ServiceRecord] = Field(default_factory=dict)  # "<cluster>/<service>"


def read(path: Path) -> StatusRecord:
    """The record at `path`; OSError when it cannot be read, ValueError when it is no record."""
    data = read_json(path)
    try:
        return StatusRecord.model_validate(data)
    except ValidationError as exc:
        raise ValueError(f"{path} is not a status record: {exc.errors()[0]['msg']}") from None
