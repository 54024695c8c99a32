"""Existing use cases that look like the same idea as each other (`aiom similar --all`, the digest's line).

A pair is listed when the cosine of the two ideas' vectors reaches the threshold (the policy's
`similar_same_threshold`), both are open, and neither is already linked to the other.

`--all` compares every vector with every other one, a block of rows at a time (10,000 ideas are 50 million
comparisons, seconds of numpy; 100,000 take minutes). The digest compares only the ideas written or edited since
the previous digest with the whole portfolio, which keeps it within its time budget; older pairs were in earlier
digests and `--all` lists them all.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np

from conversations.similar import search as similar_search
from vocabulary.rules import embedding
from storage.repo import vectors

BLOCK = 2048


@dataclass(frozen=True)
class Pair:
    a: int
    a_title: str
    b: int
    b_title: str
    score: float
    restricted: bool  # either of the two is restricted


async def likely_duplicates(session, threshold: float, *, include_restricted: bool = True,
                            since: datetime | None = None) -> list[Pair]:
    """Pairs scoring at least `threshold`, best first; with `since`, only pairs with an idea written since then."""
    index = similar_search.index_for(session)
    await index.sync(session)
    if index.n < 2:
        return []
    ids, mat = index.ids[:index.n], index.mat[:index.n]
    if since is None:
        rows = np.arange(index.n)
    else:
        fresh = set(await vectors.written_since(session, embedding.MODEL, since))
        rows = np.array([i for i in range(index.n) if int(ids[i]) in fresh], dtype=np.int64)
    candidates: dict[tuple[int, int], float] = {}
    for start in range(0, len(rows), BLOCK):
        block = rows[start:start + BLOCK]
        scores = mat[block] @ mat.T
        for r, c in zip(*np.nonzero(scores >= threshold)):
            i, j = int(block[r]), int(c)
            if i == j:
                continue
            a, b = sorted((int(ids[i]), int(ids[j])))
            candidates[(a, b)] = float(scores[r, c])
    live = await vectors.pair_rows(session, sorted({x for pair in candidates for x in pair}))
    found = []
    for (a, b), score in candidates.items():
        if a not in live or b not in live:
            continue
        (ta, ra, la), (tb, rb, lb) = live[a], live[b]
        if la == b or lb == a or (not include_restricted and (ra or rb)):
            continue
        found.append(Pair(a, ta, b, tb, round(score, 3), ra or rb))
    found.sort(key=lambda p: (-p.score, p.a, p.b))
    return found
