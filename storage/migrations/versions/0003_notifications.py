"""notifications: reminder stamps and the indexes that keep every sweep on its due rows

Revision ID: 0003_notifications
Revises: 0001

Each reminder sweep reads an index range on its due column, so its cost follows the due rows, not the table:
- condition: next_reminder_at (the next chase; NULL until the first) on (status, next_reminder_at, due_date);
- scorecard: next_reminder_at on (status, next_reminder_at, last_answer_at);
- use_case: limbo_next_reminder_at for pilots past their exit date on
  (stage, status, limbo_next_reminder_at, pilot_exit_date);
- conversation_state: abandoned intakes on (flow, status, nudged_at, updated_at).
"""
from alembic import op
import sqlalchemy as sa

import storage.types

revision = "0003_notifications"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("condition", sa.Column("next_reminder_at", storage.types.UTCDateTime(timezone=True), nullable=True))
    op.create_index("ix_condition_remind", "condition", ["status", "next_reminder_at", "due_date"])
    op.add_column("scorecard", sa.Column("next_reminder_at", storage.types.UTCDateTime(timezone=True), nullable=True))
    op.create_index("ix_scorecard_remind", "scorecard", ["status", "next_reminder_at", "last_answer_at"])
    op.add_column("use_case", sa.Column("limbo_next_reminder_at", storage.types.UTCDateTime(timezone=True),
                                        nullable=True))
    op.create_index("ix_use_case_limbo", "use_case", ["stage", "status", "limbo_next_reminder_at", "pilot_exit_date"])
    op.create_index("ix_conversation_state_abandoned", "conversation_state", ["flow", "status", "nudged_at",
                                                                              "updated_at"])


def downgrade() -> None:
    op.drop_index("ix_conversation_state_abandoned", table_name="conversation_state")
    op.drop_index("ix_use_case_limbo", table_name="use_case")
    with op.batch_alter_table("use_case") as b:
        b.drop_column("limbo_next_reminder_at")
    op.drop_index("ix_scorecard_remind", table_name="scorecard")
    with op.batch_alter_table("scorecard") as b:
        b.drop_column("next_reminder_at")
    op.drop_index("ix_condition_remind", table_name="condition")
    with op.batch_alter_table("condition") as b:
        b.drop_column("next_reminder_at")
