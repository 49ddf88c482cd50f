"""One line per service: a rich live table on a terminal, plain log lines otherwise."""

from __future__ import annotations

import sys
import threading
from types import TracebackType
from typing import TextIO

from rich.console import Console
from rich.live import Live
from rich.table import Table

STYLES = {
    "waiting": "dim",
    "wheels": "cyan",
    "building": "cyan",
    "built": "green",
    "unchanged": "green",
    "failed": "bold red",
}


class Progress:
    """Thread-safe: workers call `update(service, state, detail)`."""

    def __init__(
        self, services: list[str], *, plain: bool | None = None, stream: TextIO | None = None
    ) -> None:
        self.stream = stream or sys.stderr
        self.plain = (not self.stream.isatty()) if plain is None else plain
        self.rows = {name: ("waiting", "") for name in services}
        self._lock = threading.Lock()
        self._live: Live | None = None
        self._console = Console(file=self.stream, highlight=False, soft_wrap=True)

    def __enter__(self) -> Progress:
        if not self.plain:
            self._live = Live(
                self._table(), console=self._console, refresh_per_second=4, transient=False
            )
            self._live.__enter__()
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._live is not None:
            self._live.update(self._table())
            self._live.__exit__(t, e, tb)

    def note(self, message: str) -> None:
        with self._lock:
            self._console.print(f"[yellow]note:[/] {message}")

    def update(self, service: str, state: str, detail: str = "") -> None:
        with self._lock:
            changed = state != self.rows[service][0]
            self.rows[service] = (state, detail)
            if self._live is not None:
                self._live.update(self._table())
            elif changed and state != "waiting":
                # plain logs: one line per state change, errors in full
                text = detail if state == "failed" else (detail.splitlines() or [""])[0]
                print(f"[build] {service}: {state} {text}".rstrip(), file=self.stream, flush=True)

    def _table(self) -> Table:
        table = Table("service", "state", "detail", box=None, pad_edge=False)
        for name, (state, detail) in self.rows.items():
            style = STYLES.get(state, "")
            first = detail.splitlines()[0][:90] if detail else ""
            table.add_row(name, f"[{style}]{state}[/]", first)
        return table
