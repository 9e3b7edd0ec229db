"""Alembic environment of the results store, run in code by scaling_core.storage.store.upgrade (no alembic.ini).

The caller passes an open connection in ``config.attributes["connection"]`` (see
``scaling_core.storage.store.alembic_config``); the migrations run inside the caller's transaction,
which holds the store's migration lock.

To add a revision after changing a Table in store.py, open a scratch store made by the code before
the change (so it is at the current head) and let Alembic compare it with the new models::

    from alembic import command
    from scaling_core.storage.store import Store, alembic_config

    store = Store("sqlite:///scratch.sqlite")  # made before the change: at the current head
    with store.engine.begin() as connection:
        command.revision(alembic_config(connection), "add x to y", autogenerate=True, rev_id="0002")

(or copy versions/0001_baseline.py and write the operations by hand). Review the new file in
versions/: SQLite alters columns through ``op.batch_alter_table``, which autogenerate renders here;
a new NOT NULL column needs a server_default or a backfill so existing rows survive. Never edit a
revision that has shipped: teammates' stores already ran it. tests/test_store_migrations.py fails
until the migrated schema equals store.metadata.
"""

from alembic import context

from scaling_core.storage.store import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run the store's migrations through scaling_core.storage.store (alembic_config(connection))")
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite has no ALTER COLUMN: batch copies the table
)
with context.begin_transaction():
    context.run_migrations()
