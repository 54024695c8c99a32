"""review groups managed in chat: settings stored over the policy file

Revision ID: igroups_settings
Revises: 0005_live_operation_2
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel
from sqlalchemy.dialects import postgresql

import storage.types

revision = "igroups_settings"
down_revision = "0005_live_operation_2"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "review_group_setting",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("members", JSON, nullable=True),
        sa.Column("channels", JSON, nullable=True),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("source_id", sqlmodel.sql.sqltypes.AutoString(length=256), nullable=False),
        sa.Column("source_label", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("source_ref", JSON, nullable=False),
        sa.Column("synced_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["updated_by_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )


def downgrade() -> None:
    op.drop_table("review_group_setting")
