"""`status` and `releases`: read-only tables of what the environment holds (Terraform's
outputs, the ledger), never the working tree: they work while a manifest is broken."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from rich.console import Console

from flotilla.deploy.validate import reach
from flotilla.errors import FlotillaError, UsageError
from flotilla.project import Project
from flotilla.tables import fitted

if TYPE_CHECKING:
    from flotilla.deploy.target import Connect


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


STATUS_COLUMNS = ("service", "tag", "age", "tasks", "rollout", "targets")
RELEASE_COLUMNS = (
    "time",
    "service",
    "#",
    "kind",
    "verdict",
    "tag",
    "version",
    "digest",
    "git",
    "by",
)


@dataclass
class StatusCommand:
    project: Project
    env: str
    console: Console = field(default_factory=Console)
    json: bool = False  # one JSON document on stdout instead of the table
    connect: Connect | None = None  # the composition root's (kind local needs it)

    def run(self) -> None:
        target = reach(self.project, self.env, self.connect)
        tf = target.terraform()
        with self.console.status("reading terraform outputs"):
            tf.init(reuse=True)
            outputs = tf.outputs()
        deployed = outputs.services
        if not deployed:
            raise FlotillaError(
                f"nothing is deployed in {self.env}",
                hint=f"run `flotilla deploy --env {self.env}`",
            )
        ledger, ecr = target.ledger(), target.ecr()
        recorded = ledger.everything()
        source = target.status_source()
        rows: list[dict[str, str]] = []
        for name in sorted(set(deployed) | set(recorded)):
            out = deployed.get(name)
            if out is None:
                rows.append(
                    dict.fromkeys(STATUS_COLUMNS, "—") | {"service": name, "tag": "not deployed"}
                )
                continue
            history = recorded[name].history if name in recorded else ()
            rel = history[0] if history else None
            st = source.service_status(
                outputs.cluster_name or target.cluster, out.service_name, out.target_group_arn
            )
            pushed = _pushed_at(ecr, name, rel.digest) if rel else None
            tasks = f"{st.running}/{st.desired}" + (f" +{st.pending}" if st.pending else "")
            rows.append(
                {
                    "service": name,
                    "tag": rel.tag if rel else "?",
                    "age": age(pushed),
                    "tasks": tasks,
                    "rollout": st.rollout_state + (" (rolled back)" if st.rolled_back else ""),
                    "targets": _health(st.targets),
                }
            )
        if self.json:
            print(json.dumps({"project": self.project.name, "env": self.env, "services": rows}))
            return
        self.console.print(
            fitted(
                STATUS_COLUMNS,
                [[r[c] for c in STATUS_COLUMNS] for r in rows],
                self.console.width,
                droppable=("age", "targets"),
                title=f"{self.project.name} · {self.env}",
                caption="tasks: running/desired (+pending)",
            )
        )


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
    json: bool = False
    connect: Connect | None = None  # the composition root's (kind local needs it)

    def run(self) -> None:
        ledger = reach(self.project, self.env, self.connect).ledger()
        found = ledger.everything()
        if self.service is not None and self.service not in found:
            raise UsageError(
                f"unknown service {self.service!r}: no releases in {self.env}; services with "
                f"releases there: {', '.join(found) or 'none'}"
            )
        chosen = {self.service: found[self.service]} if self.service else found
        pinned = {(n, d.pin.number) for n, d in chosen.items() if d.pin}
        rows = sorted(
            (r for d in chosen.values() for r in d.history),
            key=lambda r: (r.time, r.number),
            reverse=True,
        )
        if self.json:
            doc = [r.model_dump(mode="json") | {"pinned": (r.service, r.number) in pinned}
                   for r in rows]  # fmt: skip
            print(json.dumps({"env": self.env, "releases": doc}))
            return
        if not rows:
            self.console.print(f"no releases recorded in {self.env}")
            return
        cells = [
            [
                r.time.replace("+00:00", "Z"),
                r.service,
                f"{r.number}*" if (r.service, r.number) in pinned else str(r.number),
                r.kind,
                r.verdict,
                r.tag,
                r.version,
                r.digest[7:19],
                r.git_sha[:7],
                r.deployer.rsplit("/", 1)[-1],
            ]
            for r in rows
        ]
        # At 80 columns the least useful go first; every value shown is whole (--json: all).
        table = fitted(
            RELEASE_COLUMNS,
            cells,
            self.console.width,
            droppable=("by", "git", "digest", "version", "kind"),
            title=f"releases · {self.env}",
            caption="* pinned: deploys keep it until `flotilla unpin SERVICE`" if pinned else None,
        )
        self.console.print(table)
