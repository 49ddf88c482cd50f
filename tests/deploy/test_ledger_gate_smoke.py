"""Release ledger in the emulator's SSM and the gate (smoke checks: test_smoke.py)."""

from __future__ import annotations

import boto3
import pytest

from flotilla.deploy import gate
from flotilla.deploy.ledger import MAX_CHARS, Ledger, Release, now
from flotilla.deploy.review import Review
from tests.fixtures.deploy import unique_project


def rel(service: str, digest: str, tag: str = "c-1") -> Release:
    return Release(
        0,
        service,
        tag,
        digest,
        f"r/x@{digest}",
        "1.0.0",
        "abc1234",
        now(),
        "arn:aws:iam::123456789012:user/ci",
    )


def test_ledger_numbers_releases_newest_first_in_ssm(aws_env: dict[str, str]) -> None:
    project = unique_project()
    ledger = Ledger(project, "staging")
    assert ledger.history("orders") == [] and ledger.current("orders") is None
    first, _ = ledger.record(rel("orders", "sha256:" + "a" * 64))
    second, _ = ledger.record(rel("orders", "sha256:" + "b" * 64, "c-2"))
    ledger.record(rel("users", "sha256:" + "c" * 64))
    assert (first.number, second.number) == (1, 2)
    assert [r.tag for r in ledger.history("orders")] == ["c-2", "c-1"]
    # It lives in AWS (SSM), one parameter per environment and service.
    ssm = boto3.client("ssm")
    value = ssm.get_parameter(Name=f"/flotilla/{project}/staging/releases/orders")["Parameter"]
    assert '"deployer":"arn:aws:iam::123456789012:user/ci"' in value["Value"]
    assert sorted(ledger.everything()) == ["orders", "users"]
    assert Ledger(project, "prod").everything() == {}


def test_ledger_trims_to_fit_a_standard_parameter(aws_env: dict[str, str]) -> None:
    ledger = Ledger(unique_project(), "staging")
    dropped_all = []
    for i in range(40):
        _, dropped = ledger.record(rel("orders", "sha256:" + f"{i:064x}", f"c-{i}"))
        dropped_all += dropped
    history = ledger.history("orders")
    assert history[0].number == 40 and len(history) + len(dropped_all) == 40
    assert [d.number for d in dropped_all] == list(range(1, len(dropped_all) + 1))
    assert (
        len(
            boto3.client("ssm").get_parameter(Name=ledger.parameter("orders"))["Parameter"]["Value"]
        )
        <= MAX_CHARS
    )


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
