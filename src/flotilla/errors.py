"""Errors a user can act on. The CLI prints these as one line and exits with `exit_code`."""

from __future__ import annotations


class FlotillaError(Exception):
    """A failure with a message meant for the operator, not a traceback."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\n  hint: {self.hint}"


class UsageError(FlotillaError):
    """Bad input: caught before any side effect."""

    exit_code = 2


class ManifestError(UsageError):
    """A service manifest is invalid, or two manifests conflict."""
