"""Framework controls against a use case's evidence, as plain functions over plain data.

Evidence keys (used in a policy's `frameworks[].controls[].evidence`):

- `readiness.<area>>=<n>` / `pilot_selection.<criterion>>=<n>`: that scorecard area scored at least n
  (scored lower: partly).
- `risk.<area>`: a risk-register entry in that area with a control written down (an entry without one: partly).
- `rollout.<checkpoint>` / `vendor.<item>`: that checklist item marked ready (vendor items: not applicable when
  no vendor is involved).
- `gate.<stage>`: the gate out of that stage passed, with the reviewers' decisions recorded.
- `kpis.defined` / `kpis.<layer>`: at least one KPI (of that layer) with a baseline.
- `incidents.process`: the incident-response checkpoint is ready, or an incident was acknowledged by a
  responder (a reported incident without either: partly).
- `obligation.<key>`: that EU AI Act obligation closed with evidence (not applicable when the use case's
  classification and role do not bring it).
- `ai_act.classified`: the EU AI Act classification is recorded; `ai_act.not_prohibited`: it is not a
  prohibited practice.
- `owners.named`: a business owner and a delivery owner are named.
- `risk_register.reviewed`: the owners marked the risk register reviewed.

A control is met when all of its applicable evidence holds, partly met when some holds (or partly holds),
missing when none does, and not applicable when `applies_to` leaves the use case's classification out or none
of its evidence applies, or an EU AI Act obligation it names does not apply to the use case.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from vocabulary.policy.evidence_keys import SCORE

if TYPE_CHECKING:  # pragma: no cover
    from vocabulary.policy.models import Policy
    from vocabulary.policy.regulation import Control

MET, PARTLY, MISSING, NA = "met", "partly", "missing", "not applicable"
STATUSES = (MET, PARTLY, MISSING, NA)


@dataclass(frozen=True)
class Proof:
    """One piece of evidence found: what it is, who gave it, when, and the audit entries that record it."""

    what: str
    who: str = ""
    when: datetime | None = None
    audit: tuple[int, ...] = ()


@dataclass(frozen=True)
class Found:
    status: str  # met | partly | missing | not applicable
    proof: Proof | None = None
    lacking: str = ""  # what would make it met


@dataclass
class Scored:
    value: int
    who: str = ""
    when: datetime | None = None
    audit: tuple[int, ...] = ()


@dataclass
class Event:
    """Something recorded: a risk entry, a passed gate, a KPI, an obligation, ..."""

    what: str
    who: str = ""
    when: datetime | None = None
    audit: tuple[int, ...] = ()
    ok: bool = True  # False: recorded but not enough (a risk without a control, an open obligation)


@dataclass
class EvidenceFacts:
    use_case_id: int
    classification: str = ""
    role: str = ""
    vendor_involved: bool = False
    owners_named: Event | None = None
    classified: Event | None = None
    scores: dict[str, dict[str, Scored]] = field(default_factory=dict)  # instrument -> item -> score
    risks: dict[str, list[Event]] = field(default_factory=dict)  # area -> entries
    gates: dict[str, Event] = field(default_factory=dict)  # from stage -> passed gate
    kpis: dict[str, list[Event]] = field(default_factory=dict)  # layer -> KPIs with baselines
    incident_handled: Event | None = None
    incident_reported: Event | None = None
    obligations: dict[str, Event] = field(default_factory=dict)  # obligation key -> (ok = closed)
    risk_reviewed: Event | None = None


def _event(e: Event | None, missing: str) -> Found:
    if e is None:
        return Found(MISSING, lacking=missing)
    proof = Proof(e.what, e.who, e.when, e.audit)
    return Found(MET, proof) if e.ok else Found(PARTLY, proof, missing)


def evaluate(policy: "Policy", key: str, f: EvidenceFacts) -> Found:
    key = key.replace(" ", "")
    m = SCORE.match(key)
    if m:
        inst_key, item, minimum = m.group(1), m.group(2), int(m.group(3))
        name = next((i.name for i in getattr(policy, inst_key).items if i.key == item), item)
        s = f.scores.get(inst_key, {}).get(item)
        if s is None:
            return Found(MISSING, lacking=f"{name} not scored ({minimum} or more needed)")
        proof = Proof(f"{name} scored {s.value} (at least {minimum} needed)", s.who, s.when, s.audit)
        return Found(MET, proof) if s.value >= minimum else Found(PARTLY, proof, f"raise {name} to {minimum}")
    kind, _, name = key.partition(".")
    if kind in ("rollout", "vendor"):
        checklist = policy.rollout_checklist if kind == "rollout" else policy.vendor_checklist
        if kind == "vendor" and not f.vendor_involved:
            return Found(NA)
        label = next((i.name for i in checklist.items if i.key == name), name)
        s = f.scores.get(f"{kind}_checklist", {}).get(name)
        if s is None:
            return Found(MISSING, lacking=f"{checklist.name}: {label} not answered")
        proof = Proof(f"{checklist.name}: {label} {'ready' if s.value else 'not ready'}", s.who, s.when, s.audit)
        return Found(MET, proof) if s.value else Found(PARTLY, proof, f"{label} not ready yet")
    if kind == "risk":
        area = next((a.name for a in policy.risk_register.areas if a.key == name), name)
        entries = f.risks.get(name, [])
        best = next((e for e in entries if e.ok), entries[0] if entries else None)
        return _event(best, f"a {area} risk with its control in the register")
    if kind == "gate":
        return _event(f.gates.get(name), f"the gate out of {name.replace('_', ' ')} passed")
    if kind == "kpis":
        kpis = [k for layer in f.kpis.values() for k in layer] if name == "defined" else f.kpis.get(name, [])
        return _event(kpis[0] if kpis else None, "a KPI with its baseline")
    if kind == "obligation":
        e = f.obligations.get(name)
        if e is None:
            return Found(NA)
        proof = Proof(e.what, e.who, e.when, e.audit)
        # An open obligation is no evidence yet: missing, with its owner shown.
        return Found(MET, proof) if e.ok else Found(MISSING, proof, "the obligation closed with evidence")
    if key == "incidents.process":
        return _event(f.incident_handled or f.incident_reported, "the incident-response checkpoint ready")
    if key == "ai_act.classified":
        return _event(f.classified, "the EU AI Act classification recorded")
    if key == "ai_act.not_prohibited":
        if f.classified is None:
            return Found(MISSING, lacking="the EU AI Act classification recorded")
        ok = f.classification != "prohibited"
        return Found(MET if ok else MISSING, Proof(f.classified.what, f.classified.who, f.classified.when,
                                                     f.classified.audit), "" if ok else "a prohibited practice")
    if key == "owners.named":
        return _event(f.owners_named, "a business owner and a delivery owner named")
    if key == "risk_register.reviewed":
        return _event(f.risk_reviewed, "the risk register marked reviewed")
    return Found(MISSING, lacking=f"unknown evidence key {key}")


@dataclass(frozen=True)
class ControlResult:
    key: str
    title: str
    status: str
    found: tuple[tuple[str, Found], ...]  # (evidence key, what was found)

    @property
    def lacking(self) -> list[str]:
        return [fd.lacking for _, fd in self.found if fd.status in (MISSING, PARTLY) and fd.lacking]


def control_status(policy: "Policy", control: "Control", f: EvidenceFacts) -> ControlResult:
    if control.applies_to and f.classification not in control.applies_to:
        return ControlResult(control.key, control.title, NA, ())
    found = tuple((k, evaluate(policy, k, f)) for k in control.evidence)
    if any(k.startswith("obligation.") and fd.status == NA for k, fd in found):
        # The control stands for an obligation the use case's classification and role do not bring.
        return ControlResult(control.key, control.title, NA, ())
    live = [fd.status for _, fd in found if fd.status != NA]
    if not live:
        status = NA
    elif all(s == MET for s in live):
        status = MET
    elif any(s in (MET, PARTLY) for s in live):
        status = PARTLY
    else:
        status = MISSING
    return ControlResult(control.key, control.title, status, found)


def coverage(results: list[ControlResult]) -> tuple[int, int, int, int]:
    """(met, partly, missing, applicable) over the results."""
    met = sum(r.status == MET for r in results)
    partly = sum(r.status == PARTLY for r in results)
    missing = sum(r.status == MISSING for r in results)
    return met, partly, missing, met + partly + missing
