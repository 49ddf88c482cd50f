"""One real uvicorn server per framework, all serving the same conformance plugin."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack

import pytest

from flotilla.runtime.app import Mount, RuntimeApp
from flotilla.runtime.lifecycle import Lifecycle
from flotilla.runtime.loader import FRAMEWORKS, plugin_app
from flotilla.runtime.testing import serve_in_thread
from tests.conformance.conformance_plugin import MAX_BODY_BYTES, plugin

AccessLog = dict[str, dict[str, tuple[str, str, int]]]


@pytest.fixture(scope="session")
def access_logs() -> AccessLog:
    """framework -> request id -> (method, route, status), as the runtime logged it."""
    return {framework: {} for framework in FRAMEWORKS}


@pytest.fixture(scope="session")
def conformance_servers(access_logs: AccessLog) -> Iterator[dict[str, str]]:
    """framework -> base URL of a real HTTP server on 127.0.0.1."""

    def collector(framework: str) -> Callable[[str, str, str, int, float, str], None]:
        def collect(
            service: str, method: str, route: str, status: int, ms: float, rid: str
        ) -> None:
            access_logs[framework][rid] = (method, route, status)

        return collect

    with ExitStack() as stack:
        urls = {}
        for framework in FRAMEWORKS:
            app = RuntimeApp(
                [Mount("conf", "/conf", plugin_app(plugin, framework, MAX_BODY_BYTES))],
                lifecycle=Lifecycle(),
                access_log=collector(framework),
            )
            urls[framework] = stack.enter_context(serve_in_thread(app))
        yield urls
