"""The release ledger: one SSM parameter per environment and service, kept in AWS.

`/flotilla/<project>/<env>/releases/<service>` holds `{"history": [...]}`, newest first.
History is trimmed to fit a standard parameter (4 KB); a trimmed release's
`deployed-<env>-<n>` tag is returned so the caller can release it to the lifecycle policy.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from typing import Any

from flotilla.deploy import aws

MAX_HISTORY = 20
MAX_CHARS = 4096


@dataclass(frozen=True)
class Release:
    number: int
    service: str
    tag: str  # the content tag
    digest: str
    image: str  # what the task definition runs (<host>/<repo>@<digest>)
    version: str
    git_sha: str
    time: str  # ISO 8601, UTC
    deployer: str  # the caller identity's ARN
    kind: str = "deploy"  # deploy | rollback | promote

    def again(self, deployer: str, kind: str) -> Release:
        """This release's image deployed anew: a new entry (numbered on record), same digest."""
        return replace(self, number=0, time=now(), deployer=deployer, kind=kind)


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class Ledger:
    def __init__(self, project: str, env: str) -> None:
        self.project = project
        self.env = env
        self.ssm: Any = aws.client("ssm")

    @property
    def prefix(self) -> str:
        return f"/flotilla/{self.project}/{self.env}/releases"

    def parameter(self, service: str) -> str:
        return f"{self.prefix}/{service}"

    @staticmethod
    def _parse(service: str, text: str) -> list[Release]:
        data = json.loads(text)
        return [Release(**{**r, "service": service}) for r in data.get("history", [])]

    def history(self, service: str) -> list[Release]:
        """Newest first; [] when the service was never released in this environment."""
        try:
            value = self.ssm.get_parameter(Name=self.parameter(service))["Parameter"]["Value"]
        except self.ssm.exceptions.ParameterNotFound:
            return []
        return self._parse(service, value)

    def current(self, service: str) -> Release | None:
        history = self.history(service)
        return history[0] if history else None

    def everything(self) -> dict[str, list[Release]]:
        """Every service's history in this environment, by service name."""
        found: dict[str, list[Release]] = {}
        pages = self.ssm.get_paginator("get_parameters_by_path").paginate(
            Path=self.prefix, Recursive=False
        )
        for page in pages:
            for param in page["Parameters"]:
                service = param["Name"].rsplit("/", 1)[-1]
                found[service] = self._parse(service, param["Value"])
        return dict(sorted(found.items()))

    def record(self, release: Release) -> tuple[Release, list[Release]] | None:
        """Prepend `release` (numbered after the newest); returns it and the trimmed ones.

        None, and nothing written, when the newest release already has its digest: the
        service already runs it, and a new entry would only bury the real changes."""
        history = self.history(release.service)
        if history and history[0].digest == release.digest:
            return None
        number = (history[0].number + 1) if history else 1
        release = replace(release, number=number)
        history = [release, *history]
        dropped: list[Release] = []
        while len(history) > 1 and (
            len(history) > MAX_HISTORY or len(self._dump(history)) > MAX_CHARS
        ):
            dropped.append(history.pop())
        self.ssm.put_parameter(
            Name=self.parameter(release.service),
            Value=self._dump(history),
            Type="String",
            Overwrite=True,
            Description=f"flotilla releases of {release.service} in {self.env}",
        )
        return release, dropped

    @staticmethod
    def _dump(history: list[Release]) -> str:
        rows = [{k: v for k, v in asdict(r).items() if k != "service"} for r in history]
        return json.dumps({"history": rows}, separators=(",", ":"))
