"""`build/manifest.json`: what the build made, in the schema of docs/architecture.md."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Literal, TypedDict

Status = Literal["built", "unchanged", "failed"]


class ServiceEntry(TypedDict):
    image: str
    content_tag: str | None
    tags: list[str]
    image_id: str | None
    size: int | None
    status: Status
    error: str | None


def write_manifest(
    path: Path,
    *,
    project: str,
    git_sha: str | None,
    base_image: str,
    services: dict[str, ServiceEntry],
) -> dict[str, Any]:
    """Merge with what an earlier build wrote for other services; write atomically."""
    previous: dict[str, Any] = {}
    try:
        old = json.loads(path.read_text())
        if isinstance(old, dict) and old.get("project") == project:
            previous = dict(old.get("services") or {})
    except (OSError, ValueError):
        pass
    merged = {**previous, **services}
    data: dict[str, Any] = {
        "project": project,
        "git_sha": git_sha,
        "base_image": base_image,
        "services": {name: merged[name] for name in sorted(merged)},
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n")
    os.replace(tmp, path)
    return data
