"""`flotilla dev`: every discovered service in one process, each under its own path prefix,
with the same runtime endpoints as in its container (the modular monolith)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from flotilla.discovery import Service, discover
from flotilla.errors import UsageError
from flotilla.runtime.app import Mount, RuntimeApp
from flotilla.runtime.asgi import Receive, Scope, Send, respond

ENV_ROOT = "FLOTILLA_DEV_SERVICES"


def check_module_names(services: list[Service]) -> None:
    """One process has one `sys.modules`: two services may not share a top-level module."""
    owner: dict[str, str] = {}
    for svc in services:
        m = svc.manifest
        for module in {
            m.entry.split(":")[0].split(".")[0],
            *([m.django_settings.split(".")[0]] if m.django_settings else []),
        }:
            if module in owner and owner[module] != svc.name:
                raise UsageError(
                    f"services {owner[module]!r} and {svc.name!r} both use a top-level module "
                    f"named {module!r}; give each service a uniquely named module "
                    f"(e.g. {svc.name.replace('-', '_')}_service) so they can share one process"
                )
            owner[module] = svc.name
    djangos = [s.name for s in services if s.manifest.django_settings]
    if len(djangos) > 1:
        raise UsageError(
            f"services {', '.join(djangos)} each bring Django settings; one process can load "
            "only one settings module. Run them with `flotilla serve` instead"
        )


class DevApp(RuntimeApp):
    """The runtime over all services, plus `/` listing them. On this developer's machine the
    internal endpoints (`<path>/metrics`, `/stats`) share the one port."""

    def on_internal_port(self, scope: Scope) -> bool:
        return scope["path"] in self.internal

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == "/":
            index = {m.name: {"path": m.prefix, "health": m.health} for m in self.mounts}
            body = json.dumps({"services": index}, indent=2).encode()
            await respond(send, 200, body, "application/json")
            return
        await super().__call__(scope, receive, send)


def create_dev_app() -> DevApp:
    """uvicorn factory (re-run on every reload)."""
    from flotilla.runtime.loader import mount_service

    services = discover(Path(os.environ[ENV_ROOT]))  # validates every manifest once
    check_module_names(services)
    mounts: list[Mount] = [mount_service(svc.manifest, svc.root) for svc in services]
    return DevApp(mounts)


def run_dev(services_dir: Path, *, host: str, port: int, reload: bool) -> None:
    import uvicorn

    services = discover(services_dir)  # validate before starting anything
    if not services:
        raise UsageError(f"no services found under {services_dir} (looked for */service.toml)")
    check_module_names(services)
    os.environ[ENV_ROOT] = str(services_dir.resolve())
    uvicorn.run(
        "flotilla.runtime.dev:create_dev_app",
        factory=True,
        host=host,
        port=port,
        reload=reload,
        reload_dirs=[str(services_dir.resolve())] if reload else None,
        access_log=False,
        server_header=False,
    )
