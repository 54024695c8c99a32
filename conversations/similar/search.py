"""Finding existing use cases that mean the same as a new idea, over the whole portfolio.

Each use case's title, problem and outcome are stored as a unit vector (vocabulary/rules/embedding.py) when
they are written or edited. A process keeps the vectors of each database in memory (a float32 matrix) and catches
up before every search by reading only the rows written since it last looked, so a search is one query for the
marker, one matrix product over every vector, and one query for the few best rows' titles and status.

Use cases that have no vector yet (imported ones, or all of them after the model changed) are still searched:
up to BACKFILL of them get their vector computed during the check, and any left over are compared with the
lexical matcher (vocabulary/rules/similarity.py), so nothing is silently left out. `aiom similar --reindex`
computes them all.

The score is the cosine of the two vectors. The lexical matcher is also kept as a second signal on the best
candidates: `bench/similar_ideas.py` measures whether blending it in helps (LEXICAL_WEIGHT).
"""
from __future__ import annotations

import asyncio
import hashlib
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from vocabulary.rules import embedding
from vocabulary.rules.similarity import LEXICAL_THRESHOLD, Doc, similar as lexical_similar
from storage.repo import vectors

BACKFILL = 20  # vectors computed during one check when some are missing
POOL = 20  # best vector matches re-read (status, visibility) and re-scored
LEXICAL_WEIGHT = 0.0  # weight of the lexical score in the blend (0: the embedding alone; see the benchmark)
_CACHES = 8
_blas = None


def one_blas_thread():
    global _blas
    if _blas is None:
        from threadpoolctl import ThreadpoolController

        _blas = ThreadpoolController()
    return _blas.limit(limits=1, user_api="blas")


@dataclass(frozen=True)
class Match:
    id: int
    title: str
    restricted: bool
    score: float


def text_hash(text: str) -> str:
    return hashlib.sha256(f"{embedding.MODEL}\n{text}".encode()).hexdigest()


async def refresh(session, use_case_id: int, title: str, problem: str, outcome: str, *, at=None) -> None:
    """Compute and store one use case's vector (after it is written or its title, problem or outcome edited)."""
    text = embedding.idea_text(title, problem, outcome)
    vec = await asyncio.to_thread(embedding.encode_one, text)
    await vectors.put(session, use_case_id, model=embedding.MODEL, dim=embedding.DIM, vector=embedding.to_bytes(vec),
                      text_hash=text_hash(text), at=at)


class _Index:
    """The vectors of one database, in memory: row i of `mat` is use case `ids[i]`."""

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self._reset()

    def _grow(self, need: int) -> None:
        if need <= len(self.ids):
            return
        cap = max(need, 2 * len(self.ids), 1024)
        ids = np.zeros(cap, dtype=np.int64)
        mat = np.zeros((cap, embedding.DIM), dtype=np.float32)
        ids[:self.n], mat[:self.n] = self.ids[:self.n], self.mat[:self.n]
        self.ids, self.mat = ids, mat

    def _reset(self) -> None:
        self.ids = np.zeros(0, dtype=np.int64)
        self.mat = np.zeros((0, embedding.DIM), dtype=np.float32)
        self.n = 0
        self.pos: dict[int, int] = {}
        self.marker: tuple = (0, 0, "")

    def _add(self, rows) -> None:
        self._grow(self.n + len(rows))
        for _, uc_id, raw in rows:
            vec = embedding.from_bytes(raw)
            if vec.shape[0] != embedding.DIM:
                continue
            i = self.pos.get(uc_id)
            if i is None:
                i = self.pos[uc_id] = self.n
                self.ids[i] = uc_id
                self.n += 1
            self.mat[i] = vec

    async def sync(self, session) -> None:
        async with self.lock:
            marker = await vectors.marker(session, embedding.MODEL)
            if marker == self.marker:
                return
            if marker[0] <= self.marker[0]:  # no newer row, yet something changed (a rollback, a wiped
                self._reset()              # database reusing ids): start over
            self._add(await vectors.rows_after(session, embedding.MODEL, self.marker[0]))
            self.marker = marker

    def top(self, q: np.ndarray, k: int, exclude: set[int]) -> list[tuple[int, float]]:
        if self.n == 0:
            return []
        with one_blas_thread():  # memory-bound; more threads only spin on a busy machine
            scores = self.mat[:self.n] @ q
        k = min(k + len(exclude), self.n)
        idx = np.argpartition(-scores, k - 1)[:k] if k < self.n else np.arange(self.n)
        idx = idx[np.argsort(-scores[idx])]
        return [(int(self.ids[i]), float(scores[i])) for i in idx if int(self.ids[i]) not in exclude]


_indexes: OrderedDict[str, _Index] = OrderedDict()


def index_for(session) -> _Index:
    key = str(session.bind.url)
    idx = _indexes.get(key)
    if idx is None:
        idx = _indexes[key] = _Index()
        while len(_indexes) > _CACHES:
            _indexes.popitem(last=False)
    _indexes.move_to_end(key)
    return idx


async def backfill(session, limit: int) -> int:
    """Compute up to `limit` missing vectors; returns how many were computed."""
    rows = await vectors.missing(session, embedding.MODEL, limit)
    for uc_id, title, problem, outcome in rows:
        await refresh(session, uc_id, title, problem, outcome)
    return len(rows)


async def search(session, title: str, problem: str, outcome: str, *, limit: int, threshold: float,
                 exclude: set[int] | None = None) -> list[Match]:
    """The open use cases most like this idea, best first, scoring at least `threshold` (at most `limit`)."""
    exclude = exclude or set()
    text = embedding.idea_text(title, problem, outcome)
    if not text.strip(" ."):
        return []
    n_cases = await vectors.count_use_cases(session)
    index = index_for(session)
    await index.sync(session)
    if index.n < n_cases:  # some have no vector yet: compute a few now
        if await backfill(session, BACKFILL):
            await index.sync(session)
    q = await asyncio.to_thread(embedding.encode_one, text)
    scored = dict(index.top(q, POOL, exclude))
    if index.n < n_cases:  # still some without a vector: compare those by their words
        rest = await vectors.missing(session, embedding.MODEL, n_cases)
        docs = [Doc(r[0], f"{r[1]} {r[2]} {r[3]}") for r in rest if r[0] not in exclude]
        for uc_id, s in lexical_similar(f"{title} {problem} {outcome}", docs, LEXICAL_THRESHOLD, POOL):
            # on the lexical scale; shown as a related idea at most (never as "the same idea")
            scored.setdefault(uc_id, max(threshold, min(s, threshold)))
    if LEXICAL_WEIGHT and scored:
        scored = await _blend(session, f"{title} {problem} {outcome}", scored)
    live = await vectors.live_rows(session, list(scored))
    out = []
    for uc_id, s in sorted(scored.items(), key=lambda kv: -kv[1]):
        if uc_id in live and s >= threshold:
            t, restricted, _ = live[uc_id]
            out.append(Match(uc_id, t, bool(restricted), round(s, 3)))
        if len(out) >= limit:
            break
    return out


async def _blend(session, query: str, scored: dict[int, float]) -> dict[int, float]:
    rows = {r[0]: r for r in await vectors.texts_of(session, list(scored))}
    docs = [Doc(i, f"{r[1]} {r[2]} {r[3]}") for i, r in rows.items()]
    lex = dict(lexical_similar(query, docs, 0.0, len(docs)))
    return {i: (1 - LEXICAL_WEIGHT) * s + LEXICAL_WEIGHT * lex.get(i, 0.0) for i, s in scored.items()}
