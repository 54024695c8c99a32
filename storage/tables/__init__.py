"""Every aiom table. Importing this package registers them all on SQLModel.metadata."""
from storage.tables.audit import AuditEntry, AuditHead
from storage.tables.instruments import RiskEntry, Scorecard, ScorecardAnswer
from storage.tables.messaging import (
    ConversationRef,
    ConversationState,
    DigestRun,
    MessageRef,
    InboundEntry,
    Outbox,
    Snooze,
)
from storage.tables.operations import Incident, Kpi, KpiValue
from storage.tables.people import PlatformIdentity, Person
from storage.tables.reviews import (
    Condition,
    GateRequest,
    InfoRequest,
    ReviewDecision,
    ReviewGroupChannel,
    ReviewGroupMember,
    ReviewGroupRow,
    ReviewRequest,
)
from storage.tables.use_cases import StageChange, UseCase, UseCaseContributor

__all__ = [
    "AuditEntry", "AuditHead", "Condition", "ConversationRef", "ConversationState", "DigestRun",
    "GateRequest", "Incident", "InfoRequest", "Kpi", "KpiValue", "InboundEntry", "MessageRef", "Outbox", "Person",
    "PlatformIdentity", "ReviewDecision", "ReviewGroupChannel", "ReviewGroupMember",
    "ReviewGroupRow", "ReviewRequest", "RiskEntry", "Scorecard", "ScorecardAnswer", "Snooze",
    "StageChange", "UseCase", "UseCaseContributor",
]
