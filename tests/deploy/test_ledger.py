"""The release ledger in the emulator's S3 (the state bucket): conditional writes, concurrent
writers, pins, verdicts and the migration from the SSM ledger."""

from __future__ import annotations

import json
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import boto3

from flotilla.deploy.ledger import Ledger, ServiceLedger
from flotilla.deploy.release import Release, ServiceSpec, now
from flotilla.deploy.rollback import previous
from flotilla.deploy.state import ensure_state_bucket
from tests.fixtures.deploy import unique_project

BUCKET = "flotilla-tfstate-ledger-tests"


def digest(i: int) -> str:
    return "sha256:" + f"{i:064x}"


def spec(i: int, health: str = "/orders/healthz") -> ServiceSpec:
    return ServiceSpec(
        path="/orders",
        port=8000,
        health=health,
        cpu=256,
        memory=512,
        count=1,
        min=1,
        max=2,
        env={"LOG_LEVEL": "info"},
        secrets={"API_TOKEN": "arn:aws:ssm:us-east-1:123456789012:parameter/orders/token"},
        image=f"127.0.0.1:5000/flotilla/orders@{digest(i)}",
    )


def rel(service: str, i: int, **kw: Any) -> Release:
    s = spec(i)
    return Release(
        service=service,
        tag=f"c-{i}",
        digest=digest(i),
        image=s.image,
        version="1.0.0",
        git_sha="abc1234",
        spec=s,
        account="123456789012",
        deployer="arn:aws:iam::123456789012:user/ci",
        time=now(),
        **kw,
    )


def ledger_for(project: str, env: str = "staging") -> Ledger:
    ensure_state_bucket(BUCKET, "us-east-1")
    return Ledger(project, env, BUCKET, f"flotilla/{env}", "us-east-1")


def stored(ledger: Ledger, service: str) -> dict[str, Any]:
    """The object as S3 holds it (what an operator would `aws s3 cp`)."""
    body = boto3.client("s3").get_object(Bucket=ledger.bucket, Key=ledger.key(service))["Body"]
    data: dict[str, Any] = json.loads(body.read())
    return data


def test_each_release_keeps_the_whole_service_map_entry_and_verdict(
    aws_env: dict[str, str],
) -> None:
    ledger = ledger_for(unique_project())
    ledger.record(rel("orders", 1))
    ledger.record(rel("orders", 2).with_verdict("failed", "smoke: GET /orders -> 500"))
    data = stored(ledger, "orders")
    assert ledger.key("orders").startswith("flotilla/staging/releases/")
    newest = data["history"][0]
    assert (newest["number"], newest["verdict"], newest["reason"]) == (
        2,
        "failed",
        "smoke: GET /orders -> 500",
    )
    assert newest["spec"]["health"] == "/orders/healthz"
    assert newest["spec"]["secrets"] == {
        "API_TOKEN": "arn:aws:ssm:us-east-1:123456789012:parameter/orders/token"
    }
    assert (newest["spec"]["cpu"], newest["spec"]["memory"], newest["spec"]["max"]) == (256, 512, 2)
    assert newest["spec"]["slo"] == {"p99_ms": 500, "availability": 99.9}
    assert newest["account"] == "123456789012" and newest["deployer"].endswith("user/ci")
    # A failed release is never what "last passed" means.
    last = ledger.last_passed("orders")
    assert last is not None and last.number == 1
    assert ledger.current("orders") is not None and ledger.current("orders").number == 2  # type: ignore[union-attr]


def test_an_identical_passed_release_is_not_recorded_twice_but_a_config_change_is(
    aws_env: dict[str, str],
) -> None:
    ledger = ledger_for(unique_project())
    assert ledger.record(rel("orders", 1)) is not None
    assert ledger.record(rel("orders", 1)) is None  # same digest, same spec
    moved = rel("orders", 1)
    moved = moved.model_copy(update={"spec": spec(1, health="/orders/ready")})
    recorded = ledger.record(moved)  # same image, new health path: a real change
    assert recorded is not None and recorded[0].number == 2
    assert [r.spec.health for r in ledger.history("orders") if r.spec] == [
        "/orders/ready",
        "/orders/healthz",
    ]


def test_a_pin_is_set_by_recording_with_pin_and_cleared_by_the_next_record_or_unpin(
    aws_env: dict[str, str],
) -> None:
    ledger = ledger_for(unique_project())
    ledger.record(rel("orders", 1))
    ledger.record(rel("orders", 2, kind="rollback"), pin=True)
    assert stored(ledger, "orders")["pin"]["number"] == 2
    pin = ledger.unpin("orders")
    assert pin is not None and pin.number == 2 and pin.by == "rollback"
    assert stored(ledger, "orders")["pin"] is None and ledger.unpin("orders") is None
    ledger.record(rel("orders", 3, kind="rollback"), pin=True)
    ledger.record(rel("orders", 4))
    assert ledger.pinned("orders") is None


