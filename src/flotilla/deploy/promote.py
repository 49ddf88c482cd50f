"""`flotilla promote`: deploy to one environment exactly the digests another one runs.

The source's release ledger (in AWS) is the only input, so nothing is built or pushed: what
reaches prod is byte for byte what passed staging.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rich.console import Console

from flotilla.deploy import steps
from flotilla.deploy.ledger import Ledger, Release
from flotilla.deploy.pipeline import Options, execute
from flotilla.deploy.preflight import CliValues
from flotilla.deploy.validate import Context, validate
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
        """The source's current release of every service; read-only, before any side effect."""
        ledger = Ledger(self.project.name, self.source)
        current = {s.name: ledger.current(s.name) for s in ctx.services}
        missing = sorted(n for n, r in current.items() if r is None)
        if missing:
            raise UsageError(
                f"{', '.join(missing)}: no release in {self.source}; "
                f"promote deploys only what passed {self.source}",
                hint=f"deploy {self.source} first (`make deploy ENV={self.source}`)",
            )
        return {n: r.again(ctx.deployer, "promote") for n, r in current.items() if r is not None}

    def run(self) -> steps.Planned:
        # Preflight checks --from too: a defined environment other than --to.
        cli = CliValues(
            "promote",
            self.target,
            self.options.timeout,
            self.options.smoke_url,
            source_env=self.source,
        )
        ctx = validate(self.project, cli, need_docker=False)
        releases = self.resolve(ctx)
        for name, rel in releases.items():
            self.console.print(
                f"promoting {name} {rel.tag} ({rel.digest[7:19]}) from {self.source}"
            )
        planned = steps.plan(ctx, {n: r.image for n, r in releases.items()}, self.console)
        execute(ctx, planned, releases, self.options, self.console)
        return planned
