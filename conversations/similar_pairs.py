"""Existing use cases that look like the same idea as each other (`aiom similar --all`, the digest's line).

Every open use case's vector is compared with every other one, a block of rows at a time (a 10,000-idea
portfolio is 50 million comparisons, a few seconds of numpy); a pair is listed when its cosine reaches the
policy's `similar_same_threshold` and neither is already linked to the other.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from conversations import similar_search
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


async def likely_duplicates(session, threshold: float, *, include_restricted: bool = True) -> list[Pair]:
    """Pairs of open use cases scoring at least `threshold`, best first."""
    index = similar_search._index_for(session)
    await index.sync(session)
    live = await vectors.open_use_cases(session)
    keep = [i for i in range(index.n) if int(index.ids[i]) in live
            and (include_restricted or not live[int(index.ids[i])][1])]
    if len(keep) < 2:
        return []
    ids = index.ids[keep]
    mat = index.mat[keep]
    found: list[Pair] = []
    for start in range(0, len(keep), BLOCK):
        scores = mat[start:start + BLOCK] @ mat.T
        rows, cols = np.nonzero(scores >= threshold)
        for r, c in zip(rows, cols):
            i, j = start + int(r), int(c)
            if j <= i:
                continue
            a, b = int(ids[i]), int(ids[j])
            (ta, ra, la), (tb, rb, lb) = live[a], live[b]
            if la == b or lb == a:
                continue
            found.append(Pair(a, ta, b, tb, round(float(scores[r, c]), 3), ra or rb))
    found.sort(key=lambda p: (-p.score, p.a, p.b))
    return found
