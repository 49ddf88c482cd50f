"""The API contract in the plan review, against the emulator's S3: the deployed release's
document kept by hash next to the ledger, compared with the working tree's, the plan.md lines,
and the gate (exit 3 unless --allow-breaking or a major version bump)."""

from __future__ import annotations

from pathlib import Path

import pytest

from flotilla.deploy import contracts
from flotilla.deploy.gate import GateClosed
from flotilla.deploy.ledger import Ledger
from flotilla.deploy.release import Release, now
from flotilla.deploy.state import ensure_state_bucket
from flotilla.discovery import Service
from flotilla.manifest import load_manifest
from tests.fixtures.deploy import unique_project

CODE = """
from pydantic import BaseModel
from flotilla import Plugin

plugin = Plugin("shop")


class Order(BaseModel):
    id: str
    customer: str


@plugin.get("/{order_id}")
def get_order(order_id: str) -> Order:
    return Order(id=order_id, customer="c")
"""
DELETE = """

@plugin.delete("/{order_id}")
def delete_order(order_id: str) -> None:
    return None
"""


def service(root: Path, code: str, version: str = "1.0.0") -> Service:
    folder = root / "shop"
    folder.mkdir(exist_ok=True)
    (folder / "shop_contract_mod.py").write_text(code)
    (folder / "service.toml").write_text(
        'name = "shop"\nframework = "fastapi"\nentry = "shop_contract_mod:plugin"\n'
        f'path = "/shop"\nversion = "{version}"\n'
    )
    return Service(load_manifest(folder / "service.toml"), folder, str(folder / "service.toml"))


def deployed(ledger: Ledger, svc: Service) -> None:
    """What a deploy does: keep the document by hash, record the release naming it."""
    (checked,) = contracts.check([svc], ledger)
    hashes = contracts.store_documents([checked], ledger)
    digest = "sha256:" + "d" * 64
    ledger.record(
        Release(service="shop", tag="c-1", digest=digest, image=f"r/shop@{digest}",
                version=svc.manifest.version, openapi=hashes["shop"], time=now())
    )  # fmt: skip


@pytest.mark.slow
def test_breaking_change_is_listed_and_gated(aws_env: dict[str, str], tmp_path: Path) -> None:
    ensure_state_bucket("flotilla-tfstate-contract-tests", "us-east-1")
    ledger = Ledger(
        unique_project(), "staging", "flotilla-tfstate-contract-tests", "st", "us-east-1"
    )
    first = service(tmp_path, CODE + DELETE)
    (fresh,) = contracts.check([first], ledger)
    assert fresh.note == "first release: nothing deployed to compare with" and not fresh.blocks
    deployed(ledger, first)

    (same,) = contracts.check([first], ledger)
    assert same.note == "compared with release 1 (1.0.0)" and not same.diff.changed
    assert "No API changes." in contracts.markdown([same])

    broken = service(tmp_path, CODE.replace("    customer: str\n", ""))
    (c,) = contracts.check([broken], ledger)
    section = contracts.markdown([c])
    assert "- breaking: DELETE /shop/{order_id}: removed" in section
    assert "- breaking: GET /shop/{order_id}: response field customer removed" in section
    with pytest.raises(GateClosed) as closed:
        contracts.refuse([c], allow_breaking=False, plan_md="plan.md")
    assert closed.value.exit_code == 3 and "shop: 2 breaking" in str(closed.value)
    contracts.refuse([c], allow_breaking=True, plan_md="plan.md")  # --allow-breaking

    bumped = service(tmp_path, CODE.replace("    customer: str\n", ""), version="2.0.0")
    (b,) = contracts.check([bumped], ledger)
    assert b.major_bumped and not b.blocks
    contracts.refuse([b], allow_breaking=False, plan_md="plan.md")
    assert "the major version was bumped" in contracts.markdown([b])
