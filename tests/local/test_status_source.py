"""The local StatusSource reads the daemon's status.json and never reports a stale steady state."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import boto3
import pytest

from flotilla.errors import FlotillaError
from flotilla.local.paths import LocalPaths, write_json
from flotilla.local.status import LocalStatusSource


def _service(ecs: Any, name: str) -> tuple[str, str]:
    ecs.create_cluster(clusterName="st")
    defs = [{"name": name, "image": "x", "memory": 512}]
    td1 = ecs.register_task_definition(family=name, containerDefinitions=defs)
    td2 = ecs.register_task_definition(family=name, containerDefinitions=defs)
    ecs.create_service(
        cluster="st",
        serviceName=name,
        desiredCount=1,
        taskDefinition=td1["taskDefinition"]["taskDefinitionArn"],
    )
    return td1["taskDefinition"]["taskDefinitionArn"], td2["taskDefinition"]["taskDefinitionArn"]


def _entry(name: str, td: str, state: str = "COMPLETED") -> dict[str, Any]:
    return {
        "name": name,
        "cluster": "st",
        "task_definition": td,
        "observed_task_definition": td,
        "desired": 1,
        "running": 1,
        "pending": 0,
        "rollout_state": state,
        "rollout_reason": None,
        "rolled_back": False,
        "stopped_reasons": [],
        "targets": [{"target": "172.17.0.9:8000", "state": "healthy", "reason": None}],
        "paths": [],
        "tasks": [],
    }


def test_status_source_follows_the_emulator_and_the_daemon(
    tmp_path: Path, aws_env: dict[str, str]
) -> None:
    ecs = boto3.client("ecs")
    td1, td2 = _service(ecs, "svc-a")
    paths = LocalPaths(tmp_path)
    source = LocalStatusSource(paths, ecs=ecs)
    with pytest.raises(FlotillaError, match="not running"):
        source.service_status("st", "svc-a", None)

    write_json(
        paths.status, {"updated": time.time(), "services": {"st/svc-a": _entry("svc-a", td1)}}
    )
    st = source.service_status("st", "svc-a", None)
    assert st.steady and st.task_definition == td1 and st.targets[0].state == "healthy"

    # An apply the daemon has not seen yet: in progress, on the new revision (never "steady").
    ecs.update_service(cluster="st", service="svc-a", taskDefinition=td2)
    st = source.service_status("arn:aws:ecs:us-east-1:123456789012:cluster/st", "svc-a", None)
    assert (st.rollout_state, st.task_definition, st.steady) == ("IN_PROGRESS", td2, False)

    write_json(paths.status, {"updated": time.time() - 60, "services": {}})
    with pytest.raises(FlotillaError, match="flotilla local up"):
        source.service_status("st", "svc-a", None)
