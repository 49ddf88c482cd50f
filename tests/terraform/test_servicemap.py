"""The service map: what Terraform gets from the manifests (no terraform needed)."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from flotilla.deploy.servicemap import build_service_map, priority, write_service_map
from flotilla.errors import UsageError
from flotilla.project import Project
from tests.fixtures.terraform import extra_service, fake_image


@pytest.fixture
def services(tmp_path: Path) -> list:
    return [extra_service(n, tmp_path) for n in ("orders", "users", "billing")]


def images_for(services: list) -> dict[str, str]:
    return {s.name: fake_image(s.name) for s in services}


def test_priorities_do_not_move_when_services_come_and_go(services: list, tmp_path: Path) -> None:
    full = build_service_map(services, "staging", images_for(services))["services"]
    fewer = build_service_map(services[:2], "staging", images_for(services))["services"]
    more_svcs = [*services, extra_service("search", tmp_path)]
    more = build_service_map(more_svcs, "staging", images_for(more_svcs))["services"]
    for name in ("orders", "users"):
        assert full[name]["priority"] == fewer[name]["priority"] == more[name]["priority"]
    assert len({e["priority"] for e in more.values()}) == 4
    assert all(1 <= e["priority"] <= 24_999 for e in more.values())


def test_priority_collision_names_both_services(tmp_path: Path) -> None:
    # Find two real names with the same priority rather than faking the hash.
    seen: dict[int, str] = {}
    for i in itertools.count():
        name = f"svc-{i}"
        if priority(name) in seen:
            first = seen[priority(name)]
            break
        seen[priority(name)] = name
    pair = [extra_service(first, tmp_path), extra_service(name, tmp_path)]
    with pytest.raises(UsageError) as err:
        build_service_map(pair, "local", images_for(pair))
    assert first in str(err.value) and name in str(err.value)
    assert "rename" in str(err.value)


def test_environment_overrides_apply(services: list) -> None:
    prod = build_service_map(services, "prod", images_for(services))["services"]["orders"]
    staging = build_service_map(services, "staging", images_for(services))["services"]["orders"]
    assert (prod["cpu"], prod["memory"]) == (512, 1024)
    assert (staging["cpu"], staging["memory"]) == (256, 512)
    assert staging["secrets"] == {"API_TOKEN": "/orders/api-token"}
    assert staging["health"] == "/orders/healthz"
    assert staging["slo"] == {"p99_ms": 500, "availability": 99.9}


def test_unpinned_or_missing_image_is_refused(services: list) -> None:
    images = images_for(services)
    with pytest.raises(UsageError, match=r"billing.*pinned by digest"):
        build_service_map(services, "local", {**images, "billing": "repo/billing:latest"})
    del images["users"]
    with pytest.raises(UsageError, match=r"no image for service.*users"):
        build_service_map(services, "local", images)


def test_unknown_environment_is_refused(services: list, tf_project: Project) -> None:
    with pytest.raises(UsageError, match="unknown environment 'qa'"):
        build_service_map(services, "qa", images_for(services), project=tf_project)


def test_write_service_map(services: list, tf_project: Project) -> None:
    path = write_service_map(tf_project, "staging", services, images_for(services))
    assert path == tf_project.root / "build" / "staging" / "services.tfvars.json"
    data = json.loads(path.read_text())
    assert data["project"] == "tftest"
    assert sorted(data["services"]) == ["billing", "orders", "users"]
    assert set(data["services"]["users"]) == {
        "path", "port", "health", "cpu", "memory", "count", "min", "max",
        "env", "secrets", "slo", "image", "priority",
    }  # fmt: skip


def test_openapi_switch_reaches_the_container_env(services: list) -> None:
    """Off in prod by default, on elsewhere: the runtime reads FLOTILLA_OPENAPI."""
    by_env = {
        env: build_service_map(services, env, images_for(services))["services"]["users"]["env"]
        for env in ("local", "staging", "prod")
    }
    assert {env: e["FLOTILLA_OPENAPI"] for env, e in by_env.items()} == {
        "local": "true",
        "staging": "true",
        "prod": "false",
    }
