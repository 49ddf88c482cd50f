"""`flotilla promote`: deploy to one environment exactly the digests another one runs.

The source's release ledger (in its state bucket) gives the images, so nothing is built or
pushed: what reaches prod is byte for byte what passed staging. Promoting is explicit, so it
replaces (and unpins) a rollback's pin in the target.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rich.console import Console

from flotilla.deploy import lock, steps
from flotilla.deploy.pipeline import Options, execute
from flotilla.deploy.preflight import CliValues
from flotilla.deploy.release import Release
from flotilla.deploy.servicemap import service_specs
from flotilla.deploy.validate import Context, target_for, validate
from flotilla.errors import UsageError
from flotilla.project import Project


@dataclass
class PromoteCommand:
    project: Project
    source: str
    target: str
    options: Options = field(default_factory=Options)
    console: Console = field(default_factory=Console)

    def resolve(self, ctx: Context) -> dict[str, Release]:
        """The source's current release of every service; read-only, before any side effect.

        The source's ledger is read in the source's account, with its own role: promote holds
        two sessions, one per account, and deploys with the target's."""
        source = target_for(self.project, self.source, self.options.connect)
        source.check()
        ledger = source.ledger()
        current = {s.name: ledger.current(s.name) for s in ctx.services}
        missing = sorted(n for n, r in current.items() if r is None)
        if missing:
            raise UsageError(
                f"{', '.join(missing)}: no release in {self.source}; "
                f"promote deploys only what passed {self.source}",
                hint=f"deploy {self.source} first (`make deploy ENV={self.source}`)",
            )
        return {
            n: r.again(ctx.deployer, ctx.account, "promote")
            for n, r in current.items()
            if r is not None
        }

    def run(self) -> steps.Planned:
        # Preflight checks --from too: a defined environment other than --to.
        cli = CliValues(
            "promote",
            self.target,
            self.options.timeout,
            self.options.smoke_url,
            source_env=self.source,
            verify_seconds=self.options.verify_seconds,
        )
        ctx = validate(self.project, cli, need_docker=False, connect=self.options.connect)
        releases = self.resolve(ctx)  # read-only: bad input is exit 2 before the lock
        with lock.held(ctx.target, self.console, self.options.wait_lock):
            return self._promote(ctx, releases)

    def _promote(self, ctx: Context, releases: dict[str, Release]) -> steps.Planned:
        for name, rel in releases.items():
            self.console.print(
                f"promoting {name} {rel.tag} ({rel.digest[7:19]}) from {self.source}"
            )
        # The target's own config (its [environments.<target>] overrides) with the source's
        # images: what is promoted is the code, byte for byte.
        specs = service_specs(ctx.services, ctx.env, {n: r.image for n, r in releases.items()})
        releases = {n: r.model_copy(update={"spec": specs[n]}) for n, r in releases.items()}
        planned = steps.plan(ctx, specs, self.console)
        execute(ctx, planned, releases, specs, self.options, self.console)
        return planned
