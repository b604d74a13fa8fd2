"""A connection's run records when it finished, so a run in progress is known

Revision ID: c7d2e9a41f60
Revises: b3f1c2d4e5a6
Create Date: 2026-12-02 06:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import hub.db

revision: str = "c7d2e9a41f60"
down_revision: str | None = "b3f1c2d4e5a6"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("connection_run") as batch:
        batch.add_column(sa.Column("finished_at", hub.db.UTCDateTime(), nullable=True))
    # Runs recorded before are over: migrations run while no hub process is serving.
    op.execute("UPDATE connection_run SET finished_at = claimed_at")


def downgrade() -> None:
    with op.batch_alter_table("connection_run") as batch:
        batch.drop_column("finished_at")
