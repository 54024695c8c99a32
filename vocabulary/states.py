"""Every status aiom stores in the database, as `StrEnum`s.

A member *is* its text: `UseCaseStatus.ACTIVE == "active"`, it binds to SQL as "active", hashes, prints,
formats and serialises to JSON as "active". Rows read back hold plain strings, which compare equal to the
members, so stored values and comparisons with existing rows are exactly those of the bare strings.
Change no value here without a data migration.

Risk statuses are not here: their keys come from the policy (`risk_register.statuses`).
"""
from __future__ import annotations

from enum import StrEnum


class UseCaseStatus(StrEnum):
    """use_case.status: leadership's hold on a use case (its place in the lifecycle is `stage`)."""
    ACTIVE = "active"
    PAUSED = "paused"
    STOPPED = "stopped"
    WITHDRAWN = "withdrawn"


LIVE_USE_CASE = (UseCaseStatus.ACTIVE, UseCaseStatus.PAUSED)
CLOSED_USE_CASE = (UseCaseStatus.STOPPED, UseCaseStatus.WITHDRAWN)


class TierOverride(StrEnum):
    """use_case.tier_override_status: the owners' requested risk tier and the risk reviewers' answer."""
    NONE = "none"
    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


class FlowStatus(StrEnum):
    """conversation_state.status: a person's place in a flow."""
    ACTIVE = "active"
    DONE = "done"
    CANCELLED = "cancelled"


class ScorecardStatus(StrEnum):
    """scorecard.status. A re-score supersedes the attempt still in progress."""
    IN_PROGRESS = "in_progress"
    COMPLETE = "complete"
    SUPERSEDED = "superseded"


class GateStatus(StrEnum):
    """gate_request.status."""
    PENDING = "pending"
    PASSED = "passed"
    STOPPED = "stopped"
    WITHDRAWN = "withdrawn"
    CANCELLED = "cancelled"


class ReviewStatus(StrEnum):
    """review_request.status: one group's part of a gate."""
    PENDING = "pending"
    INFO_REQUESTED = "info_requested"
    APPROVED = "approved"
    APPROVED_WITH_CONDITIONS = "approved_with_conditions"
    ESCALATED = "escalated"
    STOPPED = "stopped"
    CANCELLED = "cancelled"


# A review still waiting for a decision (the owners' answer to a question included).
OPEN_REVIEW = (ReviewStatus.PENDING, ReviewStatus.INFO_REQUESTED)


class ConditionStatus(StrEnum):
    """condition.status: "draft" while the reviewer is still adding conditions, "open" once the approval is
    recorded, "closed" with evidence."""
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"


class ObligationStatus(StrEnum):
    """ai_act_obligation.status: "withdrawn" when it no longer applies after a classification change."""
    OPEN = "open"
    DONE = "done"
    WITHDRAWN = "withdrawn"


class IncidentStatus(StrEnum):
    """incident.status."""
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    CLOSED = "closed"


OPEN_INCIDENT = (IncidentStatus.OPEN, IncidentStatus.ACKNOWLEDGED)


class KpiFlag(StrEnum):
    """kpi.flag_reason: why a KPI is flagged ("" while it is not)."""
    NONE = ""
    MOVING_AWAY = "moving_away"
    NOT_REPORTED = "not_reported"


class OutboxStatus(StrEnum):
    """outbox.status. "snoozed": a reminder its person snoozed (or that no longer applies) before it went out;
    "held": a reminder kept back while its person is away."""
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    SNOOZED = "snoozed"
    HELD = "held"


class DigestRunStatus(StrEnum):
    """digest_run.status."""
    CLAIMED = "claimed"
    QUEUED = "queued"
    SENT = "sent"


class InboundOutcome(StrEnum):
    """inbound_entry.outcome: how a journalled request ended ("" while it has not)."""
    NONE = ""
    DONE = "done"
    SKIPPED = "skipped"
    UNHANDLED = "unhandled"
    UNREADABLE = "unreadable"
    GIVEN_UP = "given_up"
    RESEND = "resend"  # finished, its unsent reply handed back for sending by the replayer
