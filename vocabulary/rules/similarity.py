"""Finding existing use cases that look like a new idea (duplicated pilots are what the model exists to stop).

Documents are title + problem + outcome. Words are lower-cased, stop words
(including generic words like "assistant" or "bot") dropped, American -ize
spellings read as -ise, and reduced to a crude stem (so "triaging" meets
"triage"); everyday business synonyms are folded together (vendor/supplier,
agreement/contract, reconcile/match, prioritise/sort/route). Similarity is the cosine of
IDF-weighted stem counts over the candidate set, blended with character
trigram overlap of the stems, which catches spelling variants.
"""
from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass

STOP = set("""a an and are as at be been being but by can could do does for from has have how i in into is it its
of on or our so than that the their them then there these they this to up us use using was we were what when
which while who will with would you your more less via per about across all any also based each new help get make
need needs ai model models tool tools automate automated automatically automatic automation idea assistant
assistants helper bot bots chatbot copilot system solution ones first just very too able""".split())

SYNONYMS = {
    "faster": "speed", "quicker": "speed", "quick": "speed", "fast": "speed", "speed": "speed",
    "shorten": "reduc", "cut": "reduc", "lower": "reduc", "decrease": "reduc", "reduce": "reduc", "fewer": "reduc",
    "customer": "client", "customers": "client", "clients": "client", "client": "client",
    "email": "mail", "emails": "mail", "mail": "mail", "inbox": "mail",
    "ticket": "request", "tickets": "request", "requests": "request", "request": "request", "case": "request",
    "cases": "request", "invoice": "bill", "invoices": "bill", "bill": "bill", "bills": "bill",
    "summarise": "summar", "summarize": "summar", "summary": "summar", "summaries": "summar",
    "sort": "triag", "sorting": "triag", "route": "triag", "routing": "triag", "prioritise": "triag",
    "prioritize": "triag", "classify": "triag", "categorise": "triag", "categorize": "triag",
    "employee": "staff", "employees": "staff", "staff": "staff", "colleagues": "staff",
    # Everyday business synonyms: two teams describing the same pilot rarely use the same nouns.
    "vendor": "supplier", "vendors": "supplier", "supplier": "supplier", "suppliers": "supplier",
    "provider": "supplier", "providers": "supplier",
    "contract": "contract", "contracts": "contract", "agreement": "contract", "agreements": "contract",
    "clause": "clause", "clauses": "clause", "term": "clause", "terms": "clause",
    "match": "match", "matching": "match", "matches": "match", "reconcile": "match", "reconciling": "match",
    "reconciliation": "match", "pair": "match", "pairing": "match",
    "helpdesk": "support", "servicedesk": "support", "support": "support",
    "message": "mail", "messages": "mail",
    "urgent": "urgent", "urgency": "urgent", "priority": "urgent", "priorities": "urgent",
    "assign": "triag", "assigning": "triag", "dispatch": "triag", "send": "triag", "forward": "triag",
    "team": "team", "teams": "team", "group": "team", "groups": "team", "department": "team",
    "spot": "detect", "flag": "detect", "flags": "detect", "detect": "detect", "identify": "detect",
    "highlight": "detect",
    "pos": "purchas", "po": "purchas",
    "holiday": "leave", "holidays": "leave", "vacation": "leave", "absence": "leave",
}

# The lexical score's own scale (it is not a cosine of meaning vectors): used where a use case has no vector yet.
LEXICAL_THRESHOLD = 0.35

AMERICAN = re.compile(r"iz(e|es|ed|er|ers|ing|ation|ations)$")
SUFFIXES = ("ational", "isation", "isers", "iser", "ising", "ised", "ises", "ise", "fulness", "ements", "ement",
            "ations", "ation", "ings", "ing", "ness", "ment", "ies", "ied", "ers", "er", "ed", "es", "ly", "s", "e")


def stem(word: str) -> str:
    if word in SYNONYMS:
        return SYNONYMS[word]
    word = AMERICAN.sub(r"is\1", word)  # summarize -> summarise, organization -> organisation
    if word in SYNONYMS:
        return SYNONYMS[word]
    for suf in SUFFIXES:
        if word.endswith(suf) and len(word) - len(suf) >= 4:
            return word[: -len(suf)]
    return word


def tokens(text: str) -> list[str]:
    words = re.findall(r"[a-z][a-z0-9]+", text.lower())
    return [stem(w) for w in words if w not in STOP and len(w) > 2]


@dataclass(frozen=True)
class Doc:
    id: int
    text: str


def _trigrams(stems: set[str]) -> set[str]:
    out = set()
    for s in stems:
        padded = f" {s} "
        out.update(padded[i:i + 3] for i in range(len(padded) - 2))
    return out


def similar(query: str, docs: list[Doc], threshold: float, limit: int = 3) -> list[tuple[int, float]]:
    """(doc id, score) of docs scoring at least `threshold`, best first."""
    q_tokens = tokens(query)
    if not q_tokens or not docs:
        return []
    doc_tokens = [tokens(d.text) for d in docs]
    n = len(docs) + 1
    df: Counter = Counter()
    for toks in [q_tokens, *doc_tokens]:
        df.update(set(toks))
    # Smoothed IDF (1 + ln((1+n)/(1+df))): rare words weigh more, yet with only one or two existing ideas a
    # shared word still counts fully (an unsmoothed IDF would treat every shared word as noise).
    idf = {t: 1 + math.log((n + 1) / (c + 1)) for t, c in df.items()}

    def vec(toks: list[str]) -> dict[str, float]:
        counts = Counter(toks)
        return {t: (1 + math.log(c)) * idf[t] for t, c in counts.items()}

    qv = vec(q_tokens)
    qn = math.sqrt(sum(v * v for v in qv.values()))
    q_tri = _trigrams(set(q_tokens))
    scored = []
    for d, toks in zip(docs, doc_tokens):
        if not toks:
            continue
        dv = vec(toks)
        dn = math.sqrt(sum(v * v for v in dv.values()))
        cos = sum(w * dv.get(t, 0.0) for t, w in qv.items()) / (qn * dn) if qn and dn else 0.0
        d_tri = _trigrams(set(toks))
        jac = len(q_tri & d_tri) / len(q_tri | d_tri) if q_tri and d_tri else 0.0
        score = 0.7 * cos + 0.3 * jac
        if score >= threshold:
            scored.append((d.id, round(score, 3)))
    scored.sort(key=lambda x: -x[1])
    return scored[:limit]
