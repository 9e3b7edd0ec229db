"""The results store: measured latencies, fitted latency profiles, saved results and lab runs, through SQLAlchemy.

SQLite by default at $XDG_DATA_HOME/compound-scaling-lab/store.sqlite (~/.local/share/… when
XDG_DATA_HOME is unset); any SQLAlchemy URL through SCALING_LAB_STORE_URL or the CLI's --store,
e.g. postgresql+psycopg://user@host/db for a team. Every write is one short transaction keyed by
a unique key, so concurrent writers (two processes, two people) never lose a row; a write that fails (full
disk, lost connection, read-only store) is a one-line StoreError and leaves nothing behind. Opening a store
brings its schema to the newest Alembic revision in migrations/ (see migrations/env.py to add one); a SQLite
file this user may not write is opened read-only, to browse.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

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
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, InternalError, OperationalError

from scaling_core.core.errors import ConfigError, StoreError
from scaling_core.storage.identity import LOCAL, Identity, identity_settings, refuse

if TYPE_CHECKING:  # alembic loads only when a store is opened: a page that never opens one does not pay for it
    from alembic.config import Config
    from alembic.script import ScriptDirectory

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
PROFILE_IDENTITY = ("fingerprint_id", "batch_size", "threads", "memory_format", "device")
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
    Column("owner", Text, nullable=True),  # the signed-in user who saved it; None: saved without sign-in
    Column("deleted_at", Float, nullable=True),  # soft deletion: restorable for the undo period, then purged
    Column("deleted_by", Text, nullable=True),
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
    from alembic.config import Config

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
            shown_url(engine.url),
            f"a store at a revision this scaling_core knows (it is at {current}, from a newer version: update)",
        )
    try:
        from alembic import command

        with _migration_lock(engine) as connection:  # a racing process waits here, then finds the work done
            command.upgrade(alembic_config(connection), "head")
    except (OperationalError, InternalError) as exc:  # read-only (a file, a mount, a replica), full or cut off
        raise StoreError(
            shown_url(engine.url),
            f"it needs migrating from revision {current or '(none)'} to {_script().get_current_head()}, which failed "
            f"and changed nothing ({_fault(exc, engine.url)}); a read-only store must be opened once with write access",
        ) from None


class Store:
    """Measurements and profiles in one database."""

    def __init__(self, url: str | None = None) -> None:
        self.url = url or default_store_url()
        try:
            self.engine: Engine = _engine(self.url)
            with self.engine.connect():
                pass
        except Exception as exc:  # SQLAlchemy raises many kinds for a bad URL or an unreachable server
            reason = scrubbed(str(exc), self.url).splitlines()[0]
            raise ConfigError(
                "store",
                shown_url(self.url),
                f"a reachable SQLAlchemy database URL ({type(exc).__name__}: {reason})",
            ) from None
        upgrade(self.engine)

    @contextmanager
    def _writing(self) -> Iterator[Connection]:
        """One write's transaction: a fault (full disk, lost connection, read-only store) rolls it back whole and is
        a one-line StoreError naming the store, not a driver's traceback."""
        try:
            with self.engine.begin() as connection:
                yield connection
        except (OperationalError, InternalError) as exc:
            raise StoreError(shown_url(self.url), f"nothing was saved ({_fault(exc, self.url)})") from None

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
        with self._writing() as connection:
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
        with self._writing() as connection:
            connection.execute(statement)

    def all_profiles(self) -> list[dict]:
        """Every saved profile with its identity (device and measuring setup), the profile decoded."""
        query = select(*(profiles.c[c] for c in PROFILE_IDENTITY), profiles.c.profile).order_by(profiles.c.id)
        with self.engine.connect() as connection:
            rows = connection.execute(query).mappings()
            return [{**{c: r[c] for c in PROFILE_IDENTITY}, "profile": json.loads(r["profile"])} for r in rows]

    def get_profile(self, identity: dict) -> dict | None:
        """The saved profile for this machine and setup, or None."""
        query = select(profiles.c.profile)
        for name, value in identity.items():
            query = query.where(profiles.c[name] == value)
        with self.engine.connect() as connection:
            text = connection.execute(query).scalar()
        return json.loads(text) if text else None

    def save_result(
        self, name: str, author: str, notes: str, page: str, query: dict, payload: dict, owner: str | None = None
    ) -> int:
        """Save a named result (one insert in its own transaction, so concurrent saves all land); its id.

        owner is the signed-in user who may delete it (None: saved without sign-in); author is only a label."""
        values = {"name": name.strip(), "author": author.strip(), "notes": notes.strip()}
        if not values["name"]:
            raise ConfigError("name", name, "a non-empty name")
        for field, limit in RESULT_TEXT_LIMITS.items():
            if len(values[field]) > limit:
                raise ConfigError(field, f"{len(values[field])} characters", f"at most {limit:,} characters")
        statement = insert(results).values(
            **values,
            page=page,
            query=json.dumps(query),
            payload=json.dumps(payload),
            created_at=time.time(),
            owner=owner,
        )
        with self._writing() as connection:
            return int(connection.execute(statement.returning(results.c.id)).scalar_one())

    def get_result(self, result_id: int) -> dict | None:
        """A saved result (query and payload decoded), or None (also when deleted)."""
        query = select(results).where(results.c.id == int(result_id), results.c.deleted_at.is_(None))
        with self.engine.connect() as connection:
            row = connection.execute(query).mappings().first()
        return _decoded(row) if row else None

    def list_results(self, text: str = "") -> list[dict]:
        """Saved results, newest first; those whose name, author or notes contain text (any case) if given."""
        query = select(results).where(results.c.deleted_at.is_(None)).order_by(results.c.id.desc())
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

    def delete_result(self, result_id: int, by: Identity = LOCAL) -> bool:
        """Delete a saved result, restorable for the undo period; whether it was there. NotAllowed unless `by` is its
        owner or an admin (Identity.may_delete). Results deleted longer ago than the period are purged meanwhile."""
        self.purge_deleted()
        live = (results.c.id == int(result_id), results.c.deleted_at.is_(None))
        return self._change_result("delete", result_id, live, by, deleted_at=time.time(), deleted_by=by.user)

    def restore_result(self, result_id: int, by: Identity = LOCAL, undo_s: float | None = None) -> bool:
        """Undo the deletion of a result (within the undo period); whether there was one to restore. NotAllowed
        unless `by` may delete it."""
        deleted = (
            results.c.id == int(result_id),
            results.c.deleted_at.is_not(None),
            results.c.deleted_at > time.time() - _undo_s(undo_s),
        )
        return self._change_result("restore", result_id, deleted, by, deleted_at=None, deleted_by=None)

    def _change_result(self, action: str, result_id: int, where: tuple, by: Identity, **values: Any) -> bool:
        """Set values on the result matching where, in one transaction, if `by` may delete it; whether one matched."""
        with self._writing() as connection:
            owner = connection.execute(select(results.c.owner).where(*where)).first()
            if owner is None:
                return False
            if not by.may_delete(owner[0]):
                raise refuse(action, f"result #{int(result_id)}", owner[0], by)
            return connection.execute(results.update().where(*where).values(**values)).rowcount > 0

    def deleted_results(self, by: Identity = LOCAL, undo_s: float | None = None) -> list[dict]:
        """The results deleted within the undo period that `by` may restore, most recently deleted first."""
        query = (
            select(results)
            .where(results.c.deleted_at > time.time() - _undo_s(undo_s))
            .order_by(results.c.deleted_at.desc())
        )
        with self.engine.connect() as connection:
            rows = connection.execute(query).mappings().all()
        return [_decoded(r) for r in rows if by.may_delete(r["owner"])]

    def purge_deleted(self, undo_s: float | None = None) -> int:
        """Remove for good the results deleted longer ago than the undo period; how many."""
        expired = delete(results).where(results.c.deleted_at <= time.time() - _undo_s(undo_s))
        with self._writing() as connection:
            return connection.execute(expired).rowcount

    def put_lab_run(self, row: dict) -> None:
        """Store one lab run (an existing key is kept: runs are deterministic)."""
        statement = _insert(self.engine)(lab_runs).values(**row).on_conflict_do_nothing(index_elements=["key"])
        with self._writing() as connection:
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
        with self._writing() as connection:
            connection.execute(statement)

    def evaluations(self, kind: str, keys: list[str]) -> dict[str, dict]:
        """The stored evaluations of a kind among these keys."""
        table = EVALUATIONS[kind]
        query = select(table.c.key, table.c.result).where(table.c.key.in_(keys))
        with self.engine.connect() as connection:
            return {key: json.loads(text) for key, text in connection.execute(query)}


