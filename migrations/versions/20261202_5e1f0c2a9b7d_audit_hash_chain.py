"""Audit log as a hash chain: prev_hash and hash on every entry, and the chain's head

Revision ID: 5e1f0c2a9b7d
Revises: a644dff9b58a
Create Date: 2026-12-02 00:50:00.000000
"""

import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import hub.db

revision: str = "5e1f0c2a9b7d"
down_revision: str | None = "a644dff9b58a"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GENESIS = "0" * 64
_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
_LOG = sa.table(
    "audit_log",
    sa.column("id", sa.BigInteger()),
    sa.column("at", hub.db.UTCDateTime()),
    sa.column("actor_sub", sa.String()),
    sa.column("actor_role", sa.String()),
    sa.column("actor", _JSON),
    sa.column("operation", sa.String()),
    sa.column("target", sa.String()),
    sa.column("outcome", sa.String()),
    sa.column("correlation_id", sa.String()),
    sa.column("detail", _JSON),
    sa.column("prev_hash", sa.String()),
    sa.column("hash", sa.String()),
)


def _hash(row: Any, prev_hash: str) -> str:
    """The same encoding as ``hub.audit.chain.entry_hash`` (frozen here as of this revision)."""
    at = row.at if row.at.tzinfo else row.at.replace(tzinfo=dt.UTC)
    fields = [
        row.id,
        at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        row.actor_sub,
        row.actor_role,
        row.actor,
        row.operation,
        row.target,
        row.outcome,
        row.correlation_id,
        row.detail,
        prev_hash,
    ]
    encoded = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(encoded.encode()).hexdigest()


def upgrade() -> None:
    op.create_table(
        "audit_chain",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("last_id", sa.BigInteger(), nullable=False),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_chain")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("hash", sa.String(length=64), nullable=True))
    # The entries written so far are chained in id order, the way new ones will be.
    bind = op.get_bind()
    prev_hash, last_id = GENESIS, 0
    while True:
        rows = bind.execute(
            sa.select(_LOG).where(_LOG.c.id > last_id).order_by(_LOG.c.id).limit(2000)
        ).all()
        for row in rows:
            digest = _hash(row, prev_hash)
            bind.execute(
                _LOG.update().where(_LOG.c.id == row.id).values(prev_hash=prev_hash, hash=digest)
            )
            prev_hash, last_id = digest, row.id
        if len(rows) < 2000:
            break
    bind.execute(
        sa.text("INSERT INTO audit_chain (id, last_id, last_hash) VALUES (1, :id, :hash)"),
        {"id": last_id, "hash": prev_hash},
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.alter_column("prev_hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column("hash", existing_type=sa.String(length=64), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_column("hash")
        batch_op.drop_column("prev_hash")
    op.drop_table("audit_chain")
