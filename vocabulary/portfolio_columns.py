"""The portfolio's column layout (CSV and XLSX), shared by export and import.

Input columns are read back by `aiom import`; derived columns are written by the export for reading and
ignored on import (aiom computes them). The order below is the file's column order; new columns are only
ever added at the end, and nothing is ever renamed or removed (a new JSON format version says fields were
added; a reader written for an earlier version reads every later one).

Format versions: 1, the first; 2 (the CSV/XLSX columns next_gate_to, next_gate_missing,
open_incidents_by_severity and scope_limit; the JSON fields gate, incidents.by_severity and scope_limit).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

FORMAT = "aiom.portfolio"
FORMAT_VERSION = 2


@dataclass(frozen=True)
class Column:
    name: str
    input: bool  # read by the import
    required: bool = False
    doc: str = ""


COLUMNS: list[Column] = [
    Column("use_case_id", False, doc="aiom's reference, UC-<number>; differs between databases"),
    Column("external_ref", True, doc="the stable key of the row; blank on import means derived from title and "
                                     "business owner (see docs/live-operation.md)"),
    Column("title", True, True, "the use case's name"),
    Column("problem", True, doc="the problem it solves, and for whom"),
    Column("outcome", True, doc="one-sentence outcome statement (process, metric, control)"),
    Column("value_stream", True, doc="the process or value stream it touches"),
    Column("theme", True, doc="strategic theme key from the policy (intake.themes), or its label"),
    Column("affected_users", True, doc="who uses it or is affected"),
    Column("data_used", True, doc="the data it uses"),
    Column("data_sensitivity", True, doc="data sensitivity key (the policy's data_sensitivity risk question)"),
    Column("vendor_involved", True, doc="yes or no"),
    Column("vendor_name", True, doc="the vendor or product, if any"),
    Column("target_timeline", True, doc="timeline key from the policy (intake.timelines), or its label"),
    Column("stage", True, True, "stage key (exploration, pilot, controlled_rollout, scale_decision, "
                                "ongoing_operation) or its label"),
    Column("status", True, doc="active, paused, stopped or withdrawn (blank: active)"),
    Column("status_reason", True, doc="why it is paused, stopped or withdrawn"),
    Column("risk_tier", True, True, "low, medium or high: the tier from the intake risk questions"),
    Column("tier_requested", True, doc="a different tier the proposer asked for, if any"),
    Column("tier_override_status", True, doc="none, pending, accepted or rejected (blank: pending when a tier was "
                                             "requested, else none)"),
    Column("business_owner_email", True, True, "business owner (people are matched, or created, by email)"),
    Column("delivery_owner_email", True, True, "delivery owner"),
    Column("sponsor_email", True, doc="executive sponsor"),
    Column("proposer_email", True, doc="who proposed it"),
    Column("restricted", True, doc="yes or no: visible only to its owners, sponsor, reviewers and leadership"),
    Column("pilot_exit_date", True, doc="YYYY-MM-DD: when the pilot must be decided"),
    Column("created_at", True, doc="when the idea was recorded (ISO 8601, UTC; blank: the time of the import)"),
    Column("stage_entered_at", True, doc="when it entered its current stage (blank: created_at)"),
    Column("value_reached_at", True, doc="when a KPI first reached its target (blank: not yet)"),
    Column("effective_tier", False, doc="the tier that applies: the requested one once accepted"),
    Column("imported", False, doc="yes when it came in through aiom import"),
    Column("pilot_selection_total", False, doc="pilot selection total (12-36) of the latest complete scoring"),
    Column("readiness_total", False, doc="readiness scorecard total (18-90) of the latest complete scoring"),
    Column("readiness_band", False, doc="strong, moderate, weak or low"),
    Column("hard_gate_failures", False, doc="hard-gate areas scored below the minimum, separated by ';'"),
    Column("open_risks", False, doc="risk register entries open or being mitigated"),
    Column("top_risk", False, doc="the open risk with the highest likelihood x impact"),
    Column("pending_reviews", False, doc="gate reviews waiting for a decision"),
    Column("open_conditions", False, doc="approval conditions not yet closed"),
    Column("kpis_at_target", False, doc="KPIs whose latest value meets the target"),
    Column("kpis_total", False, doc="active KPIs"),
    Column("open_incidents", False, doc="incidents not yet closed"),
    Column("days_in_stage", False, doc="whole days since it entered its stage, at generated_at"),
    Column("time_to_value_days", False, doc="whole days from created_at to value_reached_at"),
    # format version 2
    Column("next_gate_to", False, doc="the stage its next gate leads to (blank at the last stage, and once stopped or withdrawn)"),
    Column("next_gate_missing", False, doc="that gate's preconditions not yet met, by key, separated by ';' "
                                           "(blank when it may ask for the review)"),
    Column("open_incidents_by_severity", False, doc="open incidents per policy severity, as key:count separated "
                                                    "by ';' (for example sev1:0;sev2:1;sev3:2)"),
    Column("scope_limit", False, doc="what it is limited to after an incident (the limit rollback); blank when "
                                     "it runs in full"),
]
NAMES = [c.name for c in COLUMNS]
INPUT = [c.name for c in COLUMNS if c.input]
REQUIRED = [c.name for c in COLUMNS if c.required]
DERIVED = [c.name for c in COLUMNS if not c.input]


def derived_ref(title: str, business_owner_email: str | None) -> str:
    """The reference of a row without one: a stable hash of its name and business owner's email."""
    key = " ".join(title.lower().split()) + "\n" + (business_owner_email or "").strip().lower()
    return "h:" + hashlib.sha256(key.encode()).hexdigest()[:20]
