"""Manifest validation: one clear error naming file, key, value and what is allowed."""

from __future__ import annotations

from pathlib import Path

import pytest

from flotilla.errors import ManifestError
from flotilla.manifest import load_manifest, parse_manifest

GOOD = """
name = "orders"
framework = "fastapi"
entry = "orders_service:plugin"
path = "/orders"
version = "1.2.3"
"""


def write(tmp_path: Path, text: str, folder: str = "orders") -> Path:
    d = tmp_path / "services" / folder
    d.mkdir(parents=True)
    p = d / "service.toml"
    p.write_text(text)
    return p


def test_defaults(tmp_path: Path) -> None:
    m = load_manifest(write(tmp_path, GOOD))
    assert (m.port, m.health, m.cpu, m.memory, m.count, m.min, m.max) == (
        8000,
        "/orders/healthz",
        256,
        512,
        1,
        1,
        4,
    )
    assert m.slo.p99_ms == 500 and m.slo.availability == 99.9


@pytest.mark.parametrize(
    ("extra", "needles"),
    [
        ('colour = "blue"', ["unknown key `colour`"]),
        ("cpu = 300", ["`cpu`", "300", "256"]),
        ("cpu = 256\nmemory = 4096", ["memory 4096", "cpu 256", "512..2048"]),
        ("count = 9\nmax = 4", ["count 9", "min 1 and max 4"]),
        ("count = 9", ["count 9", "min 1 and max 4"]),
        ("cpu = 1024", ["memory 512", "cpu 1024", "2048..8192"]),
        ("port = 80", ["`port`", "80", "1024"]),
        ('health = "/other/healthz"', ["health", "/other/healthz", "under path"]),
        ('[env]\n"bad-name" = "x"', ["`env`", "bad-name"]),
        ('[secrets]\nDB = "hunter2"', ["`secrets`", "hunter2", "SSM parameter"]),
        ('[env]\nDB = "x"\n[secrets]\nDB = "/orders/db"', ["DB", "both [env] and [secrets]"]),
        ("[slo]\np99_ms = -1", ["slo.p99_ms", "-1"]),
        ("[environments.prod]\ncpu = 512\nmemory = 512", ["environments.prod", "memory 512"]),
        ("[environments.prod]\nreplicas = 3", ["environments.prod.replicas", "unknown key"]),
        ('[[smoke]]\npath = "/users/x"', ["smoke.0.path", "/users/x", "under the service path"]),
        ('[[smoke]]\npath = "/orders"\nmethod = "FETCH"', ["smoke.0.method", "FETCH", "'GET'"]),
        ('[[smoke]]\npath = "/orders"\nstatus = 700', ["smoke.0.status", "700", "599"]),
        ('[[smoke]]\npath = "/orders"\nexpect = 200', ["smoke.0.expect", "unknown key"]),
        ('[[smoke]]\nmethod = "GET"', ["missing required key `smoke.0.path`"]),
        ("verify_seconds = -5", ["verify_seconds", "-5", "greater than or equal to 0"]),
        ("verify_min_requests = 0", ["verify_min_requests", "0", "greater than or equal to 1"]),
    ],
)
def test_bad_values_name_key_value_and_allowed(
    tmp_path: Path, extra: str, needles: list[str]
) -> None:
    path = write(tmp_path, GOOD + extra + "\n")
    with pytest.raises(ManifestError) as err:
        load_manifest(path)
    text = str(err.value)
    assert str(path) in text
    for needle in needles:
        assert needle in text, text
    assert err.value.exit_code == 2


def test_an_override_for_any_environment_name_parses(tmp_path: Path) -> None:
    # Which environments exist is the project's (environments/<name>.toml): an override for
    # one that is not defined is refused by preflight, naming the manifest and the
    # environment (tests/corpus/bad_inputs/environments/override-undefined).
    manifest = load_manifest(write(tmp_path, GOOD + "[environments.qa]\ncount = 2\n"))
    assert manifest.for_env("qa").count == 2 and manifest.for_env("staging").count == 1


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("name", '"Orders"'),
        ("name", '"1orders"'),
        ("name", '"' + "a" * 33 + '"'),
        ("framework", '"bottle"'),
        ("entry", '"no_colon"'),
        ("path", '"/"'),
        ("path", '"orders"'),
        ("path", '"/orders/"'),
        ("version", '"1.2"'),
        ("version", '"v1.2.3"'),
    ],
)
def test_bad_scalar(tmp_path: Path, key: str, value: str) -> None:
    lines = [ln for ln in GOOD.strip().splitlines() if not ln.startswith(f"{key} ")]
    text = "\n".join([*lines, f"{key} = {value}"])
    with pytest.raises(ManifestError) as err:
        parse_manifest(text, "svc.toml")
    assert f"`{key}`" in str(err.value)
    assert value.strip('"')[:10] in str(err.value)


def test_missing_key_and_bad_toml(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match="missing required key `version`"):
        parse_manifest(GOOD.replace('version = "1.2.3"', ""), "svc.toml")
    with pytest.raises(ManifestError, match="not valid TOML"):
        parse_manifest("name = ", "svc.toml")


def test_name_must_equal_folder(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match="must equal the folder name 'shop'"):
        load_manifest(write(tmp_path, GOOD, folder="shop"))


def test_environment_overrides_merge(tmp_path: Path) -> None:
    text = (
        GOOD
        + """
cpu = 256
memory = 512
[env]
LOG_LEVEL = "info"
MODE = "a"
[environments.prod]
cpu = 1024
memory = 2048
count = 3
min = 2
max = 10
[environments.prod.env]
MODE = "b"
"""
    )
    m = parse_manifest(text, "svc.toml")
    prod = m.for_env("prod")
    assert (prod.cpu, prod.memory, prod.count, prod.min, prod.max) == (1024, 2048, 3, 2, 10)
    assert prod.env == {"LOG_LEVEL": "info", "MODE": "b"}
    assert m.for_env("staging") == m


def test_secret_references_accepted() -> None:
    text = (
        GOOD
        + """
[secrets]
A = "/orders/db-password"
B = "arn:aws:ssm:us-east-1:123456789012:parameter/orders/key"
C = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:orders/api-AbCdEf"
"""
    )
    assert set(parse_manifest(text, "svc.toml").secrets) == {"A", "B", "C"}
