"""Which part of the one emulator each local environment's runtime and ALB serve."""

from __future__ import annotations

from flotilla.local.snapshot import Listener, Rule, Scope, Service, Snapshot, TargetGroup


def _tg(name: str) -> TargetGroup:
    return TargetGroup(
        arn=f"arn:tg/{name}", name=name, port=8000, health_path="/healthz", interval=5,
        timeout=2, healthy=2, unhealthy=2, matcher="200", deregistration_delay=5, targets=(),
    )  # fmt: skip


def _service(cluster: str, name: str, tg: str | None) -> Service:
    return Service(cluster, name, f"arn:td/{cluster}-{name}", 1, tg, name, 8000, 0)


def _listener(lb: str, tg: str) -> Listener:
    rule = Rule(1, ("/orders/*",), (), {"Type": "forward", "TargetGroupArn": tg})
    return Listener(lb, 80, (rule,))


def _snapshot() -> Snapshot:
    snap = Snapshot()
    for env in ("local", "qa"):
        tg = _tg(f"orders-{env}")
        snap.target_groups[tg.arn] = tg
        svc = _service(f"shop-{env}", "orders", tg.arn)
        snap.services[svc.key] = svc
        snap.listeners.append(_listener(f"shop-{env}", tg.arn))
    hand = _tg("made-by-hand")  # no service or rule yet: the default environment's
    snap.target_groups[hand.arn] = hand
    snap.services["test/echo"] = _service("test", "echo", None)
    return snap


def test_an_environment_serves_only_its_own_cluster_and_load_balancer() -> None:
    part = Scope(claims=frozenset({"shop-qa"})).of(_snapshot())
    assert list(part.services) == ["shop-qa/orders"]
    assert [li.lb_name for li in part.listeners] == ["shop-qa"]
    assert [tg.name for tg in part.target_groups.values()] == ["orders-qa"]


def test_the_default_environment_serves_everything_no_other_claims() -> None:
    part = Scope(others=frozenset({"shop-qa"})).of(_snapshot())
    assert sorted(part.services) == ["shop-local/orders", "test/echo"]
    assert [li.lb_name for li in part.listeners] == ["shop-local"]
    assert sorted(tg.name for tg in part.target_groups.values()) == [
        "made-by-hand",
        "orders-local",
    ]


def test_with_no_other_environment_the_default_serves_all() -> None:
    snap = _snapshot()
    part = Scope().of(snap)
    assert part.services == snap.services and part.listeners == snap.listeners
    assert part.target_groups == snap.target_groups


def test_what_a_removed_environment_left_runs_nowhere() -> None:
    """qa's file is gone but its cluster and load balancer are still in the emulator: the
    default environment does not take them over (its ALB would route to them)."""
    default = Scope(reserved="shop-", own="shop-local")
    part = default.of(_snapshot())
    assert sorted(part.services) == ["shop-local/orders", "test/echo"]
    assert [li.lb_name for li in part.listeners] == ["shop-local"]
    assert "orders-qa" not in {tg.name for tg in part.target_groups.values()}
