"""The framework-neutral request and response the plugin API hands to handlers."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl, unquote


class HTTPError(Exception):
    """Raise from a handler to answer `status` with `{"error": {"status", "message"}}`."""

    def __init__(
        self, status: int, message: str | None = None, headers: Mapping[str, str] | None = None
    ) -> None:
        if not 400 <= status <= 599:
            raise ValueError(f"HTTPError status must be 4xx or 5xx, got {status}")
        self.status = status
        self.message = message if message is not None else _reason(status)
        self.headers = dict(headers or {})
        super().__init__(f"{status} {self.message}")


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase.lower()
    except ValueError:
        return "error"


class QueryParams:
    """Multi-valued, ordered query parameters: `get`, `getlist`, `items`."""

    __slots__ = ("_pairs",)

    def __init__(self, pairs: Iterable[tuple[str, str]] = ()) -> None:
        self._pairs = list(pairs)

    @classmethod
    def parse(cls, query_string: str) -> QueryParams:
        """The one query parser every adapter uses, so all frameworks agree on lists/blanks."""
        return cls(parse_qsl(query_string, keep_blank_values=True))

    def get(self, key: str, default: str | None = None) -> str | None:
        # The last value wins, like most frameworks' single-value access.
        for k, v in reversed(self._pairs):
            if k == key:
                return v
        return default

    def getlist(self, key: str) -> list[str]:
        return [v for k, v in self._pairs if k == key]

    def items(self) -> list[tuple[str, str]]:
        return list(self._pairs)

    def keys(self) -> list[str]:
        return list(dict.fromkeys(k for k, _ in self._pairs))

    def __contains__(self, key: object) -> bool:
        return any(k == key for k, _ in self._pairs)

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys())

    def __len__(self) -> int:
        return len(self.keys())

    def __getitem__(self, key: str) -> str:
        value = self.get(key)
        if value is None:
            raise KeyError(key)
        return value

    def __repr__(self) -> str:
        return f"QueryParams({self._pairs!r})"


class Headers(Mapping[str, str]):
    """Case-insensitive, read-only headers; repeated headers are joined with ', '."""

    __slots__ = ("_map",)

    def __init__(self, pairs: Iterable[tuple[str, str]] = ()) -> None:
        merged: dict[str, str] = {}
        for k, v in pairs:
            key = k.lower()
            merged[key] = f"{merged[key]}, {v}" if key in merged else v
        self._map = merged

    def __getitem__(self, key: str) -> str:
        return self._map[key.lower()]

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key.lower() in self._map

    def __iter__(self) -> Iterator[str]:
        return iter(self._map)

    def __len__(self) -> int:
        return len(self._map)

    def __repr__(self) -> str:
        return f"Headers({self._map!r})"


def parse_cookies(header: str) -> dict[str, str]:
    """`Cookie: a=1; b="x y"` -> dict; lenient like browsers (bad pairs are skipped)."""
    out: dict[str, str] = {}
    for chunk in header.split(";"):
        name, sep, value = chunk.partition("=")
        name, value = name.strip(), value.strip()
        if not sep or not name:
            continue
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1]
        out[name] = unquote(value)
    return out


class Request:
    """One HTTP request, the same whichever framework serves the plugin.

    Adapters may pass the raw query string and callables for headers and body: they are
    parsed on first use, so a handler pays only for what it reads.
    """

    __slots__ = ("_body", "_cookies", "_headers", "_query", "method", "path", "path_params")

    def __init__(
        self,
        *,
        method: str,
        path: str,
        path_params: dict[str, str],
        query: QueryParams | str,
        headers: Headers | Callable[[], Headers],
        body: bytes | Callable[[], bytes],
    ) -> None:
        self.method = method
        self.path = path
        self.path_params = path_params
        self._query = query
        self._headers = headers
        self._body = body
        self._cookies: dict[str, str] | None = None

    @property
    def query(self) -> QueryParams:
        if isinstance(self._query, str):
            self._query = QueryParams.parse(self._query)
        return self._query

    @property
    def headers(self) -> Headers:
        if not isinstance(self._headers, Headers):
            self._headers = self._headers()
        return self._headers

    @property
    def body(self) -> bytes:
        if not isinstance(self._body, bytes):
            self._body = self._body()
        return self._body

    @property
    def cookies(self) -> dict[str, str]:
        if self._cookies is None:
            self._cookies = parse_cookies(self.headers.get("cookie", ""))
        return self._cookies

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def json(self) -> Any:
        """The body parsed as JSON; a malformed body raises HTTPError(400)."""
        try:
            return json.loads(self.body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise HTTPError(400, f"malformed JSON body: {exc}") from None

    def __repr__(self) -> str:
        return f"<Request {self.method} {self.path}>"


class Response:
    """An explicit response: `Response(body, status=200, headers=None, media_type=None)`."""

    __slots__ = ("body", "headers", "media_type", "status")

    def __init__(
        self,
        body: Any = None,
        status: int = 200,
        headers: Mapping[str, str] | None = None,
        media_type: str | None = None,
    ) -> None:
        self.body = body
        self.status = status
        self.headers = dict(headers or {})
        self.media_type = media_type

    def __repr__(self) -> str:
        return f"<Response {self.status}>"
