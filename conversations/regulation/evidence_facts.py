"""Reading a use case's evidence from the database (with who, when and the audit entries that record it), and
checking it against a framework's controls. Used by `status UC-4 frameworks`, the evidence export and the
digest; the rules themselves are in vocabulary/rules/evidence.py."""
from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from conversations.regulation.ai_act import class_text, intake_articles
from vocabulary.policy import Policy
from vocabulary.policy.regulation import Framework
from vocabulary.rules import scoring
from vocabulary.rules.evidence import ControlResult, Event, EvidenceFacts, Scored, control_status
from storage.repo import instruments, people, regulation
from storage.tables import AuditEntry, UseCase
from vocabulary.states import ObligationStatus

INSTRUMENTS = (scoring.PILOT_SELECTION, scoring.READINESS, scoring.ROLLOUT_CHECKLIST, scoring.VENDOR_CHECKLIST)


class _Trail:
    """The use case's audit entries, looked up by action and by what they name."""

    def __init__(self, entries: list[AuditEntry]):
        self.entries = entries

    def find(self, actions: tuple[str, ...], **match) -> list[AuditEntry]:
        out = []
        for e in self.entries:
            if e.action not in actions:
                continue
            data = e.data or {}
            if all((str(e.entity_id) == str(v)) if k == "entity_id" else data.get(k) == v for k, v in match.items()):
                out.append(e)
        return out

    def seqs(self, actions: tuple[str, ...], **match) -> tuple[int, ...]:
        return tuple(e.seq for e in self.find(actions, **match))

    def last(self, actions: tuple[str, ...], **match) -> AuditEntry | None:
        found = self.find(actions, **match)
        return found[-1] if found else None


async def gather(session: AsyncSession, policy: Policy, uc: UseCase) -> EvidenceFacts:
    trail = _Trail(await regulation.audit_trail(session, uc.id))
    cards = await instruments.latest_for(session, uc.id)
    risks = await instruments.risks_for(session, uc.id)
    gates = await regulation.passed_gates(session, uc.id)
    kpis = await regulation.kpis_with_baselines(session, uc.id)
    incidents = await regulation.incidents(session, uc.id)
    obligations = await regulation.obligations(session, uc.id)
    answer_rows = {key: await instruments.answers(session, sc.id) for key, sc in cards.items()}
    ids = {uc.business_owner_id, uc.delivery_owner_id, uc.proposer_id}
    ids |= {a.answered_by_id for rows in answer_rows.values() for a in rows.values()}
    ids |= {r.owner_id for r in risks} | {k.owner_id for k in kpis} | {i.acknowledged_by_id for i in incidents}
    ids |= {o.owner_id for o in obligations} | {o.closed_by_id for o in obligations}
    found = await people.get_many(session, [i for i in ids if i])

    def name(pid) -> str:
        p = found.get(pid)
        return (p.display_name or p.email) if p else ""

    f = EvidenceFacts(use_case_id=uc.id, classification=uc.ai_act_class or "", role=uc.ai_act_role or "",
                      vendor_involved=bool(uc.vendor_involved))
    proposed = trail.last(("use_case.proposed",))
    if uc.business_owner_id and uc.delivery_owner_id:
        f.owners_named = Event(f"Business owner {name(uc.business_owner_id)}; delivery owner "
                               f"{name(uc.delivery_owner_id)}", name(uc.proposer_id), uc.created_at,
                               (proposed.seq,) if proposed else ())
    if uc.ai_act_class:
        entry = trail.last(("use_case.ai_act_changed", "use_case.ai_act_classified"))
        detail = uc.ai_act or {}
        what = f"EU AI Act: {class_text(uc.ai_act_class, uc.ai_act_role)}"
        if detail.get("change_reason"):
            what += f"; changed by the risk reviewers: {detail['change_reason']}"
        elif intake_articles(uc):
            what += f" ({intake_articles(uc)})"
        f.classified = Event(what, entry.actor_label if entry else name(uc.proposer_id),
                             entry.at if entry else uc.created_at,
                             trail.seqs(("use_case.ai_act_classified", "use_case.ai_act_changed")))
    for key, rows in answer_rows.items():
        if key not in INSTRUMENTS:
            continue
        f.scores[key] = {item: Scored(a.value, name(a.answered_by_id), a.answered_at,
                                      trail.seqs(("scorecard.answered",), instrument=key, item=item)[-1:])
                         for item, a in rows.items()}
    area_names = {a.key: a.name for a in policy.risk_register.areas}
    for r in risks:
        area = area_names.get(r.area_key, r.area_key)
        control = (r.control or "").strip()
        what = f"{area} risk: {r.description}" + (f" — control: {control}" if control else " — no control written")
        f.risks.setdefault(r.area_key, []).append(
            Event(what, name(r.owner_id), r.updated_at, trail.seqs(("risk.added", "risk.updated"), entity_id=r.id),
                  ok=bool(control)))
    for g in gates:
        entry = trail.last(("gate.passed",), entity_id=g.id)
        groups = ", ".join(f"{k} {v.replace('_', ' ')}" for k, v in ((entry.data or {}).get("groups") or {}).items()) \
            if entry else ""
        f.gates[g.from_stage] = Event(f"Gate {g.from_stage} → {g.to_stage} passed" + (f" ({groups})" if groups else ""),
                                      entry.actor_label if entry else "", g.closed_at,
                                      (entry.seq,) if entry else ())
    for k in kpis:
        f.kpis.setdefault(k.layer, []).append(
            Event(f"KPI {k.name}: baseline {k.baseline:g}, target {k.target:g}{(' ' + k.unit) if k.unit else ''}",
                  name(k.owner_id), k.created_at, trail.seqs(("kpi.defined",), entity_id=k.id)))
    rollout = f.scores.get(scoring.ROLLOUT_CHECKLIST, {}).get("incident_response")
    if rollout is not None and rollout.value:
        f.incident_handled = Event("Rollout checklist: incident response ready", rollout.who, rollout.when,
                                   rollout.audit)
    for i in incidents:
        if i.acknowledged_at and f.incident_handled is None:
            f.incident_handled = Event(f"Incident #{i.id} acknowledged and handled by a responder",
                                       name(i.acknowledged_by_id), i.acknowledged_at,
                                       trail.seqs(("incident.reported", "incident.acknowledged"), entity_id=i.id))
        elif f.incident_reported is None:
            f.incident_reported = Event(f"Incident #{i.id} reported, not yet acknowledged", "", i.reported_at,
                                        trail.seqs(("incident.reported",), entity_id=i.id), ok=False)
    for o in obligations:
        if o.status == ObligationStatus.DONE:
            f.obligations[o.key] = Event(f"{o.title}: {o.evidence}", name(o.closed_by_id), o.closed_at,
                                         trail.seqs(("ai_act.obligation_closed",), entity_id=o.id))
        else:
            f.obligations[o.key] = Event(f"{o.title}: open (owner {name(o.owner_id) or 'none'})", name(o.owner_id),
                                         o.created_at, trail.seqs(("ai_act.obligations_opened",)), ok=False)
    if uc.risk_reviewed_at:
        entry = trail.last(("risk_register.reviewed",))
        f.risk_reviewed = Event("Risk register marked reviewed", entry.actor_label if entry else "",
                                uc.risk_reviewed_at, (entry.seq,) if entry else ())
    return f


def check(policy: Policy, framework: Framework, facts: EvidenceFacts) -> list[ControlResult]:
    return [control_status(policy, c, facts) for c in framework.controls]
