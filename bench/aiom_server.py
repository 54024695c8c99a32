"""`aiom serve` in its own process, pointed at the fakes: Slack (signed requests, SLACK_API_URL at the fake
Web API) or Teams (anonymous, the fake connector as every activity's serviceUrl), on a given database."""
from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from bench.common import SECRET, env_for, free_port, peak_rss_mb, start, stop, wait_http
from bench.fakes import Fake


class AiomServer:
    def __init__(self, db_url: str, fake: Fake, platform: str, *, policy: Path, log: Path,
                 profile: Path | None = None):
        self.db_url, self.fake, self.platform, self.policy, self.log = db_url, fake, platform, policy, log
        self.profile = profile
        self.port = free_port()
        self.proc = None

    @property
    def url(self) -> str:
        path = "/slack/events" if self.platform == "slack" else "/api/messages"
        return f"http://127.0.0.1:{self.port}{path}"

    @property
    def pid(self) -> int:
        return self.proc.pid

    def start(self) -> "AiomServer":
        env = {"DATABASE_URL": self.db_url, "AIOM_PORT": str(self.port), "AIOM_LOG_LEVEL": "WARNING",
               "AIOM_POLICY": str(self.policy)}
        if self.platform == "slack":
            env.update(SLACK_BOT_TOKEN="xoxb-bench", SLACK_SIGNING_SECRET=SECRET, SLACK_API_URL=self.fake.url)
        else:
            env.update(AIOM_TEAMS_ANONYMOUS="1")
        cmd = [sys.executable, "-m", "bot.cli", "serve"]
        if self.profile is not None:  # cProfile the whole server run (a pstats file, written when it stops)
            cmd = [sys.executable, "-m", "cProfile", "-o", str(self.profile), "-m", "bot.cli", "serve"]
        self.proc = start(cmd, env_for(**env), log=self.log)
        try:
            asyncio.run(wait_http(f"http://127.0.0.1:{self.port}/healthz"))
        except RuntimeError:
            self.stop()
            raise RuntimeError(f"aiom serve did not come up; its log:\n{self.log.read_text()[-3000:]}") from None
        return self

    def stop(self) -> dict:
        """Stop it; its peak RSS and the error lines in its log."""
        rss = peak_rss_mb(self.proc.pid) if self.proc is not None else float("nan")
        if self.proc is not None:
            stop(self.proc)
        text = self.log.read_text() if self.log.exists() else ""
        errors = [line for line in text.splitlines() if " ERROR " in line or " CRITICAL " in line]
        return {"peak_rss_mb": rss, "errors_logged": len(errors), "first_errors": errors[:3]}
