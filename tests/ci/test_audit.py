"""`flotilla audit` on real packages: licences from real metadata, staleness from PyPI,
pip-audit's reachability reported honestly."""

from __future__ import annotations

import json
import urllib.request
from importlib import metadata
from pathlib import Path

import pytest

from flotilla.deploy.audit import licences
from flotilla.deploy.audit.pins import Pin
from flotilla.deploy.audit.vulns import parse
from tests.ci.conftest import run_flotilla

REQUESTS = metadata.version("requests")  # installed: Apache-2.0 in its metadata
CLICK = metadata.version("click")  # installed: BSD-3-Clause


def _pypi_reachable() -> bool:
    try:
        with urllib.request.urlopen("https://pypi.org/pypi/pip/json", timeout=10):
            return True
    except OSError:
        return False


needs_pypi = pytest.mark.skipif(not _pypi_reachable(), reason="PyPI's JSON API not reachable")


def test_disallowed_licence_fails_with_a_clear_message(audit_project) -> None:  # type: ignore[no-untyped-def]
    root = audit_project(
        {"web": [f"requests=={REQUESTS}", f"click=={CLICK}"]},
        'allow = ["MIT", "BSD-3-Clause"]',
    )
    proc = run_flotilla(root, "audit", "--offline", "--json", str(root / "a.json"))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    out = proc.stdout + proc.stderr
    assert f"web: requests {REQUESTS} is licensed Apache-2.0" in out
    assert "not in flotilla.toml [audit].allow" in out
    report = json.loads((root / "a.json").read_text())
    rows = {r["name"]: r for r in report["services"]["web"]["packages"]}
    assert rows["requests"]["licence_status"] == "disallowed"
    assert rows["click"]["licence_status"] == "ok"


def test_allowed_licences_pass(audit_project) -> None:  # type: ignore[no-untyped-def]
    root = audit_project({"web": [f"requests=={REQUESTS}"]}, 'allow = ["Apache-2.0"]')
    proc = run_flotilla(root, "audit", "--offline")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # --offline checks no vulnerabilities: "passed" would claim more than was checked.
    assert "audit licences passed; vulnerabilities NOT checked" in proc.stdout
    assert "audit passed" not in proc.stdout
    doc = run_flotilla(root, "audit", "--offline", "--json", "-")
    assert doc.returncode == 0, doc.stderr
    assert json.loads(doc.stdout)["vuln_problem"].startswith("--offline")
    strict = root / "flotilla.toml"
    strict.write_text(strict.read_text() + "require_vuln_db = true\n")
    assert run_flotilla(root, "audit", "--offline").returncode == 1


def test_bad_allow_list_entry_is_a_usage_error(audit_project) -> None:  # type: ignore[no-untyped-def]
    root = audit_project({"web": [f"requests=={REQUESTS}"]}, 'allow = ["MIT", "Not A Licence"]')
    proc = run_flotilla(root, "audit", "--offline")
    assert proc.returncode == 2
    assert "flotilla.toml audit.allow" in proc.stderr and "'Not A Licence'" in proc.stderr


def test_unpinned_lock_line_names_file_and_line(audit_project) -> None:  # type: ignore[no-untyped-def]
    root = audit_project({"web": ["click==8.1.7", "requests>=2"]})
    proc = run_flotilla(root, "audit", "--offline")
    assert proc.returncode == 2
    assert "requirements.lock:2" in proc.stderr and "not pinned" in proc.stderr


def test_unknown_service_is_a_usage_error(audit_project) -> None:  # type: ignore[no-untyped-def]
    root = audit_project({"web": [f"click=={CLICK}"]})
    proc = run_flotilla(root, "audit", "nope", "--offline")
    assert proc.returncode == 2 and "unknown service 'nope'" in proc.stderr


