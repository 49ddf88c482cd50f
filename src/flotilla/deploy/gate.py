"""The gate between a reviewed plan and apply: destructive changes and prod confirmation."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

from flotilla.deploy.review import Review
from flotilla.errors import FlotillaError

CONFIRM_ENVS = ("prod",)  # when the caller does not say (environments/<env>.toml `confirm`)


class GateClosed(FlotillaError):
    """The plan was not allowed through; nothing was applied."""

    exit_code = 3


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def check(
    review: Review,
    *,
    allow_destroy: bool,
    yes: bool,
    plan_md: str,
    confirm: Callable[[str], bool] | None = None,
    needs_confirm: bool | None = None,
) -> None:
    """Raise GateClosed unless the plan may be applied. `needs_confirm`: the environment's
    `confirm` setting (default: whether it is prod)."""
    if review.critical and not allow_destroy:
        items = "; ".join(f"{r['action']} {r['kind']} {r['address']}" for r in review.critical)
        raise GateClosed(
            f"the plan for {review.env} destroys or replaces critical resources: {items}",
            hint=f"read {plan_md}; re-run with --allow-destroy if that is intended",
        )
    if needs_confirm is None:
        needs_confirm = review.env in CONFIRM_ENVS
    if needs_confirm and not (yes or in_ci()) and review.has_changes:
        if confirm is None or not sys.stdin.isatty():
            raise GateClosed(
                f"{review.env} needs confirmation and there is no terminal to ask",
                hint="review the plan, then pass --yes (CI=true also confirms)",
            )
        c = review.counts
        question = (
            f"Apply to {review.env}: {c['add']} add, {c['change']} change, "
            f"{c['destroy']} destroy, {c['replace']} replace?"
        )
        if not confirm(question):
            raise GateClosed(f"not confirmed; nothing applied to {review.env}")


def ask(question: str, *, yes: bool, confirm: Callable[[str], bool] | None, what: str) -> None:
    """Raise GateClosed unless `yes`, or a terminal user answers yes to `question`."""
    if yes:
        return
    if confirm is None or not sys.stdin.isatty():
        raise GateClosed(
            f"{what} needs confirmation and there is no terminal to ask",
            hint="pass --yes to confirm",
        )
    if not confirm(question):
        raise GateClosed(f"not confirmed; nothing applied ({what})")
