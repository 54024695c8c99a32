"""condition review index: a review's own conditions and a reviewer's drafts are read by review, on every
decision and card; without an index those reads scanned every condition of every use case

Revision ID: r22_condition_review_index
Revises: i15_inbound_journal
"""
from alembic import op

revision = "r22_condition_review_index"
down_revision = "i15_inbound_journal"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_condition_review", "condition", ["review_id", "status"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_condition_review", table_name="condition")
