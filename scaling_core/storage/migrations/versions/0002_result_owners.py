"""Saved results get an owner and soft deletion (owner, deleted_at, deleted_by).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01

The columns are nullable, so rows saved before keep working: they have no owner (saved without sign-in,
so only an admin, or the one user of an app without sign-in, may delete them) and are not deleted.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the owner and the soft-deletion columns to results."""
    with op.batch_alter_table("results") as batch:
        batch.add_column(sa.Column("owner", sa.Text, nullable=True))
        batch.add_column(sa.Column("deleted_at", sa.Float, nullable=True))
        batch.add_column(sa.Column("deleted_by", sa.Text, nullable=True))


def downgrade() -> None:
    """Drop them (deleted results come back: purge them first to keep them gone)."""
    with op.batch_alter_table("results") as batch:
        batch.drop_column("deleted_by")
        batch.drop_column("deleted_at")
        batch.drop_column("owner")