@cache
def _script() -> ScriptDirectory:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config())


def _revision(connection: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

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


def shown_url(url: str | URL) -> str:
    """A store URL as people may see it (pages, messages, logs, JSON): its password and secret-named query values
    (password=, sslpassword=, …) as ***."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError, TypeError):  # unparseable: no part of it can be told apart from a password
        return "<not a URL>"
    if parsed.host and "@" in parsed.host:
        # An unescaped @ in the password: SQLAlchemy splits at the first, so the rest would read as the host.
        parsed = parsed.set(host=parsed.host.rsplit("@", 1)[1])
    query = {key: "***" if _secret_key(key) else value for key, value in parsed.query.items()}
    return parsed.set(query=query).render_as_string(hide_password=True).replace("=%2A%2A%2A", "=***")


def scrubbed(text: str, url: str | URL) -> str:
    """text (an exception's, a driver's) with the URL shown as shown_url and any secret of it replaced by ***."""
    raw = url if isinstance(url, str) else url.render_as_string(hide_password=False)
    text = text.replace(raw, shown_url(url))
    for secret in sorted(_secrets(raw), key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


def _secret_key(key: str) -> bool:
    return any(word in key.lower() for word in ("pass", "secret", "token", "key", "auth"))


def _secrets(url: str) -> set[str]:
    """The password of a URL and its secret-named query values, as written and percent-decoded."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError, TypeError):
        return set()
    found = {parsed.password or ""}
    if parsed.host and "@" in parsed.host:
        found.add(f"{parsed.password or ''}@{parsed.host.rsplit('@', 1)[0]}")
    for key, value in parsed.query.items():
        if _secret_key(key):
            found.update([value] if isinstance(value, str) else value)
    # Shorter secrets would turn ordinary words into *** all over a message.
    return {s for secret in found for s in (secret, quote(secret, safe="")) if len(s) >= 4}


def _undo_s(undo_s: float | None) -> float:
    return identity_settings().undo_s if undo_s is None else undo_s


def _decoded(row) -> dict:
    return {**dict(row), "query": json.loads(row["query"]), "payload": json.loads(row["payload"])}


def _insert(engine: Engine) -> Callable[[Table], Any]:
    if engine.dialect.name == "postgresql":
        return postgresql.insert
    if engine.dialect.name == "sqlite":
        return sqlite.insert
    raise ConfigError("store", shown_url(engine.url), "a SQLite or PostgreSQL URL")


def _fault(exc: OperationalError | InternalError, url: str | URL) -> str:
    """The driver's own first line of a database fault (the password of the URL never in it)."""
    reason = str(exc.orig).strip().splitlines()[0] if str(exc.orig).strip() else "no reason given"
    return scrubbed(f"{type(exc.orig).__name__}: {reason}", url)


def _engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = make_url(url).database
        if path and path != ":memory:" and not path.startswith("file:") and not _writable(Path(path)):
            # A teammate's file or a read-only mount: browse it without the WAL switch or a -shm file to create.
            return create_engine(url, creator=lambda: _read_only(Path(path)))
        engine = create_engine(url, connect_args={"timeout": 60})

        @event.listens_for(engine, "connect")
        def _wal(dbapi_connection, _record) -> None:
            # WAL lets readers work beside a writer; the timeout makes writers queue instead of failing.
            dbapi_connection.execute("PRAGMA journal_mode=WAL")
            dbapi_connection.execute("PRAGMA busy_timeout=60000")

        return engine
    return create_engine(url, pool_pre_ping=True)


def _writable(path: Path) -> bool:
    """Whether a SQLite file may be written here: a missing one is created; writing needs its folder too (journal)."""
    return not path.exists() or (os.access(path, os.W_OK) and os.access(path.parent, os.W_OK))


def _read_only(path: Path) -> sqlite3.Connection:
    """A read-only connection to a SQLite file; immutable when it is in WAL mode and its -shm may not be made."""
    uri = path.resolve().as_uri()
    connection = sqlite3.connect(f"{uri}?mode=ro", uri=True, timeout=60, check_same_thread=False)
    try:
        connection.execute("PRAGMA schema_version")
    except sqlite3.OperationalError:
        connection.close()
        # No -shm beside a WAL file: no one has it open, so nothing changes it while it is read as immutable.
        connection = sqlite3.connect(f"{uri}?immutable=1", uri=True, check_same_thread=False)
    return connection
