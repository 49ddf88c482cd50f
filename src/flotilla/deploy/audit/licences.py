"""Licences as SPDX expressions, from package metadata, checked against an allow-list."""

from __future__ import annotations

import re
from collections.abc import Iterable

from packaging.licenses import InvalidLicenseExpression, canonicalize_license_expression

# Trove classifiers -> SPDX. "BSD License" is ambiguous; BSD-3-Clause is its usual meaning.
CLASSIFIERS = {
    "MIT License": "MIT",
    "MIT No Attribution License (MIT-0)": "MIT-0",
    "BSD License": "BSD-3-Clause",
    "Apache Software License": "Apache-2.0",
    "ISC License (ISCL)": "ISC",
    "Python Software Foundation License": "PSF-2.0",
    "Mozilla Public License 2.0 (MPL 2.0)": "MPL-2.0",
    "The Unlicense (Unlicense)": "Unlicense",
    "Historical Permission Notice and Disclaimer (HPND)": "HPND",
    "zlib/libpng License": "Zlib",
    "Zope Public License": "ZPL-2.1",
    "GNU General Public License v2 (GPLv2)": "GPL-2.0-only",
    "GNU General Public License v2 or later (GPLv2+)": "GPL-2.0-or-later",
    "GNU General Public License v3 (GPLv3)": "GPL-3.0-only",
    "GNU General Public License v3 or later (GPLv3+)": "GPL-3.0-or-later",
    "GNU Lesser General Public License v2 (LGPLv2)": "LGPL-2.0-only",
    "GNU Lesser General Public License v2 or later (LGPLv2+)": "LGPL-2.0-or-later",
    "GNU Lesser General Public License v3 (LGPLv3)": "LGPL-3.0-only",
    "GNU Lesser General Public License v3 or later (LGPLv3+)": "LGPL-3.0-or-later",
    "GNU Library or Lesser General Public License (LGPL)": "LGPL-2.0-or-later",
    "GNU Affero General Public License v3": "AGPL-3.0-only",
    "GNU Affero General Public License v3 or later (AGPLv3+)": "AGPL-3.0-or-later",
    "Eclipse Public License 2.0 (EPL-2.0)": "EPL-2.0",
}

# Free-text `License:` values seen in the wild -> SPDX (keys lower-case).
ALIASES = {
    "bsd": "BSD-3-Clause",
    "new bsd": "BSD-3-Clause",
    "new bsd license": "BSD-3-Clause",
    "bsd license": "BSD-3-Clause",
    "3-clause bsd license": "BSD-3-Clause",
    "bsd 3-clause": "BSD-3-Clause",
    "bsd-3": "BSD-3-Clause",
    "simplified bsd": "BSD-2-Clause",
    "mit license": "MIT",
    "the mit license": "MIT",
    "apache 2.0": "Apache-2.0",
    "apache 2": "Apache-2.0",
    "apache license 2.0": "Apache-2.0",
    "apache license, version 2.0": "Apache-2.0",
    "apache software license": "Apache-2.0",
    "apache software license 2.0": "Apache-2.0",
    "psf": "PSF-2.0",
    "psf license": "PSF-2.0",
    "python software foundation license": "PSF-2.0",
    "mpl 2.0": "MPL-2.0",
    "mpl-2.0": "MPL-2.0",
    "isc license": "ISC",
    "lgpl": "LGPL-2.0-or-later",
    "gpl": "GPL-2.0-or-later",
    "gplv3": "GPL-3.0-only",
}

# Full licence texts pasted into `License:`: recognise them by their wording.
TEXT_MARKERS = (
    ("permission is hereby granted, free of charge", "MIT"),
    ("apache license", "Apache-2.0"),
    ("mozilla public license", "MPL-2.0"),
    ("gnu lesser general public license", "LGPL-2.0-or-later"),
    ("gnu general public license", "GPL-2.0-or-later"),
)


def _canonical(text: str) -> str | None:
    text = text.strip()
    if not text or text.upper() in ("UNKNOWN", "NONE"):
        return None
    alias: str | None = ALIASES.get(text.lower())
    if alias:
        return alias
    try:
        return str(canonicalize_license_expression(text))
    except InvalidLicenseExpression:
        return None


def _from_text(text: str) -> str | None:
    if "\n" not in text.strip() and len(text) < 120:
        return _canonical(text)
    low = " ".join(text.lower().split())
    if "redistribution and use in source and binary forms" in low:
        return "BSD-3-Clause" if "neither the name" in low else "BSD-2-Clause"
    for marker, spdx in TEXT_MARKERS:
        if marker in low:
            return spdx
    first = text.strip().splitlines()[0]
    return _canonical(first) if len(first) < 120 else None


def from_metadata(
    expression: str | None, text: str | None, classifiers: Iterable[str]
) -> str | None:
    """License-Expression first, then licence classifiers (several mean a choice), then text."""
    if expression and (found := _canonical(expression)):
        return found
    mapped = []
    for c in classifiers:
        if c.startswith("License :: "):
            name = c.rsplit(" :: ", 1)[-1]
            if spdx := CLASSIFIERS.get(name):
                mapped.append(spdx)
    if mapped:
        unique = list(dict.fromkeys(mapped))
        return unique[0] if len(unique) == 1 else " OR ".join(unique)
    return _from_text(text) if text else None


def validate_allow_list(allow: Iterable[str]) -> list[str]:
    """The allow-list's entries as canonical SPDX ids; the bad ones, in `bad`."""
    bad = []
    for item in allow:
        try:
            canon = str(canonicalize_license_expression(item))
        except InvalidLicenseExpression:
            bad.append(item)
            continue
        if " " in canon:
            bad.append(item)
    return bad


_TOKEN = re.compile(r"\(|\)|[^\s()]+")


def allowed(expression: str, allow: Iterable[str]) -> bool:
    """Evaluate an SPDX expression: OR needs one allowed side, AND needs both; `X WITH e`
    counts as X."""
    ok = {a.lower() for a in allow}
    tokens: list[str] = _TOKEN.findall(expression)
    pos = 0

    def peek() -> str | None:
        return tokens[pos] if pos < len(tokens) else None

    def take() -> str:
        nonlocal pos
        pos += 1
        return tokens[pos - 1]

    def factor() -> bool:
        tok = take()
        if tok == "(":
            value = either()
            if peek() == ")":
                take()
            return value
        if (peek() or "").upper() == "WITH":
            take()
            take()
        return tok.lower().rstrip("+") in ok or tok.lower() in ok

    def both() -> bool:
        value = factor()
        while (peek() or "").upper() == "AND":
            take()
            value = factor() and value
        return value

    def either() -> bool:
        value = both()
        while (peek() or "").upper() == "OR":
            take()
            value = both() or value
        return value

    return bool(tokens) and either()