@needs_pypi
def test_old_package_is_flagged_possibly_unmaintained(audit_project) -> None:  # type: ignore[no-untyped-def]
    # docopt's last release, 0.6.2, is from 2014; click releases every year.
    root = audit_project({"cli": ["docopt==0.6.2", f"click=={CLICK}"]})
    proc = run_flotilla(root, "audit", "--json", str(root / "a.json"))
    rows = {
        r["name"]: r
        for r in json.loads((root / "a.json").read_text())["services"]["cli"]["packages"]
    }
    assert rows["docopt"]["stale"] is True and rows["docopt"]["latest"] == "0.6.2"
    assert rows["docopt"]["licence"] == "MIT"  # not installed: read from PyPI
    assert rows["click"]["stale"] is False
    assert "docopt: latest release 0.6.2 on 2014-06-16, possibly unmaintained" in proc.stdout


@needs_pypi
def test_vulnerability_database_reachability_is_reported(audit_project) -> None:  # type: ignore[no-untyped-def]
    """Where pip-audit's database answers, a known-vulnerable pin fails the audit; where it
    does not (this sandbox), the audit says so and only `require_vuln_db` makes it fail."""
    locks = {"web": ["requests==2.25.0"]}  # CVE-2023-32681 and others
    root = audit_project(locks)
    proc = run_flotilla(root, "audit", "--json", str(root / "a.json"))
    report = json.loads((root / "a.json").read_text())
    row = report["services"]["web"]["packages"][0]
    if report["vuln_problem"] is None:
        assert row["vuln_status"] == "found" and proc.returncode == 1
        return
    assert row["vuln_status"] == "unchecked"
    assert "Vulnerabilities were NOT checked" in proc.stdout
    assert proc.returncode == 0  # warned, not silently passed
    (root / "flotilla.toml").write_text(
        (root / "flotilla.toml").read_text() + "require_vuln_db = true\n"
    )
    proc = run_flotilla(root, "audit")
    assert proc.returncode == 1
    assert "vulnerabilities NOT checked" in proc.stdout


def test_pip_audit_findings_become_failures() -> None:
    """pip-audit's JSON (as it prints it when its database answers) -> per-package ids."""
    data = {
        "dependencies": [
            {
                "name": "requests",
                "version": "2.25.0",
                "vulns": [{"id": "PYSEC-2023-74", "fix_versions": ["2.31.0"]}],
            },
            {"name": "click", "version": "8.1.7", "vulns": []},
            {"name": "private-thing", "skip_reason": "Dependency not found on PyPI and ..."},
        ]
    }
    pins = [Pin("requests", "2.25.0"), Pin("click", "8.1.7"), Pin("private-thing", "1.0")]
    report = parse(data, pins, exists=lambda name: name != "private-thing")
    assert report.vulns == {"requests": ["PYSEC-2023-74 (fix: 2.31.0)"]}
    assert report.checked == {"requests", "click"}
    assert report.unchecked == {"private-thing": "not on PyPI"}
    assert report.problem is None


def test_licence_expressions_and_classifiers() -> None:
    assert licences.allowed("MIT OR GPL-3.0-only", ["MIT"])
    assert not licences.allowed("MIT AND GPL-3.0-only", ["MIT"])
    assert licences.allowed("(Apache-2.0 OR MIT) AND BSD-3-Clause", ["MIT", "BSD-3-Clause"])
    assert licences.allowed("GPL-2.0-or-later WITH Classpath-exception-2.0", ["GPL-2.0-or-later"])
    assert licences.from_metadata(None, None, ["License :: OSI Approved :: MIT License"]) == "MIT"
    assert licences.from_metadata(None, "Apache 2.0", []) == "Apache-2.0"
    bsd = (
        "Copyright (c) x\n\nRedistribution and use in source and binary forms ... Neither the name"
    )
    assert licences.from_metadata(None, bsd, []) == "BSD-3-Clause"
    assert licences.from_metadata(None, "UNKNOWN", []) is None


def test_installed_framework_dependencies_are_audited(tmp_path: Path) -> None:
    """No lock: requirements come from flotilla[framework], resolved from installed metadata."""
    from flotilla.deploy.audit.pins import service_pins

    pins = service_pins("web", tmp_path, "fastapi")
    names = {p.name for p in pins.pins}
    assert {"fastapi", "starlette", "pydantic", "uvicorn"} <= names
    assert "flotilla" not in names and "django" not in names
