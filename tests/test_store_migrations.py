"""The store's Alembic migrations: stores made before them are adopted with their rows, fresh ones equal the models."""

import json
import runpy
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import BigInteger, Float, LargeBinary, MetaData, String, Table, create_engine, inspect, select
from sqlalchemy.engine import Connection
from store_helpers import fresh_database

from scaling_core.core.errors import ConfigError
from scaling_core.storage.store import Store, alembic_config, metadata

ROOT = Path(__file__).resolve().parent.parent
OLD_SCHEMA = ROOT / "tests" / "fixtures" / "store_v0_schema.py"
HEAD = ScriptDirectory.from_config(alembic_config()).get_current_head()
# Columns later revisions added to old tables, as an adopted row reads them (0002: results' owner, soft deletion).
ADDED = {"results": {"owner": None, "deleted_at": None, "deleted_by": None}}


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path):
    """An empty database: a new SQLite file, or a new PostgreSQL database dropped after the test."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.sqlite'}"
        return
    with fresh_database("scaling_lab_migrations") as url:
        yield url


def old_metadata() -> MetaData:
    return runpy.run_path(str(OLD_SCHEMA))["metadata"]


def old_row(table: Table) -> dict:
    """One row for any table of the old schema, with a value of each column's type (JSON in text columns)."""
    values: dict = {}
    for column in table.columns:
        if column.primary_key:
            continue
        kind = column.type
        if isinstance(kind, LargeBinary):
            values[column.name] = bytes(range(256)) * 3
        elif isinstance(kind, BigInteger):
            values[column.name] = 400_000_000_000
        elif isinstance(kind, Float):
            values[column.name] = 1.25
        elif isinstance(kind, String) and kind.length:
            values[column.name] = column.name[: kind.length]
        elif isinstance(kind, String):
            values[column.name] = json.dumps({"column": column.name})
        else:
            values[column.name] = 3
    return values


def revision(url: str) -> str | None:
    engine = create_engine(url)
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    engine.dispose()
    return current


def columns_by_table(connection: Connection) -> dict[str, dict[str, bool]]:
    inspector = inspect(connection)
    return {
        name: {c["name"]: c["nullable"] for c in inspector.get_columns(name)}
        for name in inspector.get_table_names()
        if name != "alembic_version"
    }


def test_a_store_made_before_migrations_is_adopted_and_keeps_its_rows(store_url):
    old = old_metadata()
    engine = create_engine(store_url)
    old.create_all(engine)  # exactly what Store(url) did before migrations
    rows = {table.name: old_row(table) for table in old.sorted_tables}
    with engine.begin() as connection:
        for table in old.sorted_tables:
            connection.execute(table.insert().values(**rows[table.name]))
    engine.dispose()

    store = Store(store_url)
    assert revision(store_url) == HEAD
    with store.engine.connect() as connection:
        for table in old.sorted_tables:
            kept = [dict(r) for r in connection.execute(select(metadata.tables[table.name])).mappings()]
            assert kept == [{"id": 1, **rows[table.name], **ADDED.get(table.name, {})}], table.name
    assert store.get_measurement("key")["macs"] == 400_000_000_000
    assert store.lab_checkpoint("key") == bytes(range(256)) * 3
    assert Store(store_url).list_results()[0]["payload"] == {"column": "payload"}  # reopening changes nothing


def test_a_store_older_than_some_tables_gains_them(store_url):
    old = old_metadata()
    engine = create_engine(store_url)
    old.create_all(engine, tables=[old.tables[name] for name in ("measurements", "latency_profiles", "results")])
    with engine.begin() as connection:
        connection.execute(old.tables["results"].insert().values(**old_row(old.tables["results"])))
    engine.dispose()

    store = Store(store_url)
    assert revision(store_url) == HEAD
    with store.engine.connect() as connection:
        assert set(columns_by_table(connection)) == set(metadata.tables)
    assert [r["payload"] for r in store.list_results()] == [{"column": "payload"}]
    store.put_evaluation("distillation", "e" * 64, "k" * 64, {"accuracy": 0.5})
    assert store.evaluations("distillation", ["e" * 64]) == {"e" * 64: {"accuracy": 0.5}}


def test_a_fresh_store_is_at_head_and_its_schema_equals_the_models(store_url):
    store = Store(store_url)
    assert revision(store_url) == HEAD
    with store.engine.connect() as connection:
        expected = {table.name: {c.name: c.nullable for c in table.columns} for table in metadata.sorted_tables}
        assert columns_by_table(connection) == expected
        # Types, indexes and unique constraints too: a change to store.py needs a revision in migrations/versions.
        assert compare_metadata(MigrationContext.configure(connection), metadata) == []


OPENER = """
import sys
sys.path.insert(0, {root!r})
from scaling_core.storage.store import Store
Store({url!r})
"""


def test_processes_opening_a_fresh_store_at_once_all_succeed(store_url, tmp_path):
    script = tmp_path / "opener.py"
    script.write_text(OPENER.format(root=str(ROOT), url=store_url))
    openers = [subprocess.Popen([sys.executable, str(script)]) for _ in range(4)]
    assert [p.wait(timeout=240) for p in openers] == [0, 0, 0, 0]
    engine = create_engine(store_url)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalars().all() == [HEAD]
    engine.dispose()


def test_an_unreachable_store_is_named_without_its_password():
    with pytest.raises(ConfigError, match="store") as error:
        Store("postgresql+psycopg://nobody:s3cret@127.0.0.1:1/none")
    message = str(error.value)
    # The URL is echoed shortened and masked; the driver's reason still names the server it tried.
    assert "s3cret" not in message and "nobody:***@127.0.0." in message and '"127.0.0.1", port 1' in message


def test_a_store_from_a_newer_version_is_a_clear_error(store_url):
    store = Store(store_url)
    with store.engine.begin() as connection:
        connection.exec_driver_sql("UPDATE alembic_version SET version_num = 'from-the-future'")
    with pytest.raises(ConfigError, match="at from-the-future, from a newer version"):
        Store(store_url)
