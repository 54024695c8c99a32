"""live operation 2: a use case's scope limit (the "limit" rollback after an incident)

Revision ID: 0005_live_operation_2
Revises: 0004_live_operation
"""
from alembic import op
import sqlalchemy as sa

revision = "0005_live_operation_2"
down_revision = "0004_live_operation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("use_case", schema=None) as batch_op:
        # What the use case is limited to after an incident, with the incident and the day; "" when unlimited.
        batch_op.add_column(sa.Column("scope_limit", sa.String(), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("use_case", schema=None) as batch_op:
        batch_op.drop_column("scope_limit")
