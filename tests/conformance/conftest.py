"""One real uvicorn server per framework, all serving the same conformance plugin."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack

import pytest

from flotilla.runtime.app import Mount, RuntimeApp
from flotilla.runtime.lifecycle import Lifecycle
from flotilla.runtime.loader import FRAMEWORKS, plugin_app
from flotilla.runtime.testing import serve_in_thread
from tests.conformance.conformance_plugin import plugin


@pytest.fixture(scope="session")
def conformance_servers() -> Iterator[dict[str, str]]:
    """framework -> base URL of a real HTTP server on 127.0.0.1."""
    with ExitStack() as stack:
        urls = {}
        for framework in FRAMEWORKS:
            app = RuntimeApp(
                [Mount("conf", "/conf", plugin_app(plugin, framework))], lifecycle=Lifecycle()
            )
            urls[framework] = stack.enter_context(serve_in_thread(app))
        yield urls
