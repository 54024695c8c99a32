"""The two fakes of a run, each in its own process: Slack's Web API and the Bot Framework connector."""
from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import dataclass

from bench.common import env_for, first_line_json, free_port, get_json, start, stop


@dataclass
class Fake:
    proc: subprocess.Popen
    url: str   # what a server is given (SLACK_API_URL, or the activities' serviceUrl)
    root: str  # where /_stats is

    def count(self, key: str) -> int:
        return get_json(f"{self.root}/_stats")["counts"].get(key, 0)

    def stats(self) -> dict:
        return get_json(f"{self.root}/_stats")

    def wait_count(self, key: str, target: int, started: float, timeout: float) -> tuple[float, int]:
        """(seconds from `started` until `target` calls of `key` arrived, or until the timeout; calls seen)."""
        deadline = time.monotonic() + timeout
        seen = self.count(key)
        while seen < target and time.monotonic() < deadline:
            time.sleep(0.02)
            seen = self.count(key)
        return time.time() - started, seen

    def stop(self) -> None:
        stop(self.proc)


def slack(users: int) -> Fake:
    """The fake Web API the Slack tests use, counting calls (U000000.. with email user{i}@example.com)."""
    proc = start([sys.executable, "-m", "tests.support.fake_slack", "--port", str(free_port()),
                  "--users", str(users)], env_for())
    info = first_line_json(proc, "the fake Slack Web API")
    return Fake(proc, info["url"], info["root"])


def teams() -> Fake:
    proc = start([sys.executable, "-m", "bench.fake_teams", "--port", "0"], env_for())
    info = first_line_json(proc, "the fake Bot Framework connector")
    return Fake(proc, info["url"], info["root"])
