"""readiness drops: a re-score lowered readiness after a gate that applies the readiness rules

Revision ID: i16_readiness_drops
Revises: i14_absences
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
import sqlmodel

import storage.types

revision = "i16_readiness_drops"
down_revision = "i14_absences"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "readiness_drop",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("use_case_id", sa.Integer(), nullable=False),
        sa.Column("scorecard_id", sa.Integer(), nullable=False),
        sa.Column("at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("stage", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("band", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("before_total", sa.Integer(), nullable=True),
        sa.Column("before_band", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("reasons", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False),
        sa.ForeignKeyConstraint(["scorecard_id"], ["scorecard.id"]),
        sa.ForeignKeyConstraint(["use_case_id"], ["use_case.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_readiness_drop_at", "readiness_drop", ["at"], unique=False)
    op.create_index(op.f("ix_readiness_drop_use_case_id"), "readiness_drop", ["use_case_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_readiness_drop_use_case_id"), table_name="readiness_drop")
    op.drop_index("ix_readiness_drop_at", table_name="readiness_drop")
    op.drop_table("readiness_drop")