def test_a_write_that_lost_the_race_gets_412_rereads_and_lands(aws_env: dict[str, str]) -> None:
    """Deterministic interleaving: writer B records between A's read and A's write, so A's
    If-Match names a stale ETag; the emulator answers 412 and A re-applies its change."""
    project = unique_project()
    a, b = ledger_for(project), ledger_for(project)
    a.record(rel("orders", 1))
    calls: list[int] = []
    real_put = a._put

    def put_after_b(data: ServiceLedger, etag: str | None) -> None:
        calls.append(len(data.history))
        if len(calls) == 1:
            b.record(rel("orders", 3))  # lands first, with the ETag A has not seen
        real_put(data, etag)

    a._put = put_after_b  # type: ignore[method-assign]
    saved = a.record(rel("orders", 2))
    assert saved is not None and saved[0].number == 3
    assert calls == [2, 3]  # the first write was refused, the re-read saw B's entry
    assert [r.tag for r in b.history("orders")] == ["c-2", "c-3", "c-1"]


def _write_many(project: str, first: int, count: int, env: dict[str, str]) -> list[int]:
    import os

    os.environ.update(env)
    ledger = ledger_for(project)
    numbers = []
    for i in range(first, first + count):
        saved = ledger.record(rel("orders", i))
        assert saved is not None
        numbers.append(saved[0].number)
    return numbers


def test_two_concurrent_writers_in_two_processes_both_land(aws_env: dict[str, str]) -> None:
    project = unique_project()
    ledger_for(project)  # the bucket exists before the writers start
    per_writer = 15
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(2, mp_context=ctx) as pool:
        futures = [
            pool.submit(_write_many, project, start, per_writer, aws_env)
            for start in (1_000, 2_000)
        ]
        numbers = [f.result(timeout=300) for f in futures]
    history = ledger_for(project).history("orders")
    assert len(history) == 2 * per_writer
    assert sorted(r.number for r in history) == list(range(1, 2 * per_writer + 1))
    assert sorted(n for ns in numbers for n in ns) == list(range(1, 2 * per_writer + 1))
    tags = {r.tag for r in history}
    assert tags == {f"c-{i}" for s in (1_000, 2_000) for i in range(s, s + per_writer)}


def test_an_ssm_ledger_is_migrated_on_first_use(aws_env: dict[str, str]) -> None:
    project = unique_project()
    ssm = boto3.client("ssm")
    old = [
        {
            "number": n,
            "tag": f"c-{n}",
            "digest": digest(n),
            "image": f"r/x@{digest(n)}",
            "version": "1.0.0",
            "git_sha": "abc1234",
            "time": f"2026-01-0{n}T00:00:00+00:00",
            "deployer": "arn:aws:iam::123456789012:user/ci",
            "kind": "deploy",
        }
        for n in (2, 1)
    ]
    for service in ("orders", "users"):
        ssm.put_parameter(
            Name=f"/flotilla/{project}/staging/releases/{service}",
            Value=json.dumps({"history": old}),
            Type="String",
        )
    ledger = ledger_for(project)
    assert sorted(ledger.everything()) == ["orders", "users"]
    # Both services now live in S3, with the SSM history intact, numbered as before.
    for service in ("orders", "users"):
        data = stored(ledger, service)
        assert data["migrated_from"] == f"/flotilla/{project}/staging/releases/{service}"
        assert [r["number"] for r in data["history"]] == [2, 1]
        assert data["history"][0]["image"] == f"r/x@{digest(2)}"
        assert data["history"][0]["verdict"] == "passed" and data["history"][0]["spec"] is None
    # The next release continues the numbering, in S3; SSM is no longer read.
    saved = ledger.record(rel("orders", 3))
    assert saved is not None and saved[0].number == 3
    ssm.delete_parameter(Name=f"/flotilla/{project}/staging/releases/orders")
    assert [r.number for r in ledger.history("orders")] == [3, 2, 1]
    assert ledger_for(project, "prod").everything() == {}


def test_a_plain_rollback_never_chooses_a_failed_release(aws_env: dict[str, str]) -> None:
    ledger = ledger_for(unique_project())
    ledger.record(rel("orders", 1))
    ledger.record(rel("orders", 2))
    ledger.record(rel("orders", 3).with_verdict("failed", "verify: 5xx 4.0% > 0.1%"))
    ledger.record(rel("orders", 4).with_verdict("interrupted", "Ctrl-C during roll out"))
    ledger.record(rel("orders", 2, kind="rollback"))  # the automatic rollback to #2
    history = ledger.history("orders")
    # Current is #5 (= #2's deployment); #4 and #3 did not pass, #2 is what runs: so #1.
    target = previous(history)
    assert target is not None and target.number == 1
    assert previous(history[:1]) is None
