"""Release ledger in the emulator's S3 and the gate (smoke checks: test_smoke.py; more
ledger tests: test_ledger.py)."""

from __future__ import annotations

import boto3
import pytest

from flotilla.deploy import gate
from flotilla.deploy.ledger import MAX_HISTORY, Ledger
from flotilla.deploy.release import Release, now
from flotilla.deploy.review import Review
from flotilla.deploy.state import ensure_state_bucket
from tests.fixtures.deploy import unique_project


def rel(service: str, digest: str, tag: str = "c-1") -> Release:
    return Release(
        service=service,
        tag=tag,
        digest=digest,
        image=f"r/x@{digest}",
        version="1.0.0",
        git_sha="abc1234",
        time=now(),
        deployer="arn:aws:iam::123456789012:user/ci",
    )


def s3_ledger(project: str, env: str) -> Ledger:
    ensure_state_bucket("flotilla-tfstate-ledger-tests", "us-east-1")
    return Ledger(project, env, "flotilla-tfstate-ledger-tests", f"flotilla/{env}", "us-east-1")


def test_ledger_numbers_releases_newest_first_in_s3(aws_env: dict[str, str]) -> None:
    project = unique_project()
    ledger = s3_ledger(project, "staging")
    assert ledger.history("orders") == [] and ledger.current("orders") is None
    first, _ = ledger.record(rel("orders", "sha256:" + "a" * 64))  # type: ignore[misc]
    second, _ = ledger.record(rel("orders", "sha256:" + "b" * 64, "c-2"))  # type: ignore[misc]
    ledger.record(rel("users", "sha256:" + "c" * 64))
    assert (first.number, second.number) == (1, 2)
    assert [r.tag for r in ledger.history("orders")] == ["c-2", "c-1"]
    # It lives in the state bucket, one object per environment and service.
    obj = boto3.client("s3").get_object(Bucket=ledger.bucket, Key=ledger.key("orders"))
    assert '"deployer": "arn:aws:iam::123456789012:user/ci"' in obj["Body"].read().decode()
    assert sorted(ledger.everything()) == ["orders", "users"]
    assert s3_ledger(project, "prod").everything() == {}


def test_ledger_trims_to_its_history_limit(aws_env: dict[str, str]) -> None:
    ledger = s3_ledger(unique_project(), "staging")
    dropped_all = []
    for i in range(MAX_HISTORY + 10):
        _, dropped = ledger.record(rel("orders", "sha256:" + f"{i:064x}", f"c-{i}"))  # type: ignore[misc]
        dropped_all += dropped
    history = ledger.history("orders")
    assert history[0].number == MAX_HISTORY + 10 and len(history) + len(dropped_all) == 60
    assert [d.number for d in dropped_all] == list(range(1, len(dropped_all) + 1))
    assert len(history) == MAX_HISTORY


def review(env: str, critical: bool) -> Review:
    crit = (
        [
            {
                "address": "module.alb.aws_lb.this",
                "type": "aws_lb",
                "kind": "ALB",
                "action": "replace",
            }
        ]
        if critical
        else []
    )
    return Review(
        env, {"add": 0, "change": 1, "destroy": 0, "replace": int(critical)}, crit, {}, []
    )


def test_gate_blocks_critical_replacement_unless_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(gate.GateClosed, match=r"replace ALB module.alb.aws_lb.this") as exc:
        gate.check(review("staging", True), allow_destroy=False, yes=True, plan_md="plan.md")
    assert "--allow-destroy" in str(exc.value)
    gate.check(review("staging", True), allow_destroy=True, yes=True, plan_md="plan.md")


def test_gate_prod_needs_confirmation(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(gate.GateClosed, match="prod needs confirmation"):
        gate.check(review("prod", False), allow_destroy=False, yes=False, plan_md="p")
    gate.check(review("prod", False), allow_destroy=False, yes=True, plan_md="p")
    monkeypatch.setenv("CI", "true")
    gate.check(review("prod", False), allow_destroy=False, yes=False, plan_md="p")


def test_gate_follows_the_environment_files_confirm(monkeypatch: pytest.MonkeyPatch) -> None:
    # environments/<env>.toml `confirm` decides, for any environment: the shipped prod asks,
    # staging does not; a qa that sets confirm = true asks too.
    from flotilla.deploy.environments import load_all
    from flotilla.project import load_project
    from tests.fixtures.base import REPO

    monkeypatch.delenv("CI", raising=False)
    found = load_all(load_project(REPO))
    assert found["prod"].spec.confirm and not found["staging"].spec.confirm
    with pytest.raises(gate.GateClosed, match="qa needs confirmation"):
        gate.check(review("qa", False), allow_destroy=False, yes=False, plan_md="p",
                   needs_confirm=True)  # fmt: skip
    gate.check(review("qa", False), allow_destroy=False, yes=False, plan_md="p",
               needs_confirm=False)  # fmt: skip
