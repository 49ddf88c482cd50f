"""detect-secrets, configured once: for `[env]` values (preflight) and for build contexts.

Plugins are detect-secrets' own. The high-entropy detectors run only on build contexts, with
lines that carry pinned hashes (`--hash=sha256:...`, `@sha256:...`, as in requirements.lock)
excluded, so a lock file is not a finding. A reviewed false positive goes in the service's
`.secrets.baseline` (made by `detect-secrets scan > .secrets.baseline`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BASELINE = ".secrets.baseline"
# Every detector that looks for a known shape or a keyword; no entropy guesses.
SHAPE_PLUGINS = (
    "ArtifactoryDetector",
    "AWSKeyDetector",
    "AzureStorageKeyDetector",
    "BasicAuthDetector",
    "CloudantDetector",
    "DiscordBotTokenDetector",
    "GitHubTokenDetector",
    "GitLabTokenDetector",
    "IbmCloudIamDetector",
    "IbmCosHmacDetector",
    "JwtTokenDetector",
    "KeywordDetector",
    "MailchimpDetector",
    "NpmDetector",
    "OpenAIDetector",
    "PrivateKeyDetector",
    "PypiTokenDetector",
    "SendGridDetector",
    "SlackDetector",
    "SoftlayerDetector",
    "SquareOAuthDetector",
    "StripeDetector",
    "TelegramBotTokenDetector",
    "TwilioKeyDetector",
)
ENTROPY_PLUGINS: tuple[dict[str, Any], ...] = (
    {"name": "Base64HighEntropyString", "limit": 4.5},
    {"name": "HexHighEntropyString", "limit": 3.0},
)
# Pinned hashes and digests: high entropy by design, never secrets.
EXCLUDE_LINES = "detect_secrets.filters.regex.should_exclude_line"
HASH_LINES = (
    r"--hash[= ]sha256:[0-9a-f]{64}",
    r"sha256:[0-9a-f]{64}",
    r"^# flotilla-lock-inputs: [0-9a-f]{64}$",
)


def _settings(*, entropy: bool) -> dict[str, Any]:
    plugins: list[dict[str, Any]] = [{"name": n} for n in SHAPE_PLUGINS]
    if entropy:
        plugins += [dict(p) for p in ENTROPY_PLUGINS]
    return {
        "plugins_used": plugins,
        "filters_used": [
            {
                "path": "detect_secrets.filters.regex.should_exclude_line",
                "pattern": list(HASH_LINES),
            }
        ],
    }


def value_findings(name: str, value: str) -> list[str]:
    """What detect-secrets sees in `NAME = "value"` (the secret types, deduplicated)."""
    from detect_secrets.core.scan import scan_line
    from detect_secrets.settings import transient_settings

    line = f"{name} = {json.dumps(value)}"
    with transient_settings(_settings(entropy=False)):
        return sorted({s.type for s in scan_line(line)})


@dataclass(frozen=True)
class Finding:
    path: str  # relative to the scanned folder
    line: int
    type: str

    def describe(self) -> str:
        return f"{self.path}:{self.line}: {self.type}"


def _baseline(root: Path) -> set[tuple[str, str]]:
    """(file, hashed secret) pairs reviewed as false positives."""
    path = root / BASELINE
    if not path.is_file():
        return set()
    data = json.loads(path.read_text(encoding="utf-8"))
    return {
        (file, entry["hashed_secret"])
        for file, entries in data.get("results", {}).items()
        for entry in entries
    }


def scan_files(root: Path, files: list[tuple[str, Path]]) -> list[Finding]:
    """Every finding in `files` (name relative to `root`, path) not in root's baseline."""
    from detect_secrets.core.secrets_collection import SecretsCollection
    from detect_secrets.settings import transient_settings

    reviewed = _baseline(root)
    names = {str(path): rel for rel, path in files if rel != BASELINE}
    collection = SecretsCollection()
    with transient_settings(_settings(entropy=True)):
        for path in names:
            collection.scan_file(path)
    found = {
        Finding(names[file], secret.line_number, secret.type)
        for file, secret in _iter(collection)
        if (names[file], secret.secret_hash) not in reviewed
    }
    return sorted(found, key=lambda f: (f.path, f.line, f.type))


def _iter(collection: Any) -> Iterator[tuple[str, Any]]:
    yield from collection
