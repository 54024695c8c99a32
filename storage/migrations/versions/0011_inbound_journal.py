"""inbound journal: every accepted platform request is written before its ack (replaces processed_event)

Revision ID: i15_inbound_journal
Revises: i17_similar_vectors
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

import storage.types

revision = "i15_inbound_journal"
down_revision = "i17_similar_vectors"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "inbound_entry",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("event_id", sa.String(length=256), nullable=False),
        sa.Column("content_type", sa.String(length=64), nullable=False, server_default=""),
        sa.Column("body", sa.Text(), nullable=False, server_default=""),
        sa.Column("received_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("lease_until", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("done_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=False, server_default=""),
        sa.Column("reply", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=True),
        sa.Column("reply_state_id", sa.Integer(), nullable=True),
        sa.Column("replied_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("platform", "event_id", name="uq_inbound_entry"),
    )
    op.create_index("ix_inbound_entry_open", "inbound_entry", ["done_at", "lease_until"], unique=False)
    op.create_index("ix_inbound_entry_unsent", "inbound_entry", ["replied_at", "lease_until"], unique=False)
    # What was processed before stays recognised: a platform retry arriving across the upgrade changes nothing.
    op.execute("INSERT INTO inbound_entry (platform, event_id, content_type, body, received_at, attempts, done_at,"
               " outcome) SELECT platform, event_id, '', '', at, 1, at, 'done' FROM processed_event")
    op.drop_index("ix_processed_event_at", table_name="processed_event")
    op.drop_table("processed_event")


def downgrade() -> None:
    op.create_table(
        "processed_event",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("event_id", sa.String(length=256), nullable=False),
        sa.Column("at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("platform", "event_id", name="uq_processed_event"),
    )
    op.create_index("ix_processed_event_at", "processed_event", ["at"], unique=False)
    op.execute("INSERT INTO processed_event (platform, event_id, at) SELECT platform, event_id, "
               "COALESCE(done_at, received_at) FROM inbound_entry WHERE done_at IS NOT NULL")
    op.drop_index("ix_inbound_entry_unsent", table_name="inbound_entry")
    op.drop_index("ix_inbound_entry_open", table_name="inbound_entry")
    op.drop_table("inbound_entry")
