"""Submit a form from a new process over the same database (nothing of the first process in memory).

    python -m tests.support.submit_elsewhere engine <db url> <json: {"email", "group", "form_id", "payload",
                                                                     "values"}>
    python -m tests.support.submit_elsewhere slack <db url> <json: {"users": [[id, email, name]], "user", "view",
                                                                    "values"}>
    python -m tests.support.submit_elsewhere teams <db url> <json: {"user": [name, email], "card": message id,
                                                                    "conversation", "data", "values"}>

Prints one JSON line: what the submitter was told (the form errors, the text) and the conditions stored.
"""
from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from sqlalchemy import select

from vocabulary.interaction import FormErrors
from vocabulary.policy import load_policy
from storage.tables import Condition
from tests.support.clock import Clock

POLICY = Path(__file__).parent.parent / "policies" / "test-policy.yaml"


async def _conditions(app) -> list[str]:
    async with app.db.read() as s:
        return [c.text for c in (await s.execute(select(Condition))).scalars().all()]


async def engine(url: str, a: dict) -> dict:
    from tests.support.harness import Harness

    h = await Harness.start(url, policy=load_policy(POLICY), clock=Clock())
    try:
        seen = await h.person(a["email"], conversation=f"#{a['group']}", kind="channel").submit(
            a["form_id"], a["payload"], a["values"])
        errors = seen.op(FormErrors)
        return {"errors": errors.errors if errors else None, "title": errors.form.title if errors else None,
                "text": seen.text, "conditions": await _conditions(h.app)}
    finally:
        await h.stop()


async def slack(url: str, a: dict) -> dict:
    from tests.support.slack_driver import SlackWorld

    w = await SlackWorld.start(url, policy=load_policy(POLICY), clock=Clock())
    try:
        for uid, email, name in a["users"]:
            w.fake.add_user(uid, email, name, tz="UTC")
        status, answer = await w.submit(a["user"], a["view"], a["values"])
        return {"status": status, "answer": answer, "conditions": await _conditions(w.app),
                "violations": [str(v) for v in w.fake.violations]}
    finally:
        await w.stop()


async def teams(url: str, a: dict) -> dict:
    from tests.support.teams_activities import TeamsAiom, execute, user

    t = await TeamsAiom.start(url, policy=load_policy(POLICY), clock=Clock())
    try:
        u = user(*a["user"])
        t.fake.add_member(u.user_id, name=u.name, aad=u.aad, email=u.email, tenant=u.tenant)
        data = {**a["data"], **{f"f_{k}": v for k, v in a["values"].items()}}
        turn = await t.post(execute(u, data, reply_to=a["card"], service_url=t.service_url,
                                    conversation={"id": a["conversation"], "conversationType": "personal",
                                                  "tenantId": u.tenant}))
        return {"status": turn.status, "text": turn.text, "conditions": await _conditions(t.app)}
    finally:
        await t.stop()


if __name__ == "__main__":
    mode, url, args = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    print(json.dumps(asyncio.run({"engine": engine, "slack": slack, "teams": teams}[mode](url, args))))
