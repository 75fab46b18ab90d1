"""idempotency_keys: a write a client retries with the same Idempotency-Key is done once

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 18:30:00.000000

A client that sent a write and never heard back (a dropped connection, a 503 while the database
restarted) may send it again with the same ``Idempotency-Key`` header. The key is stored in the same
transaction as the write, with a keyed hash of the request and the answer given: a retry of the same
request gets the same answer, and nothing is written twice; the same key with another request is refused.
Keys are kept for a day.
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "idempotency_keys",
        sa.Column("scope", sa.String(64), nullable=False, comment="what the key is for, e.g. submission:help"),
        sa.Column("key", sa.String(255), nullable=False, comment="the client's Idempotency-Key"),
        sa.Column("request_hash", sa.String(64), nullable=False, comment="HMAC-SHA256 of the request (hex)"),
        sa.Column("status", sa.Integer(), nullable=True, comment="the HTTP status answered; NULL until done"),
        sa.Column("response", sa.dialects.postgresql.JSONB(), nullable=True, comment="what was answered"),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("scope", "key", name="pk_idempotency_keys"),
    )
    op.create_index("ix_idempotency_keys_created_at", "idempotency_keys", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_idempotency_keys_created_at", table_name="idempotency_keys")
    op.drop_table("idempotency_keys")
