"""The PostgreSQL server the store tests use: named by SCALING_LAB_TEST_POSTGRES_URL (.ci/run starts one)."""

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

POSTGRES_ENV = "SCALING_LAB_TEST_POSTGRES_URL"


def postgres_server() -> str:
    """The server's admin URL; the test is skipped without one, and fails in CI, where it must run."""
    url = os.environ.get(POSTGRES_ENV)
    if url:
        return url
    if os.environ.get("CI"):
        pytest.fail(f"{POSTGRES_ENV} is not set: .ci/run must start PostgreSQL for the store tests")
    pytest.skip(f"set {POSTGRES_ENV} to run the store tests against PostgreSQL")


@contextmanager
def fresh_database(prefix: str, password: str | None = None) -> Iterator[str]:
    """A new, empty database of its own (tests run in parallel workers), dropped after; its URL with the password.

    With a password, a new role owns it and logs in with that password, so the server checks it.
    """
    server = make_url(postgres_server())
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        if password is not None:
            connection.exec_driver_sql(f"CREATE ROLE {name} LOGIN PASSWORD '{password}'")
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"' + (f" OWNER {name}" if password is not None else ""))
    url = server.set(database=name)
    if password is not None:
        url = url.set(username=name, password=password)
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:  # FORCE: the test's stores may still hold pooled connections
            connection.exec_driver_sql(f'DROP DATABASE "{name}" WITH (FORCE)')
            if password is not None:
                connection.exec_driver_sql(f"DROP ROLE {name}")
        admin.dispose()
