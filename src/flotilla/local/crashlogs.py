"""Crash causes kept: a failed task's exit code, reason and last log lines, saved before the
local runtime removes its container (`build/local/logs/<service>/<task>.json`).

They are kept through the service's next deployment (a new task definition; an automatic
rollback is one) and dropped at the one after, and read by the deploy when a rollout fails
and by `flotilla logs SERVICE --failed`.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from flotilla.deploy.status import FailedTask
from flotilla.local.paths import read_json, write_json

KEEP_LINES = 200


def service_dir(root: Path, service: str) -> Path:
    return root / service


def save(root: Path, container: Any, service: str, task: str, taskdef: str, reason: str) -> None:
    """Write what a stopped task left: exit code, reason, its last KEEP_LINES log lines."""
    try:
        container.reload()
        code = container.attrs.get("State", {}).get("ExitCode")
        raw = container.logs(stdout=True, stderr=True, tail=KEEP_LINES)
        lines = bytes(raw).decode(errors="replace").splitlines()
    except Exception as exc:  # gone already: keep the reason at least
        code, lines = None, [f"(no logs: {exc})"]
    write_json(
        service_dir(root, service) / f"{task}.json",
        {
            "service": service,
            "task": task,
            "task_definition": taskdef,
            "exit_code": code,
            "reason": reason,
            "stopped_at": time.time(),
            "lines": lines,
        },
    )


def forget(root: Path, service: str, keep: str | None) -> None:
    """A new deployment of `service`: drop the crash causes of older ones, but keep those of
    `keep`, the deployment it replaces (an automatic rollback must not erase why)."""
    for path in service_dir(root, service).glob("*.json"):
        try:
            taskdef = read_json(path).get("task_definition")
        except (OSError, ValueError):
            taskdef = None
        if keep is None or taskdef != keep:
            path.unlink(missing_ok=True)


def failed(root: Path, service: str) -> list[FailedTask]:
    """The service's kept failed tasks, newest first."""
    found = []
    for path in service_dir(root, service).glob("*.json"):
        try:
            d = read_json(path)
        except (OSError, ValueError):
            continue
        found.append(
            (
                float(d.get("stopped_at", 0)),
                FailedTask(
                    d["task"], d.get("exit_code"), d.get("reason", ""), tuple(d.get("lines", []))
                ),
            )
        )
    return [t for _, t in sorted(found, key=lambda x: x[0], reverse=True)]
