"""What the WSGI adapters (Flask, Django) share: reading a request out of the environ."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flotilla.runtime import dispatch
from flotilla.runtime.messages import Headers

_UNPREFIXED = {"CONTENT_TYPE": "content-type", "CONTENT_LENGTH": "content-length"}


def read_query(environ: Mapping[str, Any]) -> str:
    """The raw query string (latin-1 text in WSGI, as the ASGI adapter decodes it too);
    Request parses it with QueryParams.parse on first use."""
    return str(environ.get("QUERY_STRING", ""))


def read_headers(environ: Mapping[str, Any]) -> Headers:
    pairs = []
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            pairs.append((key[5:].replace("_", "-").lower(), value))
        elif key in _UNPREFIXED and value:
            pairs.append((_UNPREFIXED[key], value))
    return Headers(pairs)


def chunked_body(environ: Mapping[str, Any]) -> bytes | None:
    """A body sent without Content-Length (chunked), read to its end; Flask and Django read
    such bodies as empty. None when the request declares its length."""
    if environ.get("CONTENT_LENGTH"):
        return None
    body: bytes = environ["wsgi.input"].read()
    return body


def set_route(environ: Mapping[str, Any], template: str | None) -> None:
    """Leave the route template in the ASGI scope a2wsgi put in the environ (for metrics)."""
    scope = environ.get("asgi.scope")
    if scope is not None:
        scope[dispatch.ROUTE_KEY] = template
