"""Shared fixtures live in tests/fixtures/, one module per area, so each area owns its own."""

pytest_plugins = [
    "tests.fixtures.base",
    "tests.fixtures.images",
    "tests.fixtures.terraform",
    "tests.fixtures.deploy",
    "tests.fixtures.local_env",
]
