"""similar ideas: each use case's meaning vector, and proposers' answers to similar-idea notices

Revision ID: i17_similar_vectors
Revises: i16_readiness_drops
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel

import storage.types

revision = "i17_similar_vectors"
down_revision = "i16_readiness_drops"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "use_case_vector",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("use_case_id", sa.Integer(), nullable=False),
        sa.Column("model", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("dim", sa.Integer(), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=False),
        sa.Column("text_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("computed_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["use_case_id"], ["use_case.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("use_case_id"),
    )
    op.create_index("ix_use_case_vector_model", "use_case_vector", ["model", "id"])
    op.create_table(
        "similar_answer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("intake_key", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("matched_id", sa.Integer(), nullable=False),
        sa.Column("notice", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("answer", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("model", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["matched_id"], ["use_case.id"]),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_similar_answer_intake", "similar_answer", ["intake_key", "matched_id"])


def downgrade() -> None:
    op.drop_index("ix_similar_answer_intake", table_name="similar_answer")
    op.drop_table("similar_answer")
    op.drop_index("ix_use_case_vector_model", table_name="use_case_vector")
    op.drop_table("use_case_vector")
