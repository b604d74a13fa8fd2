"""Indexes for every filter and order of the case and whistle lists; trigram text search

Revision ID: b3f1c2d4e5a6
Revises: 5e1f0c2a9b7d
Create Date: 2026-12-02 00:27:27.931023
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b3f1c2d4e5a6"
down_revision: str | None = "5e1f0c2a9b7d"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NEWEST = ["reported_at", "id"]
# (name, leading column) of the case indexes in newest-first order.
CASE_NEWEST = [
    ("ix_case_category_newest", "category_code"),
    ("ix_case_community_newest", "community_code"),
    ("ix_case_district_newest", "district_code"),
    ("ix_case_grid_newest", "grid_code"),
    ("ix_case_source_newest", "source"),
    ("ix_case_status_newest", "status"),
    ("ix_case_subdistrict_newest", "subdistrict_code"),
]
# The indexes these replace (name, columns).
CASE_BEFORE = [
    ("ix_case_category_reported", ["category_code", "reported_at"]),
    ("ix_case_district_reported", ["district_code", "reported_at"]),
    ("ix_case_grid_code", ["grid_code"]),
    ("ix_case_reported_at", ["reported_at"]),
    ("ix_case_status", ["status"]),
    ("ix_case_subdistrict_reported", ["subdistrict_code", "reported_at"]),
]
WHISTLE_NEWEST = [
    ("ix_whistle_kind_newest", ["kind", "opened_at", "id"]),
    ("ix_whistle_newest", ["opened_at", "id"]),
    ("ix_whistle_scope_newest", ["scope", "opened_at", "id"]),
    ("ix_whistle_status_newest", ["status", "opened_at", "id"]),
]
TEXT_SEARCHED = ["title", "description", "address"]


def _due(flag: str, done: str) -> dict[str, sa.TextClause]:
    return {
        "postgresql_where": sa.text(f"{flag} IS false AND {done} IS NULL AND closed_at IS NULL"),
        "sqlite_where": sa.text(f"{flag} IS 0 AND {done} IS NULL AND closed_at IS NULL"),
    }


OVERDUE = {
    "postgresql_where": sa.text("respond_overdue OR resolve_overdue"),
    "sqlite_where": sa.text("respond_overdue = 1 OR resolve_overdue = 1"),
}


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    for name, _columns in CASE_BEFORE:
        op.drop_index(name, table_name="case")
    op.create_index("ix_case_newest", "case", NEWEST)
    for name, column in CASE_NEWEST:
        op.create_index(name, "case", [column, *NEWEST])
    op.create_index("ix_case_overdue_newest", "case", NEWEST, **OVERDUE)
    op.create_index(
        "ix_case_respond_due", "case", ["respond_by"], **_due("respond_overdue", "responded_at")
    )
    op.create_index(
        "ix_case_resolve_due", "case", ["resolve_by"], **_due("resolve_overdue", "resolved_at")
    )
    if _postgres():  # SQLite has no trigram index: its text search scans newest first
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for column in TEXT_SEARCHED:
            op.create_index(
                f"ix_case_{column}_trgm",
                "case",
                [column],
                postgresql_using="gin",
                postgresql_ops={column: "gin_trgm_ops"},
            )
    op.create_index("ix_webhook_delivery_newest", "webhook_delivery", ["webhook_id", "id"])
    op.drop_index("ix_whistle_status_opened", table_name="whistle")
    for name, columns in WHISTLE_NEWEST:
        op.create_index(name, "whistle", columns)


def downgrade() -> None:
    for name, _columns in WHISTLE_NEWEST:
        op.drop_index(name, table_name="whistle")
    op.create_index("ix_whistle_status_opened", "whistle", ["status", "opened_at"])
    op.drop_index("ix_webhook_delivery_newest", table_name="webhook_delivery")
    if _postgres():
        for column in TEXT_SEARCHED:
            op.drop_index(f"ix_case_{column}_trgm", table_name="case")
        op.execute("DROP EXTENSION IF EXISTS pg_trgm")
    for name in ("ix_case_resolve_due", "ix_case_respond_due", "ix_case_overdue_newest"):
        op.drop_index(name, table_name="case")
    for name, _column in CASE_NEWEST:
        op.drop_index(name, table_name="case")
    op.drop_index("ix_case_newest", table_name="case")
    for name, columns in CASE_BEFORE:
        op.create_index(name, "case", columns)
