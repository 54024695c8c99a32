"""The combined report: one Markdown table per part (requests, digest and sweep, export, targets), written with
the JSON to bench/results/latest.{md,json} and printed."""
from __future__ import annotations

import json

from bench import digest_and_sweep
from bench.common import RESULTS
from bench.runs import PEERS
from bench.targets import DBS


def _f(x: float | None, digits: int = 0) -> str:
    return "—" if x is None or x != x else f"{x:,.{digits}f}"


def _ratios(a: dict, peers: dict) -> str:
    """aiom's completed effects/s against each peer's (Teams: turns/s against the echo bot's)."""
    out = []
    for kind, p in peers.items():
        key = "requests_per_s" if kind.startswith("echo") else "effects_per_s"
        if p.get(key):
            out.append(f"{a[key] / p[key]:.2f}× {kind}")
    return ", ".join(out) or "—"


def request_rows(req: dict) -> list[str]:
    lines = ["| scenario | server | database | requests/s | p50 ms | p99 ms | max ms | effects/s | rows written | "
             "peak RSS MB | aiom / peer |", "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"]
    for s in req.values():
        failed = [(PEERS[k][0], "—", x) for k, x in s["peers"].items() if "error" in x]
        failed += [("aiom", DBS[db], x) for db, x in s["aiom"].items() if "error" in x]
        lines += [f"| {s['title']} | {who} | {db} | failed: {x['error'][:200]} | | | | | | | |" for who, db, x in failed]
        peers = {k: p for k, p in s["peers"].items() if "error" not in p}
        for kind, p in peers.items():
            lines.append(f"| {s['title']} | {PEERS[kind][0]} | — | {_f(p['requests_per_s'])} | {_f(p['p50_ms'], 1)} | "
                         f"{_f(p['p99_ms'], 1)} | {_f(p['max_ms'])} | {_f(p['effects_per_s'])} | — | "
                         f"{_f(p['peak_rss_mb'])} | |")
        for db, a in s["aiom"].items():
            if "error" in a:
                continue
            runs = [("aiom, burst", a["burst"])]
            if a.get("paced"):
                runs.append((f"aiom, offered {a['paced']['offered_per_s']:.0f}/s (80 %)", a["paced"]))
            for name, x in runs:
                drained = "" if x["drained"] else f" ({x['effects']} of {x['n']})"
                ratio = _ratios(x, peers) if name == "aiom, burst" else ""
                lines.append(f"| {s['title']} | {name} | {DBS[db]} | {_f(x['requests_per_s'])} | {_f(x['p50_ms'], 1)} | "
                             f"{_f(x['p99_ms'], 1)} | {_f(x['max_ms'])} | {_f(x['effects_per_s'])}{drained} | "
                             f"{x['rows_written']} | {_f(a['peak_rss_mb'])} | {ratio} |")
    return lines


def export_rows(ex: dict) -> list[str]:
    lines = ["| format | use cases | peak RSS MB | seconds | file MB |", "| --- | ---: | ---: | ---: | ---: |"]
    lines += [f"| {fmt} | {ex['count']:,} | {_f(x['peak_rss_mb'])} | {_f(x['seconds'], 1)} | {_f(x['file_mb'], 1)} |"
              for fmt, x in ex["formats"].items()]
    if ex.get("baseline_mb"):
        lines += ["", f"The same export of an empty portfolio: {ex['baseline_mb']:.0f} MB (interpreter and libraries)."]
    return lines


def target_rows(targets: list[dict]) -> list[str]:
    lines = ["| target | database | measured | result |", "| --- | --- | --- | --- |"]
    lines += [f"| {t['target']} | {t['database']} | {t['measured']}{'; ' + t['note'] if t['note'] else ''} | "
              f"**{t['status']}** |" for t in targets]
    return lines


def markdown(r: dict) -> str:
    m = r["meta"]
    lines = [f"# aiom benchmarks ({m['date']}{', quick' if m['quick'] else ''})", "",
             f"{m['machine']}; load average {m['load']} at the start. {m['count']:,} requests per batch, "
             f"{m['concurrency']} connections, everything over 127.0.0.1.", ""]
    if r.get("requests"):
        lines += ["## Requests", "", *request_rows(r["requests"]), "",
                  "p50 / p99 / max: from request to response (Slack: the acknowledgement). Effects: "
                  + "; ".join(f"{s['title']}: {s['effect_words']}" for s in r["requests"].values())
                  + ". Effects/s runs from the first request until the fake has seen the last effect. "
                  "Ratios: completed effects/s (Teams: turns/s) of aiom's burst over each peer's.", ""]
    if r.get("digest_and_sweep"):
        ds = {k: v for k, v in r["digest_and_sweep"].items() if k in DBS}
        lines += ["## Digest and reminder sweep", "", *digest_and_sweep.table(ds), "",
                  f"Median of {r['digest_and_sweep']['runs']} runs each. {digest_and_sweep.SWEEP_WORDS}", ""]
    if r.get("export"):
        lines += ["## Export memory (SQLite)", "", *export_rows(r["export"]), ""]
    lines += ["## Targets (issue 9)", "", *target_rows(r["targets"]), ""]
    return "\n".join(lines)


def write(r: dict) -> str:
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "latest.json").write_text(json.dumps(r, indent=2, default=str) + "\n")
    md = markdown(r)
    (RESULTS / "latest.md").write_text(md)
    return md
