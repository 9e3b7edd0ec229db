"""The store under contention and faults: racing openers, a full database, a lost connection, a read-only file."""

import multiprocessing
import os
import runpy
import shutil
import sqlite3
import stat
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from apptest import open_app, open_share_box
from sqlalchemy import create_engine, event, func, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import Pool
from store_helpers import fresh_database, postgres_server

from scaling_core.core.errors import ConfigError, StoreError
from scaling_core.storage.store import EVALUATIONS, Store, alembic_config, lab_runs, measurements, metadata, profiles
from scaling_core.storage.store import results as results_table

ROOT = Path(__file__).resolve().parent.parent
HEAD = ScriptDirectory.from_config(alembic_config()).get_current_head()
PASSWORD = "S3cretPW-faults"  # the role the test makes logs in with it; every message must mask it
NOBODY = 65534
BIG = "x" * 200_000  # far more than the pages a full database has left


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A new, empty PostgreSQL database (its URL with a password), dropped after the test."""
    with fresh_database("scaling_lab_faults", PASSWORD) as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_url(request, tmp_path) -> str:
    """An empty database: a new SQLite file or a new PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.sqlite'}"
    return request.getfixturevalue("postgres_url")


def open_after(barrier, url: str, outcomes) -> None:
    """In a racing process: wait for all the others, then open the store; report how it went."""
    barrier.wait(timeout=60)
    try:
        Store(url)
        outcomes.put("opened")
    except Exception as exc:
        outcomes.put(f"{type(exc).__name__}: {exc}")


def test_eight_processes_opening_a_fresh_store_at_once_all_succeed(fresh_url):
    context = multiprocessing.get_context("fork")  # the store's modules are loaded: the eight start in step
    barrier, outcomes = context.Barrier(8), context.Queue()
    openers = [context.Process(target=open_after, args=(barrier, fresh_url, outcomes)) for _ in range(8)]
    for opener in openers:
        opener.start()
    reported = [outcomes.get(timeout=240) for _ in openers]
    for opener in openers:
        opener.join(timeout=60)
    assert reported == ["opened"] * 8  # no duplicate table, no "reachable URL" for a busy one
    engine = create_engine(fresh_url)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalars().all() == [HEAD]
        assert set(inspect(connection).get_table_names()) == {*metadata.tables, "alembic_version"}
    engine.dispose()


MEASUREMENT = {
    "key": "m" * 64,
    "network": "{}",
    "label": "b0",
    "head": "classification",
    "fingerprint_id": "f" * 16,
    "batch_size": 1,
    "threads": 1,
    "memory_format": "contiguous",
    "device": "cpu",
    **dict.fromkeys(("best_ms", "median_ms", "p10_ms", "p90_ms", "measured_at"), 1.5),
    **dict.fromkeys(("runs", "blocks", "macs", "params", "activations"), 3),
}
LAB_RUN = {
    "key": "r" * 64,
    "dataset": "digits",
    "network_key": "n" * 16,
    "seed": 0,
    "budget": "{}",
    "code_version": "v" * 16,
    "fingerprint_id": "f" * 16,
    "accuracy": 0.5,
    "curve": "[]",
    "train_time_s": 1.0,
    "created_at": 1.0,
}
IDENTITY = {"fingerprint_id": "f" * 16, "batch_size": 1, "threads": 1, "memory_format": "contiguous", "device": "cpu"}

# Each save the pages and the CLI make, with the table it writes; `big` is the size of what it stores.
WRITES: dict[str, tuple[object, Callable[[Store, str], object]]] = {
    "save_result": (results_table, lambda s, big: s.save_result("r", "ana", "", "explorer", {}, {"big": big})),
    "put_measurement": (measurements, lambda s, big: s.put_measurement({**MEASUREMENT, "fingerprint": big})),
    "put_profile": (profiles, lambda s, big: s.put_profile(IDENTITY, {"big": big})),
    "put_lab_run": (lab_runs, lambda s, big: s.put_lab_run({**LAB_RUN, "checkpoint": big.encode()})),
    "put_evaluation": (EVALUATIONS["robustness"], lambda s, big: s.put_evaluation("robustness", "e", "r", {"b": big})),
}


def rows(store: Store, table) -> int:
    with store.engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(table)).scalar_one()


def assert_one_clear_line(error: pytest.ExceptionInfo, store: Store, reason: str) -> None:
    message = str(error.value)
    assert isinstance(error.value, ConfigError)  # what the CLI (exit 2) and the pages (st.error) already show
    assert "\n" not in message and reason in message and "nothing was saved" in message
    assert message.startswith(f"store {store.url.replace(PASSWORD, '***')}:") and PASSWORD not in message


@pytest.mark.parametrize("write", WRITES)
def test_a_full_database_is_one_clear_line_and_nothing_is_half_written(write, tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'store.sqlite'}")
    table, save = WRITES[write]
    with store.engine.connect() as connection:
        pages = connection.exec_driver_sql("PRAGMA page_count").scalar_one()

    def full(dbapi_connection, _record) -> None:  # SQLite's own SQLITE_FULL, as on a full disk
        dbapi_connection.execute(f"PRAGMA max_page_count = {pages + 4}")

    store.engine.dispose()
    event.listen(store.engine, "connect", full)
    with pytest.raises(StoreError) as error:
        save(store, BIG)
    assert_one_clear_line(error, store, "database or disk is full")
    assert rows(store, table) == 0
    save(store, "small")  # the same store takes what fits: nothing of the failed write is left in the way
    assert rows(store, table) == 1


