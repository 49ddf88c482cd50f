"""Service folder -> runtime Mount: import the entry, wrap plugins or native apps as ASGI."""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path
from typing import Any

from flotilla.errors import UsageError
from flotilla.manifest import OPENAPI_ENV, Manifest, load_manifest
from flotilla.runtime.app import Mount
from flotilla.runtime.asgi import ASGIApp
from flotilla.runtime.plugin import Plugin

FRAMEWORKS = ("fastapi", "flask", "django")


def check_framework(value: str | None) -> None:
    if value is not None and value not in FRAMEWORKS:
        raise UsageError(
            f"--framework {value!r} is not supported; allowed: {', '.join(FRAMEWORKS)}"
        )


def read_service(folder: Path) -> Manifest:
    manifest_path = folder / "service.toml"
    if not manifest_path.is_file():
        raise UsageError(f"{folder}: no service.toml here; SERVICE_DIR must be a service folder")
    return load_manifest(manifest_path)


def import_entry(manifest: Manifest, root: Path) -> Any:
    """The entry object; the service folder goes on sys.path so its own imports work."""
    module_name, attr = manifest.entry.split(":")
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    if manifest.django_settings:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", manifest.django_settings)
    source = root / "service.toml"
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name is not None and module_name.startswith(exc.name):
            raise UsageError(
                f"{source}: key `entry` = {manifest.entry!r}: no module {exc.name!r} in {root}"
            ) from None
        raise
    try:
        return getattr(module, attr)
    except AttributeError:
        raise UsageError(
            f"{source}: key `entry` = {manifest.entry!r}: module {module_name!r} has no {attr!r}"
        ) from None


def _wsgi(app: Any) -> ASGIApp:
    """Native WSGI apps may stream: a2wsgi, on the worker's pool size."""
    from a2wsgi import WSGIMiddleware

    from flotilla.runtime.threads import THREADS

    wrapped: ASGIApp = WSGIMiddleware(app, workers=THREADS)  # type: ignore[assignment]
    return wrapped


def _plugin_wsgi(app: Any, max_body_bytes: int | None) -> ASGIApp:
    """Plugin responses are whole bytes: one thread hop per request (see runtime.wsgi)."""
    from flotilla.runtime.wsgi import OneHopWSGI

    return OneHopWSGI(app, max_body_bytes)


def plugin_app(plugin: Plugin, framework: str, max_body_bytes: int | None = None) -> ASGIApp:
    """The same plugin under any of the three frameworks (bodies over `max_body_bytes`: 413)."""
    if framework == "fastapi":
        from flotilla.runtime.adapters.fastapi import fastapi_app

        return fastapi_app(plugin, max_body_bytes)
    if framework == "flask":
        from flotilla.runtime.adapters.flask import flask_app

        return _plugin_wsgi(flask_app(plugin, max_body_bytes), max_body_bytes)
    from flotilla.runtime.adapters.django import django_handler

    return _plugin_wsgi(django_handler(plugin, max_body_bytes), max_body_bytes)


def native_kind(obj: Any) -> str | None:
    """Which framework a native app belongs to (checked without importing frameworks)."""
    if "flask" in sys.modules and isinstance(obj, sys.modules["flask"].Flask):
        return "flask"
    if "starlette" in sys.modules:
        from starlette.applications import Starlette

        if isinstance(obj, Starlette):
            return "fastapi"
    if "django" in sys.modules:
        from django.core.handlers.wsgi import WSGIHandler  # type: ignore[import-untyped]

        if isinstance(obj, WSGIHandler) or hasattr(obj, "urlpatterns"):
            return "django"
    return None


def native_app(obj: Any, kind: str, manifest: Manifest) -> ASGIApp:
    if kind == "fastapi":
        app: ASGIApp = obj
        return app
    if kind == "flask":
        from flotilla.runtime.adapters.flask import label_routes

        label_routes(obj)
        return _wsgi(obj)
    import django  # type: ignore[import-untyped]

    from flotilla.runtime.adapters.django import FlotillaHandler

    django.setup(set_prefix=False)
    # A WSGIHandler is replaced by ours so routes get labelled; the urlconf is named
    # explicitly in case another service configured Django first (flotilla dev, tests).
    urlconf = obj
    if hasattr(obj, "get_response"):
        urlconf = importlib.import_module(str(manifest.django_settings)).ROOT_URLCONF
    return _wsgi(FlotillaHandler(urlconf))


def load_service(folder: Path, framework: str | None = None) -> Mount:
    """The service in `folder`, its manifest read and validated here."""
    check_framework(framework)
    return mount_service(read_service(folder), folder, framework)


def openapi_enabled() -> bool:
    """The container's switch (the deploy sets it per environment); on when unset (serve, dev)."""
    return os.environ.get(OPENAPI_ENV, "true").lower() != "false"


def mount_service(
    manifest: Manifest, folder: Path, framework: str | None = None, openapi: bool | None = None
) -> Mount:
    """A validated manifest's entry, served by `framework` (default: the manifest's); a
    plugin's document and docs are served unless `openapi` (default: the container's
    switch) is off."""
    root = folder.resolve()
    chosen = framework or manifest.framework
    obj = import_entry(manifest, root)
    source = root / "service.toml"
    if isinstance(obj, Plugin):
        app = plugin_app(obj, chosen, manifest.max_body_bytes)
        if openapi_enabled() if openapi is None else openapi:
            from flotilla.runtime import docs
            from flotilla.runtime import openapi as oas

            doc = oas.dumps(oas.document(obj, manifest.path, manifest.version))
            app = docs.DocsApp(app, manifest.path, obj.title, doc)
        checks = list(obj.ready_checks)
    else:
        kind = native_kind(obj)
        if kind is None:
            raise UsageError(
                f"{source}: key `entry` = {manifest.entry!r} is a {type(obj).__name__}; "
                "allowed: a flotilla.Plugin or a FastAPI, Flask or Django app"
            )
        if kind != chosen:
            raise UsageError(
                f"{source}: entry {manifest.entry!r} is a native {kind} app; framework "
                f"{chosen!r} only applies to plugins"
            )
        if kind == "django" and not manifest.django_settings:
            raise UsageError(f"{source}: a native Django app needs key `django_settings`")
        app = native_app(obj, kind, manifest)
        checks = []
    return Mount(manifest.name, manifest.path, app, manifest.health_path, checks)
