"""Who and what the demo organisation holds. People live at DEMO_DOMAIN; use cases carry
`external_ref = "aiom-demo:<n>"`: that is how demo data is told from real data, and removed."""
from __future__ import annotations

DEMO_DOMAIN = "demo.example.com"
REF_PREFIX = "aiom-demo:"


def email(name: str) -> str:
    return f"{name}@{DEMO_DOMAIN}"


# Review group key -> demo members (first names; emails at DEMO_DOMAIN). Groups the policy does not have are skipped.
MEMBERS = {
    "product": ["pat.park", "pia.patel"],
    "security": ["sam.sato", "sue.silva"],
    "privacy": ["priya.price"],
    "legal": ["lee.lang"],
    "procurement": ["paul.porter"],
    "risk": ["rita.reyes", "rob.ross"],
    "leadership": ["lena.lund", "leo.lopez"],
}

OWNERS = ["anna.alves", "ben.brooks", "carla.cho", "dan.diaz", "eva.evans", "finn.ford"]
DELIVERY = ["omar.ortiz", "nora.nash", "ivan.ito"]
PROPOSERS = ["zoe.zhang", "yuri.yates", "xena.xu"]

# (title, stage, tier, vendor, theme, timeline, outcome, pending_gate)
# pending_gate: True when the demo opens the gate out of that stage, so reviews wait for a decision.
USE_CASES = [
    ("Claims triage assistant", "exploration", "low", False, "operational_excellence", "within_3_months",
     "Cut motor claims triage time by 30% with a handler approving every routing", True),
    ("Supplier invoice matching", "exploration", "low", True, "cost_reduction", "3_to_6_months",
     "Match 80% of supplier invoices to purchase orders without manual keying", False),
    ("HR policy question bot", "exploration", "medium", False, "customer_experience", "3_to_6_months",
     "Answer staff HR policy questions in seconds, with links to the source policy", False),
    ("Contract clause finder", "exploration", "high", True, "operational_excellence", "6_to_12_months",
     "Find non-standard clauses in supplier contracts before legal review", False),
    ("Customer email drafting", "pilot", "medium", False, "customer_experience", "within_3_months",
     "Halve the time agents spend drafting replies to complex customer emails", True),
    ("Sales call summaries", "pilot", "low", True, "operational_excellence", "within_3_months",
     "Give every account manager a CRM-ready call summary within five minutes", False),
    ("Fraud alert prioritisation", "pilot", "high", False, "cost_reduction", "3_to_6_months",
     "Review the riskiest 10% of fraud alerts first and clear false positives faster", False),
    ("Knowledge search for engineers", "controlled_rollout", "low", False, "operational_excellence",
     "3_to_6_months", "Cut time to find an internal engineering answer from 20 minutes to 5", True),
    ("Marketing copy variants", "controlled_rollout", "medium", True, "customer_experience", "within_3_months",
     "Produce on-brand campaign variants in a day instead of a week", False),
    ("Demand forecasting for stores", "scale_decision", "medium", False, "cost_reduction", "6_to_12_months",
     "Reduce fresh-food waste by 12% through better store-level forecasts", False),
    ("IT service desk triage", "ongoing_operation", "low", False, "operational_excellence", "within_3_months",
     "Route 70% of IT tickets to the right team on first touch", False),
    ("Meeting notes and actions", "ongoing_operation", "low", True, "operational_excellence", "within_3_months",
     "Every project meeting gets notes and owned actions within the hour", False),
]

RISKS = [  # (area key, description, likelihood, impact)
    ("data_privacy", "Personal data in the input could be kept by the model provider.", "medium", "high"),
    ("security_exposure", "A crafted input could make the assistant reveal internal documents.", "low", "high"),
    ("data_privacy", "Staff may paste customer details that are not needed for the task.", "high", "medium"),
]

# (layer, name, unit, baseline, target, direction, cadence, values oldest first)
KPIS = [
    ("business_outcome", "Tickets routed right first time", "%", 45, 70, "higher", "weekly", [52, 58, 63, 66]),
    ("model_quality", "Answers rated helpful", "%", 60, 85, "higher", "weekly", [71, 74, 79]),
    ("business_outcome", "Minutes to publish meeting notes", "minutes", 180, 60, "lower", "monthly", [120, 75]),
]
