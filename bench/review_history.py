"""A use case with a history: what the review-decision scenarios seed beside a fresh use case.

`add_history` gives a use case (whose gate is not open yet) 20 live risks and 450 earlier audit entries of the
kinds its life writes (answers, completed scorecards, edits, risks, conditions, looks by other groups); once
its gate is open, `add_conditions` attaches 50 open conditions from the other group's review, each with its
`condition.opened` entry: 500 audit entries in all, 50 conditions and 20 risks. Seeded at storage level (not
through the flows), in the caller's transaction.
"""
from __future__ import annotations

from datetime import timedelta

ENTRIES, CONDITIONS, RISKS = 500, 50, 20
AREAS = ("data_privacy", "model_quality", "security", "fairness", "vendor")


def _earlier(uc, owner_id: int, n: int, now) -> list[dict]:
    kinds = []
    for i in range(n):
        k = i % 9
        at = now - timedelta(days=60) + timedelta(minutes=i)
        base = {"actor_id": owner_id, "actor_label": "owner", "platform": "slack", "use_case_id": uc.id, "at": at}
        if k in (0, 1, 2, 3):
            kinds.append({**base, "action": "scorecard.answered", "entity": "scorecard", "entity_id": 1,
                          "data": {"instrument": "pilot_selection", "item": f"item{i % 7}", "value": 3,
                                   "changed": i > 40}})
        elif k == 4:
            kinds.append({**base, "action": "use_case.edited", "entity": "use_case", "entity_id": uc.id,
                          "data": {"changes": {"outcome": {"label": "Outcome", "before": f"Draft {i}",
                                                           "after": f"Draft {i + 1}"}}}})
        elif k == 5:
            kinds.append({**base, "action": "risk.updated", "entity": "risk", "entity_id": 1,
                          "data": {"field": "mitigation", "from": f"step {i}", "to": f"step {i + 1}"}})
        elif k == 6:
            kinds.append({**base, "action": "review.seen", "entity": "review", "entity_id": 900000 + i,
                          "data": {"group": "risk"}})
        elif k == 7:
            kinds.append({**base, "action": "scorecard.completed", "entity": "scorecard", "entity_id": 1,
                          "data": {"instrument": "pilot_selection", "total": 30, "band": ""}})
        else:
            kinds.append({**base, "action": "status.viewed", "entity": "use_case", "entity_id": uc.id, "data": {}})
    return kinds


async def add_history(s, uc, now) -> None:
    """20 live risks and 450 earlier audit entries on the use case (before its gate opens)."""
    from storage import audit
    from storage.tables import RiskEntry

    owner = uc.business_owner_id
    for i in range(RISKS):
        s.add(RiskEntry(use_case_id=uc.id, area_key=AREAS[i % len(AREAS)], description=f"Risk {i}: claim data",
                        likelihood=("low", "medium", "high")[i % 3], impact=("low", "medium", "high")[(i + 1) % 3],
                        owner_id=uc.delivery_owner_id, status="open", created_by_id=owner, created_at=now,
                        updated_at=now))
    await s.flush()
    await audit.append_many(s, _earlier(uc, owner, ENTRIES - CONDITIONS, now))


async def add_conditions(s, uc, review_id: int, now) -> None:
    """50 open conditions from another group's review of this gate, each with its audit entry."""
    from storage import audit
    from storage.repo import conditions

    items = []
    for i in range(CONDITIONS):
        c = await conditions.create(s, use_case_id=uc.id, review_id=review_id, text=f"Close gap {i} before rollout",
                                    owner_id=uc.delivery_owner_id, due_date=(now + timedelta(days=30 + i)).date(),
                                    status=conditions.OPEN, created_by_id=uc.business_owner_id, created_at=now)
        items.append({"action": "condition.opened", "actor_id": uc.business_owner_id, "actor_label": "risk reviewer",
                      "platform": "slack", "entity": "condition", "entity_id": c.id, "use_case_id": uc.id,
                      "data": {"review": review_id, "text": c.text, "owner": c.owner_id, "due": c.due_date},
                      "at": now})
    await audit.append_many(s, items)
