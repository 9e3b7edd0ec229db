"""The results store: measured latencies, fitted latency profiles, saved results and lab runs, through SQLAlchemy.

SQLite by default at $XDG_DATA_HOME/compound-scaling-lab/store.sqlite (~/.local/share/… when
XDG_DATA_HOME is unset); any SQLAlchemy URL through SCALING_LAB_STORE_URL or the CLI's --store,
e.g. postgresql+psycopg://user@host/db for a team. Every write is one short transaction keyed by
a unique key, so concurrent writers (two processes, two people) never lose a row. Opening a store
brings its schema to the newest Alembic revision in migrations/ (see migrations/env.py to add one).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from functools import cache
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import (
    BigInteger,
    Column,
    Float,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    delete,
    event,
    func,
    insert,
    or_,
    select,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError

from scaling_core.core.errors import ConfigError

STORE_URL_ENV = "SCALING_LAB_STORE_URL"
MIGRATIONS = Path(__file__).with_name("migrations")
# Any fixed 64-bit number: the PostgreSQL advisory lock that queues processes migrating the same database.
MIGRATION_LOCK_KEY = 0x5CA1AB1E

metadata = MetaData()
measurements = Table(
    "measurements",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(64), nullable=False, unique=True),
    Column("network", Text, nullable=False),
    Column("label", Text, nullable=False),
    Column("head", String(32), nullable=False),
    Column("fingerprint_id", String(16), nullable=False, index=True),
    Column("fingerprint", Text, nullable=False),
    Column("batch_size", Integer, nullable=False),
    Column("threads", Integer, nullable=False),
    Column("memory_format", String(16), nullable=False),
    Column("device", String(8), nullable=False),
    Column("best_ms", Float, nullable=False),
    Column("median_ms", Float, nullable=False),
    Column("p10_ms", Float, nullable=False),
    Column("p90_ms", Float, nullable=False),
    Column("runs", Integer, nullable=False),
    Column("blocks", Integer, nullable=False),
    Column("macs", BigInteger, nullable=False),
    Column("params", BigInteger, nullable=False),
    Column("activations", BigInteger, nullable=False),
    Column("measured_at", Float, nullable=False),
)
profiles = Table(
    "latency_profiles",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("fingerprint_id", String(16), nullable=False),
    Column("batch_size", Integer, nullable=False),
    Column("threads", Integer, nullable=False),
    Column("memory_format", String(16), nullable=False),
    Column("device", String(8), nullable=False),
    Column("profile", Text, nullable=False),
    Column("created_at", Float, nullable=False),
    UniqueConstraint("fingerprint_id", "batch_size", "threads", "memory_format", "device", name="one_profile"),
)

results = Table(
    "results",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", Text, nullable=False),
    Column("author", Text, nullable=False),
    Column("notes", Text, nullable=False),
    Column("page", String(32), nullable=False),
    Column("query", Text, nullable=False),
    Column("payload", Text, nullable=False),
    Column("created_at", Float, nullable=False),
)
lab_runs = Table(
    "lab_runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(64), nullable=False, unique=True),
    Column("dataset", String(32), nullable=False),
    Column("network_key", String(16), nullable=False, index=True),
    Column("seed", Integer, nullable=False),
    Column("budget", Text, nullable=False),
    Column("code_version", String(16), nullable=False),
    Column("fingerprint_id", String(16), nullable=False),
    Column("accuracy", Float, nullable=False),
    Column("curve", Text, nullable=False),
    Column("train_time_s", Float, nullable=False),
    Column("checkpoint", LargeBinary, nullable=False),
    Column("created_at", Float, nullable=False),
)


def _evaluation_table(name: str) -> Table:
    """A table of deterministic evaluations of lab runs: one JSON result per key."""
    return Table(
        name,
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("key", String(64), nullable=False, unique=True),
        Column("run_key", String(64), nullable=False, index=True),
        Column("result", Text, nullable=False),
        Column("created_at", Float, nullable=False),
    )


EVALUATIONS = {
    kind: _evaluation_table(f"{kind}_runs") for kind in ("robustness", "deployment", "representation", "distillation")
}
RESULT_TEXT_LIMITS = {"name": 200, "author": 200, "notes": 10_000}


def default_store_url() -> str:
    """SCALING_LAB_STORE_URL, else the SQLite file under the user's data directory."""
    url = os.environ.get(STORE_URL_ENV)
    if url:
        return url
    data_home = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    path = data_home / "compound-scaling-lab" / "store.sqlite"
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path}"


