"""Plan review from terraform's JSON plan shape (the end-to-end tests use real plans)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from flotilla.deploy.render import LIMIT, markdown, write
from flotilla.deploy.review import analyse


def td(image: str, env: dict[str, str], cpu: str = "256") -> dict[str, Any]:
    container = {"image": image, "environment": [{"name": k, "value": v} for k, v in env.items()]}
    return {"cpu": cpu, "memory": "512", "container_definitions": json.dumps([container])}


def rc(address: str, rtype: str, actions: list[str], before: Any, after: Any) -> dict[str, Any]:
    return {
        "address": address,
        "type": rtype,
        "mode": "managed",
        "change": {"actions": actions, "before": before, "after": after},
    }


def plan(n_services: int) -> dict[str, Any]:
    changes = [
        rc("module.alb.aws_lb.this", "aws_lb", ["delete", "create"], {}, {}),
        rc("module.network.aws_vpc.this[0]", "aws_vpc", ["no-op"], {}, {}),
    ]
    for i in range(n_services):
        mod = f'module.service["svc{i:04d}"]'
        changes.append(
            rc(
                f"{mod}.aws_ecs_task_definition.this",
                "aws_ecs_task_definition",
                ["delete", "create"],
                td("r/a@sha256:" + "1" * 64, {"A": "1"}),
                td("r/a@sha256:" + "2" * 64, {"B": "2"}, cpu="512"),
            )
        )
        changes.append(
            rc(
                f"{mod}.aws_lb_listener_rule.forward",
                "aws_lb_listener_rule",
                ["no-op"],
                None,
                {"priority": 100 + i, "condition": [{"path_pattern": [{"values": [f"/s{i}/*"]}]}]},
            )
        )
    return {"resource_changes": changes}


def test_review_counts_services_and_critical(tmp_path: Path) -> None:
    review = analyse(plan(2), "staging")
    assert review.counts == {"add": 0, "change": 0, "destroy": 0, "replace": 3}
    assert [c["kind"] for c in review.critical] == ["ALB"]
    s = review.services["svc0000"]
    assert (s.cpu, s.env_added, s.env_removed) == (("256", "512"), ["B"], ["A"])
    md = write(review, plan(2), tmp_path).read_text()
    assert md.index("[!CAUTION]") < md.index("### `svc0000`")
    assert '"100: /s0/*"' in md and "flowchart LR" in md


def test_huge_plan_is_trimmed_to_a_pr_comment_with_a_pointer(tmp_path: Path) -> None:
    review = analyse(plan(1500), "staging")
    md = markdown(review, full_path="build/staging/plan-full.md")
    assert len(md) <= LIMIT and "full review: `build/staging/plan-full.md`" in md
    assert md.startswith("## Terraform plan: `staging`") and "[!CAUTION]" in md
    write(review, plan(1500), tmp_path)
    assert len((tmp_path / "plan-full.md").read_text()) > LIMIT
