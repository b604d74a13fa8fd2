"""A case's dispatches are found through the unique key (case, department), without an index
of their own on the case: one index fewer to update per dispatch written

Revision ID: a9c4e1f27b35
Revises: e41b7c93d2a8
Create Date: 2026-12-03 09:20:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "a9c4e1f27b35"
down_revision: str | None = "e41b7c93d2a8"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_case_dispatch_case_id", table_name="case_dispatch")


def downgrade() -> None:
    op.create_index("ix_case_dispatch_case_id", "case_dispatch", ["case_id"], unique=False)
