"""Each plugin service's OpenAPI document: byte-identical under the three frameworks, valid
OpenAPI 3.1, with the prefix, error shapes and health endpoints; docs served offline; the
per-environment switch; `flotilla openapi` writes the same bytes the service serves."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from openapi_spec_validator import validate

from flotilla.manifest import parse_manifest
from flotilla.runtime.testing import serve_in_thread, serve_process

REPO = Path(__file__).resolve().parents[2]
FRAMEWORKS = ("fastapi", "flask", "django")


@pytest.mark.parametrize("service", ["orders", "users"])
def test_document_is_byte_identical_under_every_framework(service: str) -> None:
    folder = REPO / "services" / service
    served = {}
    for framework in FRAMEWORKS:
        with serve_in_thread(folder, framework) as base:
            doc = httpx.get(f"{base}/{service}/openapi.json")
            page = httpx.get(f"{base}/{service}/docs")
            js = httpx.get(f"{base}/{service}/docs/swagger-ui-bundle.js")
            post = httpx.post(f"{base}/{service}/openapi.json")
        assert doc.status_code == 200 and doc.headers["content-type"] == "application/json"
        assert (
            page.status_code == 200 and f'src="/{service}/docs/swagger-ui-bundle.js"' in page.text
        )
        assert "http" not in page.text.split("<body>")[1]  # nothing fetched from elsewhere
        assert js.status_code == 200 and b"SwaggerUIBundle" in js.content
        assert post.status_code == 405 and post.headers["allow"] == "GET, HEAD"
        served[framework] = doc.content
    assert len(set(served.values())) == 1, {
        k: hashlib.sha256(v).hexdigest() for k, v in served.items()
    }
    document = httpx.Response(200, content=served["fastapi"]).json()
    validate(document)
    assert document["openapi"] == "3.1.0" and document["info"]["version"] == "1.0.0"
    paths = document["paths"]
    assert all(p.startswith(f"/{service}/") for p in paths)
    assert f"/{service}/healthz" in paths and f"/{service}/readyz" in paths
    assert not any(p.endswith(("/metrics", "/stats", "/openapi.json", "/docs")) for p in paths)
    schemas = document["components"]["schemas"]
    assert {"Error", "ValidationError", "FieldError"} <= set(schemas)


def test_orders_document_says_what_the_handlers_take_and_answer() -> None:
    with serve_in_thread(REPO / "services" / "orders") as base:
        doc = httpx.get(f"{base}/orders/openapi.json").json()
    create = doc["paths"]["/orders/"]["post"]
    assert create["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/NewOrder"
    }
    assert set(create["responses"]) == {"201", "400", "413", "415", "422", "default"}
    listing = doc["paths"]["/orders/"]["get"]
    status = next(p for p in listing["parameters"] if p["name"] == "status")
    assert status["in"] == "query" and status["schema"]["items"] == {
        "$ref": "#/components/schemas/Status"
    }
    assert doc["components"]["schemas"]["Status"]["enum"] == ["new", "paid", "shipped", "cancelled"]
    assert set(doc["paths"]["/orders/{order_id}"]) == {"get", "patch", "delete"}
    assert set(doc["paths"]["/orders/{order_id}"]["delete"]["responses"]) == {
        "204",
        "422",
        "default",
    }


def test_openapi_switch_per_environment() -> None:
    text = (REPO / "services" / "orders" / "service.toml").read_text()
    default = parse_manifest(text, "service.toml")
    assert [default.openapi_in(e) for e in ("local", "staging", "prod")] == [True, True, False]
    switched = parse_manifest(
        text + "\n[environments.staging]\nopenapi = false\n[environments.local]\nopenapi = true\n",
        "service.toml",
    )
    assert [switched.openapi_in(e) for e in ("local", "staging")] == [True, False]
    on_in_prod = parse_manifest(
        text.replace("[environments.prod]", "[environments.prod]\nopenapi = true"), "x"
    )
    assert on_in_prod.openapi_in("prod")


def test_switched_off_the_service_serves_neither() -> None:
    orders = REPO / "services" / "orders"
    with serve_process(orders, env={"FLOTILLA_OPENAPI": "false"}) as (base, _):
        assert httpx.get(f"{base}/orders/openapi.json").status_code == 404
        assert httpx.get(f"{base}/orders/docs").status_code == 404
        assert httpx.get(f"{base}/orders/healthz").status_code == 200


def test_cli_writes_the_served_bytes(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "flotilla.cli", "openapi", "--out", str(tmp_path)],
        capture_output=True, text=True, cwd=REPO, timeout=120,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert "catalog: native django app: no OpenAPI document" in run.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["orders.json", "users.json"]
    with serve_in_thread(REPO / "services" / "users") as base:
        assert (
            httpx.get(f"{base}/users/openapi.json").content
            == (tmp_path / "users.json").read_bytes()
        )
