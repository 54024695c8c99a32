"""live operation: why a KPI is flagged, why an incident was rolled back, and an incident version counter

Revision ID: 0004_live_operation
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa

revision = "0004_live_operation"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("kpi", schema=None) as batch_op:
        # "moving_away" | "not_reported" while flagged_at is set; "" otherwise.
        batch_op.add_column(sa.Column("flag_reason", sa.String(length=32), nullable=False, server_default=""))
    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.add_column(sa.Column("rollback_reason", sa.String(), nullable=False, server_default=""))
        # Bumped on every change: concurrent clicks change an incident once; card updates get unique keys.
        batch_op.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))


def downgrade() -> None:
    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.drop_column("version")
        batch_op.drop_column("rollback_reason")
    with op.batch_alter_table("kpi", schema=None) as batch_op:
        batch_op.drop_column("flag_reason")
