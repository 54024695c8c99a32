"""The similar-ideas check, measured through the intake on the frozen evaluation set, and timed at scale.

    python -m bench.similar_ideas                      # quality (default policy), then time at 1k / 10k / 100k
    python -m bench.similar_ideas --quality-only
    python -m bench.similar_ideas --sizes 1000 10000   # time only these portfolio sizes
    python -m bench.similar_ideas --lexical-weights 0 0.2 0.35   # also try blending the lexical matcher in
    python -m bench.similar_ideas --quality-only --set tests/data/similar_ideas_holdout.json   # quality on another set

Quality: the 42 existing ideas of tests/data/similar_ideas_eval.json (or of the --set file) are proposed first
(each gets its vector as on submit); then, for every duplicate and every different idea, a new person starts an
intake in the local chat and answers title, problem and outcome, and the bench reads what the chat showed: which use
cases were named (first, or anywhere among the candidates) and whether it asked "this looks like the same idea as
UC-…".

Time: a portfolio of N use cases with their vectors (the filler ideas get random unit vectors: the check's cost
does not depend on what the vectors say, and computing 100,000 real ones takes the encoder about an hour), then a
proposer answers title, problem and outcome; the time of that turn (the whole engine turn: the check, the notice,
the saved state) and of the search alone are reported, median of several checks after the first (the first also
loads the vectors into memory, reported apart). The machine is shared, so the search's CPU time (every thread of
the process: the encoder, numpy, the database driver) is reported beside its wall-clock time, with the load.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SET = ROOT / "tests" / "data" / "similar_ideas_eval.json"
sys.path.insert(0, str(ROOT))


async def _harness(url: str, policy=None):
    from vocabulary.policy import default_policy
    from storage.db import Database
    from storage.migrate import upgrade
    from tests.support.harness import Harness

    db = Database(url)
    await upgrade(db)
    await db.dispose()
    return await Harness.start(url, policy=policy or default_policy())


def _named(text: str) -> tuple[list[int], int | None]:
    """The use case ids the chat named, in order, and the one it asked "the same idea?" about."""
    import re

    flat = " ".join(text.split())
    same = re.search(r"looks like the same idea as UC-(\d+)", flat)
    ids = []
    for m in re.finditer(r"UC-(\d+) “", flat):
        if int(m.group(1)) not in ids:
            ids.append(int(m.group(1)))
    return ids, int(same.group(1)) if same else None


async def _outcome(p, outcome: str):
    """Answer the outcome question; when the outcome coach suggests a rewrite, keep the answer (as many do)."""
    seen = await p.say(outcome)
    if any(b.label == "Keep my answer" for b in p.buttons) and "Keep my answer" in seen.text:
        seen = await p.click("Keep my answer")
    return seen


async def quality(policy=None, lexical_weight: float = 0.0, set_path: Path = SET) -> dict:
    from conversations.similar import search as similar_search
    from tests.support import factories

    similar_search.LEXICAL_WEIGHT = lexical_weight
    data = json.loads(Path(set_path).read_text())
    with tempfile.TemporaryDirectory() as d:
        h = await _harness(f"sqlite:///{d}/eval.db", policy)
        try:
            uc_of = {}
            async with h.app.db.write() as s:
                for e in data["existing"]:
                    uc = await factories.use_case(s, title=e["title"], problem=e["problem"], outcome=e["outcome"])
                    await similar_search.refresh(s, uc.id, uc.title, uc.problem, uc.outcome)
                    uc_of[e["key"]] = uc.id
            rows = []
            for i, q in enumerate(data["duplicates"] + data["different"]):
                p = h.person(f"proposer{i}@example.com")
                await p.say("propose")
                await p.say(q["title"])
                await p.say(q["problem"])
                seen = await _outcome(p, q["outcome"])
                named, same = _named(seen.text)
                await p.say("cancel")
                rows.append((q, named, same))
        finally:
            await h.stop()
    dups = [(q, n, s) for q, n, s in rows if "of" in q]
    diffs = [(q, n, s) for q, n, s in rows if "near" in q]
    hard = [(q, n, s) for q, n, s in dups if q["hard"]]
    first = sum(1 for q, n, _ in dups if n and n[0] == uc_of[q["of"]])
    among = sum(1 for q, n, _ in dups if uc_of[q["of"]] in n)
    hard_among = sum(1 for q, n, _ in hard if uc_of[q["of"]] in n)
    hard_first = sum(1 for q, n, _ in hard if n and n[0] == uc_of[q["of"]])
    same_right = sum(1 for q, _, s in dups if s is not None and s == uc_of[q["of"]])
    same_wrong_dup = sum(1 for q, _, s in dups if s is not None and s != uc_of[q["of"]])
    same_on_diff = sum(1 for _, _, s in diffs if s is not None)
    claims = same_right + same_wrong_dup + same_on_diff
    flagged_diff = sum(1 for _, n, _ in diffs if n)
    missed = [(q["of"], q["title"], bool(q["hard"])) for q, n, _ in dups if uc_of[q["of"]] not in n]
    key_of = {v: k for k, v in uc_of.items()}
    wrong_claims = [(q.get("near") or q.get("of"), q["title"], key_of.get(s)) for q, _, s in rows
                    if s is not None and ("near" in q or s != uc_of[q["of"]])]
    return {
        "lexical_weight": lexical_weight,
        "duplicates named first": f"{first}/{len(dups)} ({first / len(dups):.2f})",
        "duplicates named among the candidates": f"{among}/{len(dups)} ({among / len(dups):.2f})",
        "hard rewordings named among the candidates": f"{hard_among}/{len(hard)} ({hard_among / len(hard):.2f})",
        "hard rewordings named first": f"{hard_first}/{len(hard)}",
        "'same idea' asked about the right idea": f"{same_right}/{claims}"
                                                   + (f" ({same_right / claims:.2f})" if claims else ""),
        "duplicates asked 'same idea?' (right idea)": f"{same_right}/{len(dups)}",
        "different ideas wrongly asked 'same idea?'": f"{same_on_diff}/{len(diffs)}",
        "different ideas shown any related idea": f"{flagged_diff}/{len(diffs)}",
        "missed duplicates (of, title, hard)": missed,
        "wrong 'same idea' questions (key, title, asked about)": wrong_claims,
    }


async def timing(n: int, checks: int = 7) -> dict:
    from sqlalchemy import insert

    from conversations.similar import search as similar_search
    from vocabulary.rules import embedding
    from storage.tables import UseCase, UseCaseVector
    from storage.types import utcnow

    similar_search.LEXICAL_WEIGHT = 0.0
    data = json.loads(SET.read_text())
    rng = np.random.default_rng(17)
    with tempfile.TemporaryDirectory() as d:
        h = await _harness(f"sqlite:///{d}/scale.db")
        try:
            now = utcnow()
            base = UseCase(title="x", created_at=now, updated_at=now, stage_entered_at=now).model_dump(exclude={"id"})
            batch = 5000
            for start in range(0, n, batch):
                m = min(batch, n - start)
                rows = [{**base, "title": f"Filler idea {start + i}", "problem": "Filler problem text.",
                         "outcome": "Filler outcome text."} for i in range(m)]
                vecs = rng.standard_normal((m, embedding.DIM)).astype(np.float32)
                vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
                async with h.app.db.write() as s:
                    await s.execute(insert(UseCase), rows)
                    first_id = start + 1
                    await s.execute(insert(UseCaseVector), [
                        {"use_case_id": first_id + i, "model": embedding.MODEL, "dim": embedding.DIM,
                         "vector": embedding.to_bytes(vecs[i]), "text_hash": "", "computed_at": now}
                        for i in range(m)])
            turn, search, search_cpu = [], [], []
            for i in range(checks + 1):
                q = data["duplicates"][i % len(data["duplicates"])]
                p = h.person(f"t{i}@example.com")
                await p.say("propose")
                await p.say(q["title"])
                await p.say(q["problem"])
                t0 = time.perf_counter()
                seen = await p.say(q["outcome"])
                if "Keep my answer" in seen.text:  # the outcome coach asked first: the check runs on "keep"
                    t0 = time.perf_counter()
                    await p.click("Keep my answer")
                turn.append(time.perf_counter() - t0)
                await p.say("cancel")
                async with h.app.db.read() as s:
                    t0, c0 = time.perf_counter(), time.process_time()
                    await similar_search.search(s, q["title"], q["problem"], q["outcome"], limit=3, threshold=0.35)
                    search.append(time.perf_counter() - t0)
                    search_cpu.append(time.process_time() - c0)
        finally:
            await h.stop()
    ms = lambda xs: round(statistics.median(xs) * 1000, 1)  # noqa: E731
    return {"ideas": n, "first turn ms (loads the vectors)": round(turn[0] * 1000, 1),
            "turn ms (median)": ms(turn[1:]), "search ms (median)": ms(search[1:]),
            "search ms (max)": round(max(search[1:]) * 1000, 1),
            "search CPU ms (median; all the process's threads)": ms(search_cpu[1:]),
            "load average (1 min) after": round(os.getloadavg()[0], 2)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quality-only", action="store_true")
    ap.add_argument("--timing-only", action="store_true")
    ap.add_argument("--sizes", type=int, nargs="*", default=[1000, 10000, 100000])
    ap.add_argument("--lexical-weights", type=float, nargs="*", default=[0.0])
    ap.add_argument("--set", type=Path, default=SET, help="the evaluation set the quality part runs on")
    args = ap.parse_args(argv)
    if not args.timing_only:
        for w in args.lexical_weights:
            result = asyncio.run(quality(lexical_weight=w, set_path=args.set))
            print(json.dumps(result, indent=1, ensure_ascii=False), flush=True)
    if not args.quality_only:
        for n in args.sizes:
            print(json.dumps(asyncio.run(timing(n))), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
