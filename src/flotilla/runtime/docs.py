"""`<path>/openapi.json` and `<path>/docs` for a plugin, in front of whichever framework serves it.

Served here, not by the framework, so the bytes are the same under all three. The Swagger UI
assets come from the pinned `swagger-ui-bundle` package inside the image: the page works
offline and under a strict Content-Security-Policy (no inline script, nothing external).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from flotilla.runtime import dispatch
from flotilla.runtime.asgi import ASGIApp, Receive, Scope, Send, respond

ASSETS = {
    "swagger-ui.css": "text/css; charset=utf-8",
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "favicon-32x32.png": "image/png",
}
PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title} - API docs</title>
<link rel="stylesheet" href="{prefix}/docs/swagger-ui.css">
<link rel="icon" type="image/png" href="{prefix}/docs/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui" data-url="{prefix}/openapi.json"></div>
<script src="{prefix}/docs/swagger-ui-bundle.js"></script>
<script src="{prefix}/docs/init.js"></script>
</body>
</html>
"""
INIT = b"""const el = document.getElementById("swagger-ui");
window.ui = SwaggerUIBundle({url: el.dataset.url, dom_id: "#swagger-ui"});
"""
HTML = "text/html; charset=utf-8"
JS = "text/javascript; charset=utf-8"


@cache
def asset(name: str) -> bytes:
    import swagger_ui_bundle  # type: ignore[import-untyped]

    return (Path(swagger_ui_bundle.swagger_ui_path) / name).read_bytes()


class DocsApp:
    """Answers GET/HEAD for the document and the docs page; everything else goes to `app`."""

    def __init__(self, app: ASGIApp, prefix: str, title: str, document: bytes) -> None:
        self.app = app
        page = PAGE.format(title=title, prefix=prefix).encode()
        self.static: dict[str, tuple[bytes | str, str]] = {
            f"{prefix}/openapi.json": (document, dispatch.JSON_TYPE),
            f"{prefix}/docs": (page, HTML),
            f"{prefix}/docs/init.js": (INIT, JS),
            **{f"{prefix}/docs/{name}": (name, ctype) for name, ctype in ASSETS.items()},
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        found = self.static.get(scope["path"]) if scope["type"] == "http" else None
        if found is None:
            await self.app(scope, receive, send)
            return
        scope[dispatch.ROUTE_KEY] = scope["path"][len(scope.get("root_path", "")) :]
        if scope["method"] not in ("GET", "HEAD"):
            err = dispatch.error(405, "method not allowed")
            await respond(send, 405, err.body, dispatch.JSON_TYPE, [(b"allow", b"GET, HEAD")])
            return
        body, ctype = found
        data = asset(body) if isinstance(body, str) else body
        await respond(send, 200, data, ctype)  # the runtime drops HEAD bodies
