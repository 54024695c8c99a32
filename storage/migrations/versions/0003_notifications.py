"""notifications: reminder stamps and the indexes that keep every sweep on its due rows

Revision ID: 0003_notifications
Revises: 0001

Each reminder sweep reads an index range on its due column, so its cost follows the due rows, not the table:
- condition: next_reminder_at (the next chase; NULL until the first) on (status, next_reminder_at, due_date);
- scorecard: next_reminder_at on (status, next_reminder_at, last_answer_at);
- use_case: limbo_next_reminder_at for pilots past their exit date on
  (stage, status, limbo_next_reminder_at, pilot_exit_date);
- conversation_state: abandoned intakes on (flow, status, nudged_at, updated_at).

And the portfolio digest's aggregates read indexes instead of tables where they can (DIGEST_INDEXES).
"""
from alembic import op
import sqlalchemy as sa

import storage.types

revision = "0003_notifications"
down_revision = "0001"
branch_labels = None
depends_on = None

DIGEST_INDEXES = [
    ("ix_stage_change_timeline", "stage_change", ["use_case_id", "at", "id", "from_stage", "to_stage"]),
    ("ix_scorecard_answer_values", "scorecard_answer", ["scorecard_id", "item_key", "value"]),
    ("ix_scorecard_answer_item", "scorecard_answer", ["item_key", "value", "scorecard_id"]),
    ("ix_use_case_stalled", "use_case", ["status", "stage_entered_at", "stage"]),
    ("ix_use_case_value", "use_case", ["value_reached_at", "created_at"]),
    ("ix_review_open_due", "review_request", ["status", "paused_at", "due_at", "group_key"]),
    ("ix_review_group", "review_request", ["group_key", "status", "due_at"]),
    ("ix_review_escalated", "review_request", ["escalated_from_id", "created_at"]),
    ("ix_gate_status_closed", "gate_request", ["status", "closed_at"]),
    ("ix_risk_score", "risk_entry", ["likelihood", "impact", "updated_at"]),
]


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
    for name, table, columns in DIGEST_INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, table, _ in reversed(DIGEST_INDEXES):
        op.drop_index(name, table_name=table)
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
