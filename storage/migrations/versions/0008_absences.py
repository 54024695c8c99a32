"""people away with a delegate, leavers, and decisions made for someone away

Revision ID: i14_absences
Revises: i21_eu_ai_act
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel
import storage.types

revision = "i14_absences"
down_revision = "i21_eu_ai_act"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "absence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("until", sa.Date(), nullable=False),
        sa.Column("delegate_id", sa.Integer(), nullable=True),
        sa.Column("since", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"]),
        sa.ForeignKeyConstraint(["delegate_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("person_id"),
    )
    with op.batch_alter_table("absence", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_absence_delegate_id"), ["delegate_id"], unique=False)
    op.create_table(
        "leaver",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("left_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"]),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("person_id"),
    )
    op.create_table(
        "delegated_decision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("decision_id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("for_person_id", sa.Integer(), nullable=False),
        sa.Column("by_person_id", sa.Integer(), nullable=False),
        sa.Column("at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["decision_id"], ["review_decision.id"]),
        sa.ForeignKeyConstraint(["review_id"], ["review_request.id"]),
        sa.ForeignKeyConstraint(["for_person_id"], ["person.id"]),
        sa.ForeignKeyConstraint(["by_person_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("decision_id"),
    )
    with op.batch_alter_table("delegated_decision", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_delegated_decision_review_id"), ["review_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("delegated_decision", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_delegated_decision_review_id"))
    op.drop_table("delegated_decision")
    op.drop_table("leaver")
    with op.batch_alter_table("absence", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_absence_delegate_id"))
    op.drop_table("absence")
