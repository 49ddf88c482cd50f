"""Reading a text file a user wrote: UTF-8 without BOM, not empty, not huge, or one clear line.

Shared by the manifest (runtime side), the project settings and preflight, so that a file in
another encoding names itself instead of raising a bare UnicodeDecodeError.
"""

from __future__ import annotations

import codecs
from pathlib import Path

from flotilla.errors import UsageError

MAX_BYTES = 64 * 1024  # a manifest or settings file; far above any real one

_BOMS = (
    (codecs.BOM_UTF8, "starts with a UTF-8 byte-order mark; save it as UTF-8 without BOM"),
    (codecs.BOM_UTF16_LE, "is UTF-16 (byte-order mark); save it as UTF-8"),
    (codecs.BOM_UTF16_BE, "is UTF-16 (byte-order mark); save it as UTF-8"),
)


def text_problem(data: bytes, *, allow_empty: bool = False, limit: int = MAX_BYTES) -> str | None:
    """Why `data` is not an acceptable text file, or None."""
    if len(data) > limit:
        return f"is {len(data)} bytes; at most {limit} allowed"
    for bom, problem in _BOMS:
        if data.startswith(bom):
            return problem
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return (
            f"is not UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start}); save it as UTF-8"
        )
    if "\0" in text:
        return "holds NUL bytes: not a text file"
    if not allow_empty and not text.strip():
        return "is empty"
    return None


def read_text(path: Path, *, allow_empty: bool = False, limit: int = MAX_BYTES) -> str:
    """The file's text, or a UsageError naming the file and what is wrong."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"{path}: cannot read: {exc.strerror}") from None
    problem = text_problem(data, allow_empty=allow_empty, limit=limit)
    if problem:
        raise UsageError(f"{path}: {problem}")
    return data.decode("utf-8")
