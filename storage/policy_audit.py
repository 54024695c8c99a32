"""The effective policy in the audit trail: `settings.policy_changed` whenever it differs from the last one
recorded (a new policy file, an edited one, or a new aiom version whose built-in defaults changed).

The entry holds the policy's hash, what changed since the last entry (sections and keys, by path) and a
fingerprint (one short hash per section, per key and per keyed list entry) that the next start compares with.
The first start on a database records the policy in effect.
"""
from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from vocabulary.policy import Policy
from storage import audit
from storage.tables.audit import AuditEntry

ACTION = "settings.policy_changed"
LISTED = 30  # paths named in a summary; the rest are counted


def _digest(value: Any, n: int = 64) -> str:
    body = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(body.encode()).hexdigest()[:n]


def _item_id(item: Any, index: int) -> str:
    if isinstance(item, dict):
        if item.get("key") is not None:
            return str(item["key"])
        if item.get("from_stage") is not None:
            return f"{item['from_stage']}->{item.get('to_stage')}"
    return str(index)


def _children(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return {str(k): v for k, v in value.items()}
    if isinstance(value, list) and any(isinstance(x, dict) for x in value):
        return {_item_id(x, i): x for i, x in enumerate(value)}
    return {}


def fingerprint(policy: Policy, depth: int = 3) -> dict[str, str]:
    """path -> short hash, for every section, key and keyed list entry down to `depth` levels."""
    out: dict[str, str] = {}

    def walk(path: str, value: Any, level: int) -> None:
        out[path] = _digest(value, 12)
        if level < depth:
            for name, child in _children(value).items():
                walk(f"{path}.{name}", child, level + 1)

    for name, value in policy.model_dump(mode="json").items():
        walk(name, value, 1)
    return out


def changes(before: dict[str, str], after: dict[str, str]) -> dict[str, list[str]]:
    """The deepest paths that changed, were added or were removed (a parent is named only for itself)."""
    changed = [p for p in after if p in before and before[p] != after[p]]
    added = [p for p in after if p not in before]
    removed = [p for p in before if p not in after]

    def deepest(paths: list[str], among: list[str]) -> list[str]:
        return [p for p in paths if not any(q.startswith(p + ".") for q in among)]

    def topmost(paths: list[str]) -> list[str]:
        return [p for p in paths if not any(p.startswith(q + ".") for q in paths)]

    return {"changed": deepest(changed, changed + added + removed), "added": topmost(added),
            "removed": topmost(removed)}


def _listed(paths: list[str]) -> list[str]:
    return paths[:LISTED] + ([f"… and {len(paths) - LISTED} more"] if len(paths) > LISTED else [])


async def last_recorded(session: AsyncSession) -> AuditEntry | None:
    # Settings entries belong to no use case: the (use_case_id, seq) index reads them newest first.
    q = (select(AuditEntry).where(AuditEntry.use_case_id.is_(None), AuditEntry.action == ACTION)
         .order_by(AuditEntry.seq.desc()).limit(1))
    return (await session.execute(q)).scalar_one_or_none()


async def audit_policy_change(session: AsyncSession, policy: Policy, *, now: datetime | None = None) -> bool:
    """Audit the effective policy when it differs from the last one recorded; True when an entry was written."""
    if session.bind.dialect.name == "postgresql":  # processes starting together: one records, the rest see it
        await session.execute(text("SELECT seq FROM audit_head WHERE id = 1 FOR UPDATE"))
    digest = _digest(policy.model_dump(mode="json"))
    last = await last_recorded(session)
    before = (last.data or {}) if last is not None else {}
    if before.get("hash") == digest:
        return False
    prints = fingerprint(policy)
    diff = changes(before.get("fingerprint") or {}, prints)
    sections = sorted({p.split(".", 1)[0] for paths in diff.values() for p in paths})
    data = {"hash": digest, "previous_hash": before.get("hash"), "first": last is None,
            "sections": sections if last is not None else [], "organisation": policy.organisation,
            **({k: _listed(v) for k, v in diff.items()} if last is not None else {}), "fingerprint": prints}
    await audit.append(session, action=ACTION, actor_label="policy", entity="policy", entity_id=digest[:12],
                       data=data, at=now)
    return True
