"""Several processes sending into one Slack channel or Teams conversation: AIOM_PACE_PROCESSES=N gives each
process 1/N of the platform's pace, so N of them together keep to it."""
from __future__ import annotations

from bot.slack.pacing import Pacer
from bot.teams.retry import SEND_LIMITS, Pace


class Clock:
    t = 1000.0

    def __call__(self) -> float:
        return self.t


def waits(pacer: Pacer, n: int) -> list[float]:
    return [round(pacer._take("CLEADERSHIP"), 2) for _ in range(n)]


def test_one_process_keeps_slacks_whole_pace(monkeypatch):
    monkeypatch.delenv("AIOM_PACE_PROCESSES", raising=False)
    assert waits(Pacer(clock=Clock()), 5) == [0, 0, 0, 1.0, 2.0]  # a burst of three, then one a second


def test_three_processes_each_keep_a_third(monkeypatch):
    monkeypatch.setenv("AIOM_PACE_PROCESSES", "3")
    assert waits(Pacer(clock=Clock()), 3) == [0, 3.0, 6.0]  # together: one a second into the channel


def test_teams_per_conversation_limits_are_shared(monkeypatch):
    monkeypatch.setenv("AIOM_PACE_PROCESSES", "2")
    pace = Pace(clock=Clock())
    import asyncio

    asyncio.run(pace.acquire("send", "a:conv"))
    window = pace._windows[("send", "a:conv")]
    assert tuple(window.limits) == tuple((s, max(1, c // 2)) for s, c in SEND_LIMITS)  # 3 a second each, not 7
