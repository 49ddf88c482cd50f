"""Traffic metrics in ENV=local: the new tasks' own request counters.

Each task of the new revision (found in the daemon's status.json, as the deploy's waiter finds
it) is scraped at `<path>/metrics` on its internal port (`internal_url`, from
`flotilla.local.task.Task.internal_url`: the one place that names it). A meter subtracts what
each task had counted when it opened. A task replaced in the window starts again from zero; a
task that stopped takes its counts with it (the window then reads fewer requests, never more).
"""

from __future__ import annotations

import urllib.request

from prometheus_client.parser import text_string_to_metric_families

from flotilla.deploy.metrics import ZERO, Counts, Version
from flotilla.errors import FlotillaError
from flotilla.local import record
from flotilla.local.paths import LocalPaths
from flotilla.local.record import TaskRecord

REQUESTS = "flotilla_http_requests"  # flotilla.runtime.metrics' counter


def parse(text: str, service: str) -> Counts:
    """Requests and 5xx of `service` in one Prometheus exposition."""
    total = errors = 0
    for family in text_string_to_metric_families(text):
        if family.name != REQUESTS:
            continue
        for sample in family.samples:
            if not sample.name.endswith("_total") or sample.labels.get("service") != service:
                continue
            total += int(sample.value)
            if sample.labels.get("status", "").startswith("5"):
                errors += int(sample.value)
    return Counts(total, errors)


class LocalMeter:
    source = "the new tasks' own counters (<path>/metrics on the internal port)"

    def __init__(self, paths: LocalPaths, version: Version, timeout: float = 5.0) -> None:
        self.paths = paths
        self.version = version
        self.timeout = timeout
        self.baseline = self._scrape()
        if not self.baseline:
            raise FlotillaError(
                f"{version.service}: no task of {version.task_definition.rsplit('/', 1)[-1]} "
                "answers on its internal port"
            )

    def _tasks(self) -> list[TaskRecord]:
        try:
            data = record.read(self.paths.status)
        except (OSError, ValueError) as exc:
            raise FlotillaError(f"the local environment's status is unreadable: {exc}") from None
        key = f"{self.version.cluster.rsplit('/', 1)[-1]}/{self.version.ecs_service}"
        found = data.services.get(key)
        tasks = found.tasks if found else []
        return [t for t in tasks if t.task_definition == self.version.task_definition]

    def _scrape(self) -> dict[str, Counts]:
        found: dict[str, Counts] = {}
        for t in self._tasks():
            url = f"{t.internal_url}{self.version.path}/metrics"
            try:
                with urllib.request.urlopen(url, timeout=self.timeout) as resp:
                    text = resp.read().decode()
            except OSError:
                continue  # stopped or not answering: its counts are gone
            found[t.id] = parse(text, self.version.service)
        return found

    def read(self) -> Counts:
        total = ZERO
        for task, now in self._scrape().items():
            before = self.baseline.get(task, ZERO)
            # A counter below its baseline was restarted: all it has is new.
            total += now - before if now.requests >= before.requests else now
        return total


class LocalMetrics:
    def __init__(self, paths: LocalPaths) -> None:
        self.paths = paths

    def meter(self, version: Version) -> LocalMeter:
        return LocalMeter(self.paths, version)
