"""`status` and `releases`: read-only tables."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from rich.console import Console
from rich.table import Table

from flotilla.deploy.ledger import Ledger
from flotilla.deploy.validate import check_services, select_environment
from flotilla.errors import FlotillaError
from flotilla.project import Project


def age(when: datetime | None) -> str:
    if when is None:
        return "—"
    secs = (datetime.now(UTC) - when.astimezone(UTC)).total_seconds()
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if secs >= size:
            return f"{int(secs // size)}{unit}"
    return f"{int(max(secs, 0))}s"


def _health(targets: tuple[Any, ...]) -> str:
    if not targets:
        return "—"
    counts: dict[str, int] = {}
    for t in targets:
        counts[t.state] = counts.get(t.state, 0) + 1
    return ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))


@dataclass
class StatusCommand:
    project: Project
    env: str
    console: Console = field(default_factory=Console)

    def run(self) -> Table:
        from flotilla.deploy import aws

        select_environment(self.project, self.env)
        services = check_services(self.project, self.env, None)
        aws.caller_identity(self.project.config.project.region)

        from flotilla.deploy.ecr import Ecr
        from flotilla.deploy.rollout import status_source_for
        from flotilla.deploy.terraform import Terraform

        tf = Terraform(self.project, self.env)
        with self.console.status("reading terraform outputs"):
            tf.init(reuse=True)
            outputs = dict(tf.output())
        deployed = outputs.get("services") or {}
        if not deployed:
            raise FlotillaError(
                f"nothing is deployed in {self.env}",
                hint=f"run `flotilla deploy --env {self.env}`",
            )
        ledger, ecr = Ledger(self.project.name, self.env), Ecr(self.project.name)
        source = status_source_for(self.env, self.project)
        table = Table(
            "service",
            "tag",
            "age",
            "tasks",
            "rollout",
            "targets",
            title=f"{self.project.name} · {self.env}",
            caption="tasks: running/desired (+pending)",
        )
        for svc in services:
            out = deployed.get(svc.name)
            if out is None:
                table.add_row(svc.name, "not deployed", *["—"] * 4)
                continue
            rel = ledger.current(svc.name)
            st = source.service_status(
                outputs["cluster_name"], out["service_name"], out.get("target_group_arn")
            )
            pushed = _pushed_at(ecr, svc.name, rel.digest) if rel else None
            tasks = f"{st.running}/{st.desired}" + (f" +{st.pending}" if st.pending else "")
            table.add_row(
                svc.name,
                rel.tag if rel else "?",
                age(pushed),
                tasks,
                st.rollout_state + (" (rolled back)" if st.rolled_back else ""),
                _health(st.targets),
            )
        self.console.print(table)
        return table


def _pushed_at(ecr: Any, service: str, digest: str) -> datetime | None:
    from flotilla.deploy.ecr import repository_name

    try:
        d = ecr.client.describe_images(
            repositoryName=repository_name(ecr.project, service), imageIds=[{"imageDigest": digest}]
        )["imageDetails"]
    except Exception:
        return None
    return d[0].get("imagePushedAt") if d else None


@dataclass
class ReleasesCommand:
    project: Project
    env: str
    service: str | None = None
    console: Console = field(default_factory=Console)

    def run(self) -> Table:
        from flotilla.deploy import aws

        select_environment(self.project, self.env)
        check_services(self.project, self.env, [self.service] if self.service else None)
        aws.caller_identity(self.project.config.project.region)
        ledger = Ledger(self.project.name, self.env)
        history = (
            {self.service: ledger.history(self.service)} if self.service else ledger.everything()
        )
        rows = sorted(
            (r for h in history.values() for r in h), key=lambda r: (r.time, r.number), reverse=True
        )
        table = Table(
            "time",
            "service",
            "#",
            "kind",
            "tag",
            "version",
            "digest",
            "git",
            "by",
            title=f"releases · {self.env}",
        )
        for r in rows:
            table.add_row(
                r.time.replace("+00:00", "Z"),
                r.service,
                str(r.number),
                r.kind,
                r.tag,
                r.version,
                r.digest[7:19],
                r.git_sha[:7],
                r.deployer.rsplit("/", 1)[-1],
            )
        if not rows:
            self.console.print(f"no releases recorded in {self.env}")
        else:
            self.console.print(table)
        return table
