"""kill -9 of a real `aiom serve` in the middle of a burst of signed Slack DMs and clicks and Teams messages,
then a restart on the same database: every acknowledged request is recorded exactly once and every person gets
their answer (bench/faults.py does the run; `python -m bench.faults` runs it bigger and repeatedly)."""
from __future__ import annotations

import pytest

from bench.faults import crash_run, postgres_restart_run


async def test_nothing_acknowledged_is_lost_across_a_kill_9(db_url, tmp_path):
    res = await crash_run(db_url, users=5, each=2, concurrency=8, kill_fraction=0.4, lease=2.0, workdir=tmp_path)
    assert res["acknowledged_before_kill"] >= 12 and res["requests"] == 30  # the kill hit mid-burst
    assert res["acknowledged"] == res["requests"]  # the platforms' retries got through after the restart
    assert res["recorded_once"] == res["acknowledged"] and res["lost"] == 0
    assert res["replies_lost"] == 0 and res["replies_delivered"] >= res["replies_expected"]
    assert res["left_open"] == res["left_unsent"] == res["outbox_pending"] == 0
    # duplicates come only from the documented window: a reply sent just before the kill, not yet stamped
    assert res["duplicate_replies"] <= res["acknowledged_before_kill"] + res["in_flight_at_kill"]


def _postgres_binaries() -> bool:
    try:
        from bench.faults import _pg_bin  # noqa: PLC0415

        _pg_bin()
        return True
    except RuntimeError:
        return False


@pytest.mark.skipif(not _postgres_binaries(), reason="needs the Postgres server binaries (apt-get install "
                    "postgresql) for a throwaway cluster of its own; the shared server is never restarted")
async def test_nothing_acknowledged_is_lost_when_postgres_crashes_mid_burst(tmp_path):
    res = await postgres_restart_run(tmp_path / "run", users=5, each=2, concurrency=8, kill_fraction=0.4,
                                     lease=2.0)
    assert res["acknowledged"] == res["requests"] == 30
    assert res["recorded_once"] == res["acknowledged"] and res["lost"] == 0
    assert res["replies_lost"] == 0 and res["left_open"] == res["left_unsent"] == res["outbox_pending"] == 0
