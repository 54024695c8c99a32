"""Every aiom table. Importing this package registers them all on SQLModel.metadata."""
from storage.tables.audit import AuditEntry, AuditHead
from storage.tables.group_settings import ReviewGroupSetting
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
from storage.tables.people_status import Absence, DelegatedDecision, Leaver
from storage.tables.regulation import AiActObligation
from storage.tables.readiness import ReadinessDrop
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
from storage.tables.similar import SimilarAnswer, UseCaseVector
from storage.tables.use_cases import StageChange, UseCase, UseCaseContributor

__all__ = [
    "Absence", "AiActObligation", "AuditEntry", "AuditHead", "Condition", "ConversationRef", "ConversationState",
    "DelegatedDecision", "DigestRun", "GateRequest", "InboundEntry", "Incident", "InfoRequest", "Kpi", "KpiValue", "Leaver",
    "MessageRef", "Outbox", "Person", "PlatformIdentity", "ReadinessDrop", "ReviewDecision",
    "ReviewGroupChannel", "ReviewGroupMember", "ReviewGroupRow", "ReviewGroupSetting", "ReviewRequest", "RiskEntry",
    "Scorecard", "ScorecardAnswer", "SimilarAnswer", "Snooze",
    "StageChange", "UseCase", "UseCaseContributor", "UseCaseVector",
]
