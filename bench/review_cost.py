"""CPU per review decision, in process: the engine's part of a click, fresh use cases against ones with history.

    python -m bench.review_cost --db sqlite --n 100 [--profile out.pstats]

No HTTP and no platform SDK: N reviewers press Approve on N review cards through aiom's engine (the same turn an
adapter runs: re-read, re-authorise, record, rebuild the card, enqueue and deliver through the outbox to a
recording console deliverer). Half the cards belong to fresh use cases, half to use cases with 500 earlier
audit entries, 50 conditions and 20 risks (bench/review_history.py); the clicks alternate between the two.
Prints the process CPU time per click of each kind and their ratio. `python -m bench` measures the whole
server (bolt, HTTP, Slack client) in the `slack_review` and `slack_review_history` scenarios.
"""
from __future__ import annotations

import argparse
import asyncio
import cProfile
import tempfile
import time
from pathlib import Path

from bench import databases, policy as bench_policy
from bench.review_history import add_conditions, add_history

GROUP = "product"


async def seed(app, n: int) -> list[tuple[int, bool, str]]:
    """2n use cases with their gate open (n fresh, n with history); (review id, with history, reviewer)."""
    from conversations.reviews import gating
    from conversations.context import Ctx
    from storage.types import utcnow
    from tests.support import factories

    pol = app.policy
    gate, now = pol.gate_from("exploration"), utcnow()
    out = []
    async with app.db.write() as s:
        for i in range(2 * n):
            history = i % 2 == 1
            email = f"owner{i}@example.com"
            uc = await factories.use_case(s, title=f"Review cost {i}", proposer=email, business_owner=email,
                                          delivery_owner=f"delivery{i}@example.com", tier="medium", now=now)
            if history:
                await add_history(s, uc, now)
            acting = Ctx(session=s, policy=pol, platforms={"console"}, now=now, person_id=uc.business_owner_id,
                            label=email, platform="console")
            _, rows = await gating.open_gate(acting, uc, gate)
            if history:
                await add_conditions(s, uc, next(r.id for r in rows if r.group_key != GROUP), now)
            out.append((next(r.id for r in rows if r.group_key == GROUP), history, f"reviewer{i}@example.com"))
    await app.dispatcher.drain()
    return out


async def run(db_url: str, policy_path: Path, n: int, profile: Path | None) -> dict:
    from vocabulary.messages import Button
    from vocabulary.policy import load_policy
    from tests.support.harness import Harness

    h = await Harness.start(db_url, policy=load_policy(policy_path))
    try:
        cards = await seed(h.app, n)
        people = {email: h.person(email) for _, _, email in cards}
        for p in people.values():  # first contact, untimed
            await p.say("help")
        spent = {False: 0.0, True: 0.0}
        prof = cProfile.Profile() if profile else None
        for rid, history, email in cards:
            t = time.process_time()
            if prof:
                prof.enable()
            seen = await people[email].press(Button("Approve", "review.approve", {"r": rid}))
            if prof:
                prof.disable()
            spent[history] += time.process_time() - t
            if "Recorded" not in seen.text:
                raise RuntimeError(f"review {rid}: {seen.text[:300]}")
        if prof:
            prof.dump_stats(str(profile))
        return {"fresh_ms": spent[False] / n * 1000, "history_ms": spent[True] / n * 1000,
                "updates": len(h.out.updates)}
    finally:
        await h.stop()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.review_cost", description=__doc__.split("\n\n")[0])
    p.add_argument("--db", choices=databases.KINDS, default="sqlite")
    p.add_argument("--n", type=int, default=100, help="clicks of each kind (fresh, with history)")
    p.add_argument("--postgres-url", default=None)
    p.add_argument("--profile", type=Path, default=None, help="cProfile the clicks into this pstats file")
    a = p.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="aiom-review-cost-"))
    emails = [f"reviewer{i}@example.com" for i in range(2 * a.n)]
    pol = bench_policy.write(folder, {GROUP: emails})
    with databases.scratch(a.db, folder, a.postgres_url) as url:
        r = asyncio.run(run(url, pol, a.n, a.profile))
    print(f"{a.db}: {a.n} clicks each; CPU per click: fresh {r['fresh_ms']:.2f} ms, with history "
          f"{r['history_ms']:.2f} ms (ratio {r['history_ms'] / r['fresh_ms']:.2f}); card updates {r['updates']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
