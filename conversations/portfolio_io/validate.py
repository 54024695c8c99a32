"""Checking an import file: the header, then each row, naming every problem (row, column, what is wrong)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Any

from vocabulary.people import EMAIL_RE
from vocabulary.policy import Policy
from vocabulary.portfolio_columns import INPUT, NAMES, REQUIRED, derived_ref
from vocabulary.states import TierOverride, UseCaseStatus

TIERS = ("low", "medium", "high")
STATUSES = tuple(UseCaseStatus)
OVERRIDES = tuple(TierOverride)
YES, NO = {"yes", "y", "true", "1"}, {"no", "n", "false", "0", ""}
LIMITS = {"title": 200, "value_stream": 500, "vendor_name": 200, "external_ref": 128}
TEXT_MAX = 10_000


@dataclass(frozen=True)
class Problem:
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"row {self.row}, {self.column}: {self.message}"


@dataclass
class ParsedRow:
    row: int
    ref: str
    fields: dict[str, Any]  # UseCase fields, ready to store
    emails: dict[str, str]  # role -> email (business_owner, delivery_owner, sponsor, proposer)
    derived: bool = False  # the ref was derived from title + business owner
    notes: list[str] = field(default_factory=list)


def check_header(header: list[str]) -> list[Problem]:
    problems = []
    seen: set[str] = set()
    for name in header:
        if name in seen:
            problems.append(Problem(1, name or "(blank)", "this column appears twice"))
        seen.add(name)
        if name not in NAMES:
            problems.append(Problem(1, name or "(blank)", "not a column aiom knows (the export's layout is in "
                                                          "docs/live-operation.md)"))
    for name in REQUIRED:
        if name not in seen:
            problems.append(Problem(1, name, "this required column is missing"))
    return problems


def _choice(value: str, options: list[tuple[str, str]]) -> str | None:
    low = value.strip().lower()
    for key, label in options:
        if low in (key.lower(), label.lower()):
            return key
    return None


def _when(value: str) -> datetime:
    v = value.strip()
    if len(v) == 10:
        d = date.fromisoformat(v)
        return datetime(d.year, d.month, d.day, tzinfo=timezone.utc)
    at = datetime.fromisoformat(v)
    return (at if at.tzinfo else at.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)


class RowChecker:
    def __init__(self, policy: Policy, header: list[str], now: datetime):
        self.policy = policy
        self.index = {name: i for i, name in enumerate(header) if name in INPUT}
        self.now = now
        self.stages = [(s.key, s.label) for s in policy.stages]
        self.themes = [(c.key, c.label) for c in policy.intake.themes]
        self.timelines = [(c.key, c.label) for c in policy.intake.timelines]
        q = next((q for q in policy.intake.risk_questions if q.key == "data_sensitivity"), None)
        self.sensitivity = [(o.key, o.label) for o in q.options] if q else None

    def check(self, row: int, values: list[str]) -> tuple[ParsedRow | None, list[Problem]]:
        problems: list[Problem] = []
        get = lambda name: values[self.index[name]].strip() if name in self.index and self.index[name] < len(values) \
            else ""  # noqa: E731

        def bad(column: str, message: str) -> None:
            problems.append(Problem(row, column, message))

        f: dict[str, Any] = {}
        for name in ("title", "problem", "outcome", "value_stream", "affected_users", "data_used", "vendor_name",
                     "status_reason", "external_ref"):
            v = get(name)
            limit = LIMITS.get(name, TEXT_MAX)
            if len(v) > limit:
                bad(name, f"{len(v):,} characters; at most {limit:,} fit")
            f[name] = v[:limit]
        if not f["title"]:
            bad("title", "required, but empty")
        for name, options, what in (("theme", self.themes, "a theme"), ("target_timeline", self.timelines,
                                                                       "a timeline"),
                                    ("data_sensitivity", self.sensitivity, "a data sensitivity")):
            v = get(name)
            if not v or options is None:
                f[name] = v[:64]
                continue
            key = _choice(v, options)
            if key is None:
                bad(name, f"“{v[:60]}” is not {what} in the policy (one of: {', '.join(k for k, _ in options)})")
            f[name] = key or ""
        stage = get("stage")
        f["stage"] = _choice(stage, self.stages) if stage else None
        if not stage:
            bad("stage", "required, but empty")
        elif f["stage"] is None:
            bad("stage", f"“{stage[:60]}” is not a stage (one of: {', '.join(k for k, _ in self.stages)})")
        status = get("status").lower() or UseCaseStatus.ACTIVE
        if status not in STATUSES:
            bad("status", f"“{status[:60]}” is not a status (one of: {', '.join(STATUSES)})")
        f["status"] = status
        tier = get("risk_tier").lower()
        if tier not in TIERS:
            bad("risk_tier", "required: low, medium or high" if not tier else f"“{tier[:60]}” is not low, medium "
                                                                             "or high")
        f["risk_tier"] = tier
        requested = get("tier_requested").lower()
        if requested and requested not in TIERS:
            bad("tier_requested", f"“{requested[:60]}” is not low, medium or high")
        override = get("tier_override_status").lower() or (TierOverride.PENDING if requested else TierOverride.NONE)
        if override not in OVERRIDES:
            bad("tier_override_status", f"“{override[:60]}” is not one of {', '.join(OVERRIDES)}")
        elif override != TierOverride.NONE and not requested:
            bad("tier_override_status", f"“{override}” needs the tier_requested column filled in")
        f["tier_requested"], f["tier_override_status"] = requested or None, override
        for name in ("vendor_involved", "restricted"):
            v = get(name).lower()
            if v not in YES | NO:
                bad(name, f"“{v[:60]}” is not yes or no")
            f[name] = v in YES
        emails: dict[str, str] = {}
        for role in ("business_owner", "delivery_owner", "sponsor", "proposer"):
            v = get(f"{role}_email").lower()
            if not v:
                if f"{role}_email" in REQUIRED:
                    bad(f"{role}_email", "required, but empty")
                continue
            if not EMAIL_RE.match(v):
                bad(f"{role}_email", f"“{v[:80]}” is not an email address")
            emails[role] = v
        exit_date = get("pilot_exit_date")
        f["pilot_exit_date"] = None
        if exit_date:
            try:
                f["pilot_exit_date"] = date.fromisoformat(exit_date[:10])
            except ValueError:
                bad("pilot_exit_date", f"“{exit_date[:40]}” is not a date like 2027-03-31")
        for name in ("created_at", "stage_entered_at", "value_reached_at"):
            v = get(name)
            f[name] = None
            if not v:
                continue
            try:
                f[name] = _when(v)
            except ValueError:
                bad(name, f"“{v[:40]}” is not a date or time like 2026-03-31 or 2026-03-31T09:00:00Z")
                continue
            if f[name] > self.now:
                bad(name, f"{v[:40]} is in the future")
        later = [f[n] for n in ("stage_entered_at", "value_reached_at") if f[n] is not None]
        created = f["created_at"] or min([self.now, *later])
        for name in ("stage_entered_at", "value_reached_at"):
            if f[name] is not None and f[name] < created:
                bad(name, "is earlier than created_at")
        if problems:
            return None, problems
        f["created_at"] = created
        f["stage_entered_at"] = f["stage_entered_at"] or created
        ref = f.pop("external_ref") or derived_ref(f["title"], emails.get("business_owner"))
        return ParsedRow(row=row, ref=ref, fields=f, emails=emails, derived=not get("external_ref")), []