def test_a_connection_lost_during_each_save_is_one_clear_line_and_nothing_is_written(postgres_url):
    store = Store(postgres_url)
    admin = create_engine(make_url(postgres_server()), isolation_level="AUTOCOMMIT")

    def cut(connection, _cursor, statement: str, *_args) -> None:  # the row is written, the commit cannot be
        if statement.lstrip().upper().startswith("INSERT"):
            backend = connection.connection.dbapi_connection.info.backend_pid
            with admin.connect() as server:
                server.execute(text("SELECT pg_terminate_backend(:pid, 10000)"), {"pid": backend})

    try:
        for write, (table, save) in WRITES.items():
            event.listen(store.engine, "after_cursor_execute", cut)
            with pytest.raises(StoreError) as error:
                save(store, "small")
            event.remove(store.engine, "after_cursor_execute", cut)
            assert_one_clear_line(error, store, "terminating connection due to administrator command")
            assert rows(store, table) == 0, write
            save(store, "small")  # the pool replaces the lost connection: the next save lands
            assert rows(store, table) == 1, write
    finally:
        admin.dispose()
        store.engine.dispose()


@pytest.mark.slow  # the app headless (10 s); the pages catch a StoreError as the ConfigError it is
def test_a_save_into_a_full_store_is_shown_on_the_page_which_goes_on(store):
    with store.engine.connect() as connection:
        pages = connection.exec_driver_sql("PRAGMA page_count").scalar_one()
    path = make_url(store.url).database

    def full(dbapi_connection, _record) -> None:  # the app opens its own engine on this file: limit every one
        if isinstance(dbapi_connection, sqlite3.Connection):
            database = dbapi_connection.execute("PRAGMA database_list").fetchone()[2]
            if database and os.path.samefile(database, path):
                dbapi_connection.execute(f"PRAGMA max_page_count = {pages}")

    store.engine.dispose()
    event.listen(Pool, "connect", full)
    try:
        at = open_share_box(open_app())
        at.text_input(key="save_name").input("kept?")
        at.text_area(key="save_notes").input("n" * 9_000)  # more than the free space of the results table's page
        next(b for b in at.button if b.label == "Save this result").click().run()
    finally:
        event.remove(Pool, "connect", full)
    assert not at.exception
    assert [e.value for e in at.error if "database or disk is full" in e.value and "nothing was saved" in e.value]
    assert not at.success and at.metric  # no "Saved as", and the page still shows its figures
    assert store.list_results() == []


@pytest.fixture
def shared_folder() -> Iterator[Path]:
    """A folder another user can reach (pytest's tmp_path is private to its user); write access restored after."""
    folder = Path(tempfile.mkdtemp(prefix="scaling-lab-read-only-"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        for path in (folder, *folder.iterdir()):
            path.chmod(stat.S_IRWXU)
        shutil.rmtree(folder)


def as_a_reader(check: Callable[[], object]) -> object:
    """check() as a user without write access: this user (chmod binds), or for root, in a child run as nobody."""
    if os.geteuid() != 0:
        return check()
    reader, writer = multiprocessing.get_context("fork").Pipe(duplex=False)

    def as_nobody() -> None:
        os.setgroups([])
        os.setgid(NOBODY)
        os.setuid(NOBODY)
        try:
            writer.send(("returned", check()))
        except Exception as exc:
            writer.send(("raised", f"{type(exc).__name__}: {exc}"))

    child = multiprocessing.get_context("fork").Process(target=as_nobody)
    child.start()
    outcome, value = reader.recv()
    child.join(timeout=60)
    assert outcome == "returned", value
    return value


def make_read_only(folder: Path, *, with_folder: bool) -> None:
    """The store file read-only to all; its folder too, or else open to all (so only the file stops a writer)."""
    for path in folder.iterdir():
        path.chmod(0o444)
    folder.chmod(0o555 if with_folder else 0o777)


def browse_and_try_to_save(url: str) -> tuple[list[str], str]:
    """What a visitor of a read-only store sees: the saved names, and what a save says."""
    store = Store(url)
    names = [r["name"] for r in store.list_results()]
    try:
        store.save_result("another", "", "", "explorer", {}, {})
    except StoreError as exc:
        return names, str(exc)
    return names, "saved"


@pytest.mark.parametrize("with_folder", [True, False], ids=["file and folder", "file only"])
def test_a_read_only_store_can_be_browsed_and_a_save_is_one_clear_line(shared_folder, with_folder):
    url = f"sqlite:///{shared_folder / 'store.sqlite'}"
    writer = Store(url)
    writer.save_result("shared", "ana", "", "explorer", {}, {"phi": 1.0})
    writer.engine.dispose()  # its last connection closed: the WAL is folded into the file and -wal, -shm removed
    assert sorted(p.name for p in shared_folder.iterdir()) == ["store.sqlite"]
    make_read_only(shared_folder, with_folder=with_folder)

    names, saving = as_a_reader(lambda: browse_and_try_to_save(url))
    assert names == ["shared"]
    assert saving.startswith(f"store {url}: nothing was saved") and "readonly database" in saving
    assert "\n" not in saving


def test_a_read_only_store_that_needs_a_migration_says_so(shared_folder):
    url = f"sqlite:///{shared_folder / 'store.sqlite'}"
    old = runpy.run_path(str(ROOT / "tests" / "fixtures" / "store_v0_schema.py"))["metadata"]
    engine = create_engine(url)
    old.create_all(engine)  # a store made before migrations: it needs one before this version may read it
    engine.dispose()
    make_read_only(shared_folder, with_folder=True)

    def open_it() -> str:
        try:
            Store(url)
        except StoreError as exc:
            return str(exc)
        return "opened"

    message = as_a_reader(open_it)
    assert message.startswith(f"store {url}: it needs migrating from revision (none) to {HEAD}")
    assert "readonly database" in message and message.endswith("must be opened once with write access")
