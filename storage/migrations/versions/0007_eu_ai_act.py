"""EU AI Act: a use case's classification, role and its detail; the obligations it carries

Revision ID: i21_eu_ai_act
Revises: igroups_settings
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel
from sqlalchemy.dialects import postgresql

import storage.types

revision = "i21_eu_ai_act"
down_revision = "igroups_settings"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("use_case", schema=None) as batch_op:
        # prohibited | high_risk | transparency | minimal; "" for use cases proposed before the classification.
        batch_op.add_column(sa.Column("ai_act_class", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False,
                                      server_default=""))
        batch_op.add_column(sa.Column("ai_act_role", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False,
                                      server_default=""))
        batch_op.add_column(sa.Column("ai_act", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()),
                                                                       "postgresql"),
                                      nullable=False, server_default="{}"))
        batch_op.create_index("ix_use_case_ai_act_class", ["ai_act_class"], unique=False)
    op.create_table(
        "ai_act_obligation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("use_case_id", sa.Integer(), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("articles", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("before_leaving", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("evidence", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("closed_by_id", sa.Integer(), nullable=True),
        sa.Column("closed_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("created_at", storage.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["use_case_id"], ["use_case.id"]),
        sa.ForeignKeyConstraint(["owner_id"], ["person.id"]),
        sa.ForeignKeyConstraint(["closed_by_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("use_case_id", "key", name="uq_ai_act_obligation"),
    )
    op.create_index("ix_ai_act_obligation_use_case_id", "ai_act_obligation", ["use_case_id"], unique=False)
    op.create_index("ix_ai_act_obligation_open", "ai_act_obligation", ["status", "use_case_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_ai_act_obligation_open", table_name="ai_act_obligation")
    op.drop_index("ix_ai_act_obligation_use_case_id", table_name="ai_act_obligation")
    op.drop_table("ai_act_obligation")
    with op.batch_alter_table("use_case", schema=None) as batch_op:
        batch_op.drop_index("ix_use_case_ai_act_class")
        batch_op.drop_column("ai_act")
        batch_op.drop_column("ai_act_role")
        batch_op.drop_column("ai_act_class")
