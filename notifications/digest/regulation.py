"""The digest's EU AI Act section: live use cases by classification, how many of their obligations are closed,
and the high-risk use cases that still have open obligations (most open first)."""
from __future__ import annotations

from vocabulary.messages import Strong, Text
from vocabulary.policy import Policy
from vocabulary.policy.regulation import CLASS_LABELS, CLASSES
from vocabulary.text import clip

SECTION = "Regulation: EU AI Act"


def section(policy: Policy, summary: dict | None) -> list:
    if policy.eu_ai_act is None or not summary:
        return []
    by_class = summary.get("by_class", {})
    counted = [(c, by_class.get(c, 0)) for c in CLASSES]
    if not any(n for _, n in counted) and not summary.get("total"):
        return []
    lines = ["Live use cases: " + ", ".join(f"{CLASS_LABELS[c].lower()} {n}" for c, n in counted)
             + (f", not yet classified {by_class['']}" if by_class.get("") else "")]
    total, done = summary.get("total", 0), summary.get("done", 0)
    if total:
        lines.append(f"Obligations closed with evidence: {done} of {total} ({round(100 * done / total)}%)")
    open_uc = summary.get("high_risk_open", 0)
    lines.append(f"High-risk use cases with open obligations: {open_uc}")
    for uc_id, title, open_n, n in summary.get("listed", []):
        short = clip(" ".join((title or "").split()), 60)
        lines.append(f"• UC-{uc_id} {short}: {open_n} of {n} obligations open")
    if open_uc > len(summary.get("listed", [])):
        lines.append(f"…and {open_uc - len(summary['listed'])} more")
    if by_class.get("prohibited"):
        lines.append("Prohibited practices cannot move on; the legal group has each of them.")
    return [Text([Strong(SECTION), "\n" + "\n".join(lines)])]
