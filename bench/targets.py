"""Issue 9's targets, checked against a run's results: each met, missed, or not measured (and why)."""
from __future__ import annotations

DBS = {"sqlite": "SQLite", "postgres": "PostgreSQL"}
SLACK_LIMIT_S = 3.0
NEAR = 1.0  # "nothing near Slack's 3 s limit": every acknowledgement under a third of it
RSS_MB = 200


def _row(target: str, db: str, measured: str, ok: bool | None, note: str = "") -> dict:
    status = "not measured" if ok is None else ("met" if ok else "missed")
    return {"target": target, "database": DBS.get(db, db), "measured": measured, "status": status, "note": note}


def _ratio(a: float, b: float) -> float:
    return a / b if b else float("inf")


def _ok(entry: dict | None) -> dict | None:
    """A scenario's results without the measurements that failed."""
    if not entry:
        return None
    return {**entry, "aiom": {db: a for db, a in entry["aiom"].items() if "error" not in a},
            "peers": {k: p for k, p in entry["peers"].items() if "error" not in p}}


def check(r: dict) -> list[dict]:
    out: list[dict] = []
    req = {k: _ok(v) for k, v in (r.get("requests") or {}).items()}
    sc, teams = req.get("slack_scorecard"), req.get("teams_card")
    for db in DBS:
        if sc and db in sc["aiom"]:
            a = sc["aiom"][db]
            peer = sc["peers"].get("bolt_default")
            if peer:
                x = _ratio(a["burst"]["effects_per_s"], peer["effects_per_s"])
                session = sc["peers"].get("bolt_session")
                note = (f"{_ratio(a['burst']['effects_per_s'], session['effects_per_s']):.2f}× the bolt peer that "
                        "reuses its session") if session else ""
                out.append(_row("Slack scorecard click: completed effects/s ≥ 1.0× bare bolt (default client)", db,
                                f"{x:.2f}× ({a['burst']['effects_per_s']:.0f} vs {peer['effects_per_s']:.0f}/s)",
                                x >= 1.0, note))
            if a.get("paced"):
                p99 = a["paced"]["p99_ms"]
                out.append(_row("Slack scorecard click: p99 ack < 50 ms at 80 % of aiom's peak", db,
                                f"{p99:.1f} ms at {a['paced']['offered_per_s']:.0f}/s", p99 < 50))
        worst = [(k, run["max_ms"]) for k, s in req.items() if s["platform"] == "slack" and db in s["aiom"]
                 for run in (s["aiom"][db].get("warm_up"), s["aiom"][db]["burst"], s["aiom"][db].get("paced"))
                 if run]
        if worst:
            k, ms = max(worst, key=lambda kv: kv[1])
            out.append(_row(f"Slack: nothing near the {SLACK_LIMIT_S:.0f} s limit (every ack < {NEAR:.0f} s)", db,
                            f"worst {ms:.0f} ms ({k})", ms < NEAR * 1000))
        if teams and db in teams["aiom"]:
            a = teams["aiom"][db]
            peer = teams["peers"].get("echo")
            if peer:
                x = _ratio(a["burst"]["requests_per_s"], peer["requests_per_s"])
                out.append(_row("Teams card answer: turns/s ≥ 3× the unmodified botbuilder echo bot", db,
                                f"{x:.2f}× ({a['burst']['requests_per_s']:.0f} vs {peer['requests_per_s']:.0f}/s)",
                                x >= 3.0))
            if a.get("paced"):
                p99 = a["paced"]["p99_ms"]
                out.append(_row("Teams card answer: p99 < 100 ms at 80 % of aiom's peak", db,
                                f"{p99:.1f} ms at {a['paced']['offered_per_s']:.0f}/s", p99 < 100))
        rss = [(k, s["aiom"][db]["peak_rss_mb"]) for k, s in req.items() if db in s["aiom"]]
        if rss:
            k, mb = max(rss, key=lambda kv: kv[1])
            out.append(_row(f"Server RSS under load < {RSS_MB} MB", db, f"largest {mb:.0f} MB ({k})", mb < RSS_MB))
        out += _digest_sweep(r.get("digest_and_sweep") or {}, db)
        out += _review(req, db)
    return out


def _review(req: dict, db: str) -> list[dict]:
    """Issue 22's review decision targets: CPU per click, effects/s against bolt, and cost with history."""
    fresh, hist = req.get("slack_review"), req.get("slack_review_history")
    if not fresh or db not in fresh["aiom"]:
        return []
    a = fresh["aiom"][db]["burst"]
    cpu = a.get("server_cpu_ms_per_request")
    out = [_row("Slack review decision: ≤ 5 ms server CPU per click", db,
                f"{cpu:.1f} ms" if cpu is not None else "—", cpu <= 5 if cpu is not None else None)]
    peer = fresh["peers"].get("bolt_default")
    if peer:
        x = _ratio(a["effects_per_s"], peer["effects_per_s"])
        out.append(_row("Slack review decision: completed effects/s ≥ 0.5× bare bolt (default client)", db,
                        f"{x:.2f}× ({a['effects_per_s']:.0f} vs {peer['effects_per_s']:.0f}/s)", x >= 0.5))
    if hist and db in hist["aiom"] and cpu:
        h = hist["aiom"][db]["burst"].get("server_cpu_ms_per_request")
        if h is not None:
            out.append(_row("Slack review decision with history (500 entries, 50 conditions, 20 risks): CPU per "
                            "click ≤ 1.5× a fresh use case's", db, f"{h / cpu:.2f}× ({h:.1f} vs {cpu:.1f} ms)",
                            h / cpu <= 1.5))
    return out


def _digest_sweep(ds: dict, db: str) -> list[dict]:
    res = ds.get(db)
    if not res:
        return []
    out = []
    digest = {int(k): v["median_s"] for k, v in res["digest"].items()}
    sweep = {int(k): v["median_s"] for k, v in res["sweep"].items()}
    if 100_000 in digest:
        out.append(_row("Digest for 100,000 use cases < 1 s", db, f"{digest[100_000] * 1000:.0f} ms",
                        digest[100_000] < 1.0))
    else:
        out.append(_row("Digest for 100,000 use cases < 1 s", db, f"largest measured: {max(digest):,}", None,
                        "quick run"))
    if 1_000_000 in sweep:
        out.append(_row("Reminder sweep, 100 due among 1,000,000 < 50 ms", db, f"{sweep[1_000_000] * 1000:.1f} ms",
                        sweep[1_000_000] < 0.05))
    else:
        out.append(_row("Reminder sweep, 100 due among 1,000,000 < 50 ms", db, f"largest measured: {max(sweep):,}",
                        None, "quick run"))
    small, big = min(sweep), max(sweep)
    if big > small:
        growth = sweep[big] / sweep[small]
        out.append(_row("Sweep cost grows with due rows, not table size (largest ≤ 2× smallest table)", db,
                        f"{growth:.2f}× from {small:,} to {big:,} reviews", growth <= 2.0))
    return out
