"""Baseline: the store's tables as metadata.create_all made them before migrations (commit 09cbdb3).

Revision ID: 0001
Revises:
Create Date: 2026-11-29

A store made before migrations has no alembic_version table; this revision adopts it by creating
only the tables it lacks (a store last opened by an older version may predate lab runs or some
evaluation kinds), so its rows are kept and later revisions apply to it as to a fresh store.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

EVALUATION_KINDS = ("robustness", "deployment", "representation", "distillation")


def upgrade() -> None:
    """Create each baseline table (with its indexes) that the database does not have yet."""
    existing = set(sa.inspect(op.get_bind()).get_table_names())

    def create(name: str, *columns: sa.Column | sa.UniqueConstraint, indexed: tuple[str, ...] = ()) -> None:
        if name in existing:
            return
        op.create_table(name, *columns)
        for column in indexed:
            op.create_index(f"ix_{name}_{column}", name, [column])

    create(
        "measurements",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(64), nullable=False, unique=True),
        sa.Column("network", sa.Text, nullable=False),
        sa.Column("label", sa.Text, nullable=False),
        sa.Column("head", sa.String(32), nullable=False),
        sa.Column("fingerprint_id", sa.String(16), nullable=False),
        sa.Column("fingerprint", sa.Text, nullable=False),
        sa.Column("batch_size", sa.Integer, nullable=False),
        sa.Column("threads", sa.Integer, nullable=False),
        sa.Column("memory_format", sa.String(16), nullable=False),
        sa.Column("device", sa.String(8), nullable=False),
        sa.Column("best_ms", sa.Float, nullable=False),
        sa.Column("median_ms", sa.Float, nullable=False),
        sa.Column("p10_ms", sa.Float, nullable=False),
        sa.Column("p90_ms", sa.Float, nullable=False),
        sa.Column("runs", sa.Integer, nullable=False),
        sa.Column("blocks", sa.Integer, nullable=False),
        sa.Column("macs", sa.BigInteger, nullable=False),
        sa.Column("params", sa.BigInteger, nullable=False),
        sa.Column("activations", sa.BigInteger, nullable=False),
        sa.Column("measured_at", sa.Float, nullable=False),
        indexed=("fingerprint_id",),
    )
    create(
        "latency_profiles",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("fingerprint_id", sa.String(16), nullable=False),
        sa.Column("batch_size", sa.Integer, nullable=False),
        sa.Column("threads", sa.Integer, nullable=False),
        sa.Column("memory_format", sa.String(16), nullable=False),
        sa.Column("device", sa.String(8), nullable=False),
        sa.Column("profile", sa.Text, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.UniqueConstraint("fingerprint_id", "batch_size", "threads", "memory_format", "device", name="one_profile"),
    )
    create(
        "results",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("author", sa.Text, nullable=False),
        sa.Column("notes", sa.Text, nullable=False),
        sa.Column("page", sa.String(32), nullable=False),
        sa.Column("query", sa.Text, nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    create(
        "lab_runs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(64), nullable=False, unique=True),
        sa.Column("dataset", sa.String(32), nullable=False),
        sa.Column("network_key", sa.String(16), nullable=False),
        sa.Column("seed", sa.Integer, nullable=False),
        sa.Column("budget", sa.Text, nullable=False),
        sa.Column("code_version", sa.String(16), nullable=False),
        sa.Column("fingerprint_id", sa.String(16), nullable=False),
        sa.Column("accuracy", sa.Float, nullable=False),
        sa.Column("curve", sa.Text, nullable=False),
        sa.Column("train_time_s", sa.Float, nullable=False),
        sa.Column("checkpoint", sa.LargeBinary, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        indexed=("network_key",),
    )
    for kind in EVALUATION_KINDS:
        create(
            f"{kind}_runs",
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("key", sa.String(64), nullable=False, unique=True),
            sa.Column("run_key", sa.String(64), nullable=False),
            sa.Column("result", sa.Text, nullable=False),
            sa.Column("created_at", sa.Float, nullable=False),
            indexed=("run_key",),
        )


def downgrade() -> None:
    """Drop every baseline table (and its rows)."""
    for name in ("measurements", "latency_profiles", "results", "lab_runs", *(f"{k}_runs" for k in EVALUATION_KINDS)):
        op.drop_table(name)