def alembic_config(connection: Connection | None = None) -> Config:
    """The Alembic configuration of the store's migrations (no alembic.ini); env.py migrates this connection."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def upgrade(engine: Engine) -> None:
    """Bring the store's schema to the newest revision; a store made before migrations is adopted, rows kept."""
    with engine.connect() as connection:
        current = _revision(connection)
    if current == _script().get_current_head():
        return
    if current is not None and current not in {script.revision for script in _script().walk_revisions()}:
        # A teammate's newer scaling_core migrated a shared store: reading it with older models would be wrong.
        raise ConfigError(
            "store",
            engine.url.render_as_string(hide_password=True),
            f"a store at a revision this scaling_core knows (it is at {current}, from a newer version: update)",
        )
    with _migration_lock(engine) as connection:  # a racing process waits here, then finds the work done
        command.upgrade(alembic_config(connection), "head")


class Store:
    """Measurements and profiles in one database."""

    def __init__(self, url: str | None = None) -> None:
        self.url = url or default_store_url()
        try:
            self.engine: Engine = _engine(self.url)
            with self.engine.connect():
                pass
        except Exception as exc:  # SQLAlchemy raises many kinds for a bad URL or an unreachable server
            raise ConfigError(
                "store",
                _shown(self.url),
                f"a reachable SQLAlchemy database URL ({type(exc).__name__}: {str(exc).splitlines()[0]})",
            ) from None
        upgrade(self.engine)

    def get_measurement(self, key: str) -> dict | None:
        """The stored row for a key, or None."""
        with self.engine.connect() as connection:
            row = connection.execute(select(measurements).where(measurements.c.key == key)).mappings().first()
        return dict(row) if row else None

    def put_measurement(self, row: dict, replace: bool = False) -> None:
        """Insert a measurement; an existing key is kept, or overwritten when replace is true."""
        statement = _insert(self.engine)(measurements).values(**row)
        if replace:
            updates = {c: statement.excluded[c] for c in row if c not in ("id", "key")}
            statement = statement.on_conflict_do_update(index_elements=["key"], set_=updates)
        else:
            statement = statement.on_conflict_do_nothing(index_elements=["key"])
        with self.engine.begin() as connection:
            connection.execute(statement)

    def measurements(self, fingerprint_id: str | None = None) -> list[dict]:
        """All measurements, or those of one machine, oldest first."""
        query = select(measurements).order_by(measurements.c.id)
        if fingerprint_id is not None:
            query = query.where(measurements.c.fingerprint_id == fingerprint_id)
        with self.engine.connect() as connection:
            return [dict(r) for r in connection.execute(query).mappings()]

    def put_profile(self, identity: dict, profile: dict) -> None:
        """Save (or replace) the latency profile of one machine and measuring setup."""
        statement = _insert(self.engine)(profiles).values(
            **identity, profile=json.dumps(profile), created_at=time.time()
        )
        statement = statement.on_conflict_do_update(
            index_elements=["fingerprint_id", "batch_size", "threads", "memory_format", "device"],
            set_={"profile": statement.excluded.profile, "created_at": statement.excluded.created_at},
        )
        with self.engine.begin() as connection:
            connection.execute(statement)

    def get_profile(self, identity: dict) -> dict | None:
        """The saved profile for this machine and setup, or None."""
        query = select(profiles.c.profile)
        for name, value in identity.items():
            query = query.where(profiles.c[name] == value)
        with self.engine.connect() as connection:
            text = connection.execute(query).scalar()
        return json.loads(text) if text else None

    def save_result(self, name: str, author: str, notes: str, page: str, query: dict, payload: dict) -> int:
        """Save a named result (one insert in its own transaction, so concurrent saves all land); its id."""
        values = {"name": name.strip(), "author": author.strip(), "notes": notes.strip()}
        if not values["name"]:
            raise ConfigError("name", name, "a non-empty name")
        for field, limit in RESULT_TEXT_LIMITS.items():
            if len(values[field]) > limit:
                raise ConfigError(field, f"{len(values[field])} characters", f"at most {limit:,} characters")
        statement = insert(results).values(
            **values, page=page, query=json.dumps(query), payload=json.dumps(payload), created_at=time.time()
        )
        with self.engine.begin() as connection:
            return int(connection.execute(statement.returning(results.c.id)).scalar_one())

    def get_result(self, result_id: int) -> dict | None:
        """A saved result (query and payload decoded), or None."""
        with self.engine.connect() as connection:
            row = connection.execute(select(results).where(results.c.id == int(result_id))).mappings().first()
        return _decoded(row) if row else None

    def list_results(self, text: str = "") -> list[dict]:
        """Saved results, newest first; those whose name, author or notes contain text (any case) if given."""
        query = select(results).order_by(results.c.id.desc())
        if text.strip():
            query = query.where(
                or_(
                    *(
                        func.lower(results.c[c]).contains(text.strip().lower(), autoescape=True)
                        for c in ("name", "author", "notes")
                    )
                )
            )
        with self.engine.connect() as connection:
            return [_decoded(r) for r in connection.execute(query).mappings()]

    def delete_result(self, result_id: int) -> bool:
        """Delete a saved result; whether it existed."""
        with self.engine.begin() as connection:
            return connection.execute(delete(results).where(results.c.id == int(result_id))).rowcount > 0

    def put_lab_run(self, row: dict) -> None:
        """Store one lab run (an existing key is kept: runs are deterministic)."""
        statement = _insert(self.engine)(lab_runs).values(**row).on_conflict_do_nothing(index_elements=["key"])
        with self.engine.begin() as connection:
            connection.execute(statement)

    def lab_run_keys(self, keys: list[str]) -> set[str]:
        """Which of these run keys the store already holds."""
        with self.engine.connect() as connection:
            return set(connection.execute(select(lab_runs.c.key).where(lab_runs.c.key.in_(keys))).scalars())

    def lab_runs_of(self, dataset: str, network_key: str, budget, code_version: str) -> list[dict]:
        """The runs (without checkpoints) of one network on one dataset under one budget and code version."""
        columns = [c for c in lab_runs.c if c.name != "checkpoint"]
        query = (
            select(*columns)
            .where(
                lab_runs.c.dataset == dataset,
                lab_runs.c.network_key == network_key,
                lab_runs.c.budget == json.dumps(asdict(budget)),
                lab_runs.c.code_version == code_version,
            )
            .order_by(lab_runs.c.seed)
        )
        with self.engine.connect() as connection:
            return [dict(r) for r in connection.execute(query).mappings()]

    def lab_checkpoint(self, key: str) -> bytes | None:
        """The trained weights (torch state_dict bytes) of a run."""
        with self.engine.connect() as connection:
            return connection.execute(select(lab_runs.c.checkpoint).where(lab_runs.c.key == key)).scalar()

    def put_evaluation(self, kind: str, key: str, run_key: str, result: dict) -> None:
        """Store a run's evaluation of a kind (EVALUATIONS); an existing key is kept: evaluations are deterministic."""
        statement = (
            _insert(self.engine)(EVALUATIONS[kind])
            .values(
                key=key,
                run_key=run_key,
                result=json.dumps(result),
                created_at=time.time(),
            )
            .on_conflict_do_nothing(index_elements=["key"])
        )
        with self.engine.begin() as connection:
            connection.execute(statement)

    def evaluations(self, kind: str, keys: list[str]) -> dict[str, dict]:
        """The stored evaluations of a kind among these keys."""
        table = EVALUATIONS[kind]
        query = select(table.c.key, table.c.result).where(table.c.key.in_(keys))
        with self.engine.connect() as connection:
            return {key: json.loads(text) for key, text in connection.execute(query)}


