"""What every benchmark shares: ports, child processes (started, watched, stopped), their memory and CPU,
waiting for a server to come up, and latency percentiles."""
from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "bench" / "results"
SECRET = "bench-signing-secret-0123456789"  # the Slack signing secret of every Slack server in a run


def free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def env_for(**extra: str) -> dict[str, str]:
    """This environment without any platform, aiom or database setting, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "MICROSOFT_", "AIOM_", "DATABASE_URL"))}
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env.update(extra)
    return env


def peak_rss_mb(pid: int) -> float:
    """The process's high-water mark of resident memory so far (VmHWM, Linux)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return float("nan")


def start(cmd: list[str], env: dict, log: Path | None = None) -> subprocess.Popen:
    """A child process in its own session: stdout on a pipe (fakes and peers print one JSON line there), stderr
    (logs) into `log`, or /dev/null, so a chatty child never blocks on a full pipe."""
    err = open(log, "w") if log is not None else subprocess.DEVNULL  # noqa: SIM115 (the child keeps its own copy)
    try:
        return subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=err, text=True,
                                start_new_session=True)
    finally:
        if log is not None:
            err.close()


def stop(proc: subprocess.Popen, timeout: float = 20) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


def first_line_json(proc: subprocess.Popen, what: str) -> dict:
    """The JSON line a fake or peer prints once it listens (its URL)."""
    line = proc.stdout.readline()
    try:
        return json.loads(line)
    except ValueError:
        raise RuntimeError(f"{what} did not start (exit status {proc.poll()}): {line!r}") from None


async def wait_http(url: str, timeout: float = 60) -> None:
    import aiohttp

    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline:
            try:
                async with http.get(url) as r:
                    if r.status < 500:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


def get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as r:
        return json.loads(r.read())


def summary(res: dict) -> dict:
    """requests/s, p50 / p99 / max milliseconds from request to response, errors, of one load-client run."""
    lat = sorted(res["latencies"])
    q = statistics.quantiles(lat, n=100, method="inclusive") if len(lat) > 1 else lat * 99
    return {"requests_per_s": res["n"] / res["seconds"], "p50_ms": q[49] * 1000, "p99_ms": q[98] * 1000,
            "max_ms": lat[-1] * 1000, "errors": res["errors"], "n": res["n"], "seconds": res["seconds"]}
