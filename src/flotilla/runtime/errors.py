"""The error answers typed handlers add, one shape under every framework (documented in the
OpenAPI document as `Error` and `ValidationError`):

    422 {"error": {"status": 422, "message": "validation failed",
                   "fields": [{"loc": ["query", "limit"], "msg": "...", "type": "..."}]}}
    400 malformed JSON, 415 a body that is not JSON, 413 a body over `max_body_bytes`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel

from flotilla.runtime.messages import HTTPError


class FieldError(BaseModel):
    """One invalid input: where (`["body", "items", 0, "sku"]`), why, and pydantic's type."""

    loc: list[str | int]
    msg: str
    type: str


class ErrorDetail(BaseModel):
    status: int
    message: str


class ValidationDetail(ErrorDetail):
    fields: list[FieldError]


class Error(BaseModel):
    """Every error answer: `{"error": {"status", "message"}}`."""

    error: ErrorDetail


class ValidationError(BaseModel):
    """422: the error shape plus one entry per invalid field."""

    error: ValidationDetail


class ValidationFailed(HTTPError):
    """Raised by a binding; rendered as 422 with `fields`."""

    def __init__(self, fields: list[dict[str, Any]]) -> None:
        super().__init__(422, "validation failed")
        self.fields = fields


def field_errors(errors: Iterable[Any], prefix: tuple[str | int, ...] = ()) -> list[dict[str, Any]]:
    """pydantic's errors without `input`/`ctx`/`url` (inputs may be large or secret)."""
    return [
        {"loc": [*prefix, *err["loc"]], "msg": err["msg"], "type": err["type"]} for err in errors
    ]


def over_limit(content_length: str | None, limit: int | None) -> bool:
    """A declared Content-Length over the limit (checked before the body is read)."""
    return (
        limit is not None
        and content_length is not None
        and content_length.isdigit()
        and (int(content_length) > limit)
    )


def capped(body: bytes, limit: int | None) -> bytes:
    """A body read without a Content-Length (chunked) that turned out too large: 413."""
    if limit is not None and len(body) > limit:
        raise too_large(limit)
    return body


def too_large(limit: int) -> HTTPError:
    return HTTPError(413, f"request body over {limit} bytes")


def not_json(content_type: str | None) -> HTTPError:
    return HTTPError(415, f"content type {content_type or 'none'!r} is not application/json")


def malformed_json(detail: str) -> HTTPError:
    return HTTPError(400, f"malformed JSON body: {detail}")
