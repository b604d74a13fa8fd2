"""Themes of the month match each new case once, by a claim on the case, not an id cursor

Revision ID: e41b7c93d2a8
Revises: c7d2e9a41f60
Create Date: 2026-12-02 06:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import hub.db

revision: str = "e41b7c93d2a8"
down_revision: str | None = "c7d2e9a41f60"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNMATCHED = {
    "postgresql_where": sa.text("themes_matched IS false"),
    "sqlite_where": sa.text("themes_matched IS 0"),
}


# Columns are added and dropped in place (SQLite 3.35+ drops a column without rebuilding the
# table; a rebuild would cascade-delete the rows that reference the old one).


def upgrade() -> None:
    op.add_column(
        "case",
        sa.Column("themes_matched", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.create_index("ix_case_themes_unmatched", "case", ["id"], unique=False, **UNMATCHED)
    # The cursors' work stands: cases at or below every theme's cursor were matched (no theme:
    # nothing to match them against).
    op.execute(
        'UPDATE "case" SET themes_matched = true WHERE id <= coalesce('
        '(SELECT min(matched_through) FROM monthly_theme), (SELECT max(id) FROM "case"))'
    )
    op.add_column(
        "monthly_theme",
        sa.Column("settled_at", hub.db.UTCDateTime(timezone=True), nullable=True),
    )
    op.execute("UPDATE monthly_theme SET settled_at = created_at")
    op.execute("ALTER TABLE monthly_theme DROP COLUMN matched_through")


def downgrade() -> None:
    op.add_column(
        "monthly_theme",
        sa.Column("matched_through", sa.BigInteger(), server_default="0", nullable=False),
    )
    op.execute(
        "UPDATE monthly_theme SET matched_through = coalesce("
        '(SELECT min(id) - 1 FROM "case" WHERE themes_matched IS false), '
        '(SELECT max(id) FROM "case"), 0)'
    )
    op.execute("ALTER TABLE monthly_theme DROP COLUMN settled_at")
    op.drop_index("ix_case_themes_unmatched", table_name="case", **UNMATCHED)
    op.execute('ALTER TABLE "case" DROP COLUMN themes_matched')
