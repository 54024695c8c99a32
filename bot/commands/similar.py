"""`aiom similar`: the similar-ideas check's vectors, its answers and the portfolio's likely duplicates.

    aiom similar --reindex   compute every missing or out-of-date vector (a progress bar on stderr), e.g. after
                             an import or when the model changes; vectors of another model are then removed
    aiom similar --report    what proposers answered to the notices: how often "the same idea?" was right
    aiom similar --all       pairs of open use cases that look like the same idea
"""
from __future__ import annotations

import asyncio
import sys
import time

from bot.commands.common import app_or_exit, fail, settings_or_exit

BATCH = 16


def add(sub) -> None:
    p = sub.add_parser("similar", help="similar ideas: recompute vectors, report answers, list likely duplicates")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--reindex", action="store_true", help="compute every missing or out-of-date vector")
    g.add_argument("--report", action="store_true", help="what proposers answered to the similar-ideas notices")
    g.add_argument("--all", action="store_true", help="list pairs of use cases that look like the same idea")
    p.add_argument("--threshold", type=float, default=None,
                   help="with --all: the cosine a pair must reach (default: the policy's similar_same_threshold)")
    p.set_defaults(func=run)


def run(args) -> int:
    if not (args.reindex or args.report or args.all):
        fail("Say what to do: aiom similar --reindex, --report or --all (see aiom similar --help).")
    if args.threshold is not None and not 0 <= args.threshold <= 1:
        fail("--threshold is a cosine between 0 and 1, for example 0.65.")
    settings = settings_or_exit()
    return asyncio.run(_run(settings, args))


async def _run(settings, args) -> int:
    from storage.migrate import upgrade

    app = app_or_exit(settings)
    try:
        await upgrade(app.db)
        if args.reindex:
            return await reindex(app.db)
        if args.report:
            return await report(app.db)
        threshold = args.threshold if args.threshold is not None else app.policy.intake.similar_same_threshold
        return await all_pairs(app.db, threshold)
    finally:
        await app.db.dispose()


def _bar(done: int, total: int, started: float, out=sys.stderr) -> None:
    width = 30
    filled = int(width * done / total) if total else width
    rate = done / (time.monotonic() - started) if done else 0
    left = f", about {int((total - done) / rate)} s left" if rate and done < total else ""
    out.write(f"\rComputing vectors [{'#' * filled}{'.' * (width - filled)}] {done}/{total}{left}   ")
    out.flush()


async def reindex(db) -> int:
    from conversations.similar import search as similar_search
    from vocabulary.rules import embedding
    from storage.repo import vectors

    async with db.read() as s:
        have = await vectors.hashes(s, embedding.MODEL)
        rows = await vectors.texts(s)
    todo = [r for r in rows
            if have.get(r[0]) != similar_search.text_hash(embedding.idea_text(r[1], r[2], r[3]))]
    total = len(todo)
    print(f"{len(rows)} use case{'s' if len(rows) != 1 else ''}; {total} need{'s' if total == 1 else ''} a vector "
          f"({embedding.MODEL}).")
    started = time.monotonic()
    for start in range(0, total, BATCH):
        chunk = todo[start:start + BATCH]
        async with db.write() as s:
            for uc_id, title, problem, outcome in chunk:
                await similar_search.refresh(s, uc_id, title, problem, outcome)
        _bar(start + len(chunk), total, started)
    if total:
        sys.stderr.write("\n")
    async with db.write() as s:
        removed = await vectors.delete_other_models(s, embedding.MODEL)
    print(f"Done: {total} vector{'s' if total != 1 else ''} computed"
          + (f", {removed} of an earlier model removed" if removed else "") + ".")
    return 0


async def report(db) -> int:
    from storage.repo import vectors

    async with db.read() as s:
        rows = await vectors.answers(s)
    if not rows:
        print("No proposer has answered a similar-ideas notice yet.")
        return 0
    for notice, heading in (("same", "“This looks like the same idea” questions"),
                            ("related", "Related ideas shown")):
        mine = [r for r in rows if r.notice == notice]
        counts = {a: sum(1 for r in mine if r.answer == a) for a in ("same", "related", "not_related", "other")}
        n = len(mine)
        print(f"{heading}: {n}")
        if not n:
            continue
        for a, label in (("same", "the same idea (joined)"), ("related", "related (linked, or told its owners)"),
                         ("not_related", "not related (went on as a new idea)"),
                         ("other", "chose another idea of the same notice")):
            print(f"  {label}: {counts[a]} ({counts[a] / n:.0%})")
        if notice == "same":
            print(f"  the question was right (same or related) {(counts['same'] + counts['related']) / n:.0%} "
                  "of the time")
    return 0


async def all_pairs(db, threshold: float) -> int:
    from vocabulary.rules import embedding
    from conversations.similar.pairs import likely_duplicates
    from storage.repo import vectors

    async with db.read() as s:
        pairs = await likely_duplicates(s, threshold)
        without = await vectors.count_missing(s, embedding.MODEL)
    if without:
        print(f"{without} use case{'s have' if without != 1 else ' has'} no vector yet and {'are' if without != 1 else 'is'} "
              "left out: run aiom similar --reindex first.")
    if not pairs:
        print(f"No two open use cases look like the same idea (cosine {threshold:.2f} or more).")
        return 0
    print(f"{len(pairs)} pair{'s' if len(pairs) != 1 else ''} of open use cases look like the same idea "
          f"(cosine {threshold:.2f} or more):")
    for p in pairs:
        mark = " (restricted)" if p.restricted else ""
        print(f"  UC-{p.a} “{p.a_title}” and UC-{p.b} “{p.b_title}”: {p.score:.2f}{mark}")
    return 0