@cache
def _script() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def _revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


@contextmanager
def _migration_lock(engine: Engine) -> Iterator[Connection]:
    """A connection in a transaction that excludes other migrating processes until it ends."""
    if engine.dialect.name == "sqlite":
        # pysqlite would not open a transaction before DDL: take SQLite's write lock explicitly, at BEGIN.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
            try:
                yield connection
            except BaseException:
                connection.exec_driver_sql("ROLLBACK")
                raise
            connection.exec_driver_sql("COMMIT")
        return
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
        yield connection


def _shown(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):  # unparseable: no part of it can be told apart from a password
        return "<not a URL>"


def _decoded(row) -> dict:
    return {**dict(row), "query": json.loads(row["query"]), "payload": json.loads(row["payload"])}


def _insert(engine: Engine) -> Callable[[Table], Any]:
    if engine.dialect.name == "postgresql":
        return postgresql.insert
    if engine.dialect.name == "sqlite":
        return sqlite.insert
    raise ConfigError("store", engine.url.render_as_string(hide_password=True), "a SQLite or PostgreSQL URL")


def _engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 60})

        @event.listens_for(engine, "connect")
        def _wal(dbapi_connection, _record) -> None:
            # WAL lets readers work beside a writer; the timeout makes writers queue instead of failing.
            dbapi_connection.execute("PRAGMA journal_mode=WAL")
            dbapi_connection.execute("PRAGMA busy_timeout=60000")

        return engine
    return create_engine(url, pool_pre_ping=True)
