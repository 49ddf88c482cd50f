"""Discovery: services/*/service.toml; duplicates and overlapping paths name both."""

from __future__ import annotations

from pathlib import Path

import pytest

from flotilla.discovery import discover, select
from flotilla.errors import ManifestError, UsageError


def make(root: Path, folder: str, path: str, name: str | None = None) -> Path:
    d = root / "services" / folder
    d.mkdir(parents=True)
    (d / "service.toml").write_text(
        f'name = "{name or folder}"\nframework = "flask"\nentry = "m:plugin"\n'
        f'path = "{path}"\nversion = "0.1.0"\n'
    )
    return d / "service.toml"


def test_finds_all_sorted(tmp_path: Path) -> None:
    make(tmp_path, "users", "/users")
    make(tmp_path, "orders", "/orders")
    make(tmp_path, "orders-v2", "/orders-v2")  # a prefix of characters, not of segments
    found = discover(tmp_path / "services", include_installed=False)
    assert [s.name for s in found] == ["orders", "orders-v2", "users"]


@pytest.mark.parametrize(("a", "b"), [("/shop", "/shop"), ("/shop", "/shop/admin")])
def test_overlapping_paths_name_both(tmp_path: Path, a: str, b: str) -> None:
    pa = make(tmp_path, "one", a)
    pb = make(tmp_path, "two", b)
    with pytest.raises(ManifestError) as err:
        discover(tmp_path / "services", include_installed=False)
    assert str(pa) in str(err.value) and str(pb) in str(err.value)
    assert "overlapping paths" in str(err.value)


def test_invalid_manifest_stops_discovery(tmp_path: Path) -> None:
    make(tmp_path, "good", "/good")
    bad = make(tmp_path, "bad", "/bad")
    bad.write_text(bad.read_text() + "cpu = 3\n")
    with pytest.raises(ManifestError, match=r"bad/service.toml: key `cpu`"):
        discover(tmp_path / "services", include_installed=False)


def test_select_unknown_lists_known(tmp_path: Path) -> None:
    make(tmp_path, "orders", "/orders")
    services = discover(tmp_path / "services", include_installed=False)
    assert [s.name for s in select(services, ["orders"])] == ["orders"]
    with pytest.raises(UsageError, match="unknown service 'nope'; known: orders"):
        select(services, ["nope"])


def test_installed_entry_points_are_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A package installed with a `flotilla.services` entry point is a service too; its
    service.toml sits in the package folder."""
    site = tmp_path / "site"
    pkg = site / "billing_svc"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "service.toml").write_text(
        'name = "billing"\nframework = "flask"\nentry = "billing_svc.app:plugin"\n'
        'path = "/billing"\nversion = "2.0.0"\n'
    )
    dist = site / "billing_svc-2.0.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: billing-svc\nVersion: 2.0.0\n")
    (dist / "entry_points.txt").write_text(
        "[flotilla.services]\nbilling = billing_svc.app:plugin\n"
    )
    monkeypatch.syspath_prepend(str(site))
    make(tmp_path, "orders", "/orders")
    found = discover(tmp_path / "services")
    billing = next(s for s in found if s.manifest.path == "/billing")
    assert billing.root == pkg and "entry point billing" in billing.source
    # an installed service claiming a local service's path is a conflict naming both
    (pkg / "service.toml").write_text(
        (pkg / "service.toml").read_text().replace('"/billing"', '"/orders"')
    )
    with pytest.raises(ManifestError) as err:
        discover(tmp_path / "services")
    assert "overlapping paths" in str(err.value)
    assert "entry point billing" in str(err.value) and "orders/service.toml" in str(err.value)
