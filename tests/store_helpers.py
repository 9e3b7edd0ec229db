"""The PostgreSQL server the store tests use: named by SCALING_LAB_TEST_POSTGRES_URL (.ci/run starts one)."""

import os

import pytest

POSTGRES_ENV = "SCALING_LAB_TEST_POSTGRES_URL"


def postgres_server() -> str:
    """The server's admin URL; the test is skipped without one, and fails in CI, where it must run."""
    url = os.environ.get(POSTGRES_ENV)
    if url:
        return url
    if os.environ.get("CI"):
        pytest.fail(f"{POSTGRES_ENV} is not set: .ci/run must start PostgreSQL for the store tests")
    pytest.skip(f"set {POSTGRES_ENV} to run the store tests against PostgreSQL")
