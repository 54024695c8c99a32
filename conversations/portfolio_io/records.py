"""One exported use case: the JSON record (complete) and the flat row (CSV / XLSX) derived from it."""
from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

from vocabulary.policy import Policy
from vocabulary.rules import kpis as kpi_rules
from conversations.portfolio_io import gates
from vocabulary.portfolio_columns import derived_ref
from storage.repo.portfolio_export import Bundle
from vocabulary.states import ScorecardStatus, TierOverride

RANK = {"low": 1, "medium": 2, "high": 3}


def iso(at: datetime | None) -> str | None:
    if at is None:
        return None
    if at.tzinfo is None:
        at = at.replace(tzinfo=timezone.utc)
    return at.astimezone(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _person(b: Bundle, pid: int | None) -> dict | None:
    if pid is None or pid not in b.people:
        return None
    email, name = b.people[pid]
    return {"email": email or "", "name": name or ""}


def _band(policy: Policy, total: int) -> tuple[str, str]:
    for band in policy.readiness.bands:
        if band.min_total <= total <= band.max_total:
            return band.key, band.label
    return "", ""


def _scores(policy: Policy, b: Bundle) -> dict[str, Any]:
    out: dict[str, Any] = {"pilot_selection": None, "readiness": None}
    ps = b.scores.get("pilot_selection")
    if ps is not None:
        done = ps.status == ScorecardStatus.COMPLETE
        out["pilot_selection"] = {"complete": done, "answered": ps.answered,
                                  "of": len(policy.pilot_selection.items),
                                  "total": ps.total if done else None, "max": policy.pilot_selection.total_max,
                                  "strong": (ps.total > policy.pilot_selection.strong_above) if done else None}
    rd = b.scores.get("readiness")
    if rd is not None:
        done = rd.status == ScorecardStatus.COMPLETE
        key, label = _band(policy, rd.total) if done else ("", "")
        out["readiness"] = {"complete": done, "answered": rd.answered, "of": len(policy.readiness.items),
                            "total": rd.total if done else None, "max": policy.readiness.total_max,
                            "band": key or None, "band_label": label or None,
                            "hard_gate_failures": rd.low_hard_gates if done else []}
    return out


def _top_risk(b: Bundle) -> dict | None:
    if not b.open_risks:
        return None
    r = max(b.open_risks, key=lambda r: (RANK.get(r["likelihood"], 0) * RANK.get(r["impact"], 0), -r["id"]))
    owner = _person(b, r["owner_id"])
    return {"area": r["area_key"], "description": r["description"] or "", "likelihood": r["likelihood"],
            "impact": r["impact"], "owner_email": owner["email"] if owner else ""}


def _kpis(b: Bundle) -> list[dict]:
    out = []
    for k in b.kpis:
        values = b.kpi_values.get(k["id"], [])
        st = kpi_rules.standing(k["baseline"], k["target"], k["direction"], values)
        owner = _person(b, k["owner_id"])
        out.append({"id": k["id"], "name": k["name"], "layer": k["layer"], "unit": k["unit"] or "",
                    "baseline": k["baseline"], "target": k["target"], "direction": k["direction"],
                    "cadence": k["cadence"], "owner_email": owner["email"] if owner else "",
                    "last_value": k["last_value"], "last_value_at": iso(k["last_value_at"]),
                    "next_due_at": iso(k["next_due_at"]), "at_target": st.at_target, "trend": st.trend,
                    "moving_away": st.moving_away, "flagged": k["flagged_at"] is not None,
                    "flag_reason": k["flag_reason"] or None})
    return out


def record(policy: Policy, b: Bundle, now: datetime) -> dict[str, Any]:
    """The complete JSON record of one use case (docs/live-operation.md documents every field)."""
    u = b.uc
    owners = {role: _person(b, u[f"{role}_id"]) for role in ("business_owner", "delivery_owner", "sponsor",
                                                              "proposer")}
    bo_email = owners["business_owner"]["email"] if owners["business_owner"] else ""
    requested = u["tier_requested"]
    effective = requested if (u["tier_override_status"] == TierOverride.ACCEPTED and requested) else u["risk_tier"]
    kpis = _kpis(b)
    pilot_exit: date | None = u["pilot_exit_date"]
    return {
        "id": u["id"], "ref": f"UC-{u['id']}",
        "external_ref": u["external_ref"] or derived_ref(u["title"], bo_email),
        "title": u["title"], "problem": u["problem"], "outcome": u["outcome"], "value_stream": u["value_stream"],
        "theme": u["theme"], "affected_users": u["affected_users"], "data_used": u["data_used"],
        "data_sensitivity": u["data_sensitivity"],
        "vendor": {"involved": bool(u["vendor_involved"]), "name": u["vendor_name"]},
        "target_timeline": u["target_timeline"],
        "stage": u["stage"], "status": u["status"], "status_reason": u["status_reason"],
        "restricted": bool(u["restricted"]), "imported": bool(u["imported"]),
        "tier": {"computed": u["risk_tier"], "requested": requested, "override_status": u["tier_override_status"],
                 "effective": effective},
        "owners": owners,
        "scores": _scores(policy, b),
        "risks": {"open": len(b.open_risks), "top": _top_risk(b)},
        "reviews": {"pending": b.pending_reviews},
        "conditions": {"open": b.open_conditions},
        "kpis": kpis,
        "kpis_at_target": sum(1 for k in kpis if k["at_target"]),
        "kpis_total": len(kpis),
        "incidents": {"open": b.open_incidents, "by_severity": _by_severity(policy, b)},
        "gate": gates.next_gate(policy, b),
        "scope_limit": u["scope_limit"] or "",
        "dates": {"created_at": iso(u["created_at"]), "stage_entered_at": iso(u["stage_entered_at"]),
                  "pilot_exit_date": pilot_exit.isoformat() if pilot_exit else None,
                  "value_reached_at": iso(u["value_reached_at"])},
        "days_in_stage": max(0, (now - u["stage_entered_at"]).days) if u["stage_entered_at"] else None,
        "time_to_value_days": kpi_rules.time_to_value_days(u["created_at"], u["value_reached_at"]),
    }


def _by_severity(policy: Policy, b: Bundle) -> dict[str, int]:
    """Open incidents per severity: every severity of the policy (0 when none), in its order."""
    out = {sev.key: b.incidents_by_severity.get(sev.key, 0) for sev in policy.incidents.severities}
    out.update({k: n for k, n in b.incidents_by_severity.items() if k not in out})  # a severity no longer in it
    return out


def _yes(v: bool) -> str:
    return "yes" if v else "no"


def flat(rec: dict[str, Any]) -> list[Any]:
    """The CSV / XLSX row of a record, in the order of columns.COLUMNS (numbers stay numbers)."""
    o, s = rec["owners"], rec["scores"]
    ps, rd = s["pilot_selection"] or {}, s["readiness"] or {}
    top = rec["risks"]["top"]
    email = lambda role: o[role]["email"] if o[role] else ""  # noqa: E731
    return [
        rec["ref"], rec["external_ref"], rec["title"], rec["problem"], rec["outcome"], rec["value_stream"],
        rec["theme"], rec["affected_users"], rec["data_used"], rec["data_sensitivity"],
        _yes(rec["vendor"]["involved"]), rec["vendor"]["name"], rec["target_timeline"],
        rec["stage"], rec["status"], rec["status_reason"],
        rec["tier"]["computed"], rec["tier"]["requested"] or "", rec["tier"]["override_status"],
        email("business_owner"), email("delivery_owner"), email("sponsor"), email("proposer"),
        _yes(rec["restricted"]), rec["dates"]["pilot_exit_date"] or "", rec["dates"]["created_at"] or "",
        rec["dates"]["stage_entered_at"] or "", rec["dates"]["value_reached_at"] or "",
        rec["tier"]["effective"], _yes(rec["imported"]),
        ps.get("total") if ps.get("total") is not None else "",
        rd.get("total") if rd.get("total") is not None else "",
        rd.get("band") or "", ";".join(rd.get("hard_gate_failures") or []),
        rec["risks"]["open"],
        f"{top['area']}: {top['description'][:200]} ({top['likelihood']} likelihood, {top['impact']} impact)"
        if top else "",
        rec["reviews"]["pending"], rec["conditions"]["open"], rec["kpis_at_target"], rec["kpis_total"],
        rec["incidents"]["open"],
        rec["days_in_stage"] if rec["days_in_stage"] is not None else "",
        rec["time_to_value_days"] if rec["time_to_value_days"] is not None else "",
        rec["gate"]["to_stage"] or "", ";".join(m["key"] for m in rec["gate"]["missing"]),
        ";".join(f"{k}:{n}" for k, n in rec["incidents"]["by_severity"].items()), rec["scope_limit"],
    ]
