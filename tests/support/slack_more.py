"""More for the Slack tests (next to slack_driver.py): a fake Web API that can be slow, restarting aiom on the
same database, ephemeral answers (response_url) as screens, and Teams on the same aiom."""
from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass, field

from aiohttp import web

from tests.support.block_kit import _strings
from tests.support.fake_slack import FakeSlack
from tests.support.slack_driver import Posted, SlackWorld

_ids = itertools.count(1)


@dataclass
class SlowFakeSlack(FakeSlack):
    """FakeSlack where some methods take their time (seconds per call), failures included."""

    slow: dict[str, float] = field(default_factory=dict)

    async def _api(self, request: web.Request) -> web.Response:
        delay = self.slow.get(request.match_info["method"], 0.0)
        if delay:
            await asyncio.sleep(delay)
        return await super()._api(request)


async def restart(world: SlackWorld, db_url: str, *, policy=None, clock=None) -> SlackWorld:
    """Stop aiom (not the fake Slack) and start a new process on the same database: nothing in memory survives."""
    await world.client.close()
    await world.app.stop()
    return await SlackWorld.start(db_url, policy=policy, clock=clock, fake=world.fake)


def responses(world: SlackWorld, since: int = 0) -> list:
    """What aiom sent through response_urls (ephemeral answers in place), oldest first."""
    return [c for c in world.fake.since(since) if c.method == "respond"]


def as_posted(call, channel: str) -> Posted:
    """A response_url answer as the person sees it: an ephemeral message in `channel` they can click."""
    a = call.args
    return Posted(channel, f"{1_750_000_000 + next(_ids)}.000001", a.get("blocks") or [], a.get("text", ""),
                  ephemeral=True, response_url=f"{world_root(call)}/respond/{a['_key']}")


def world_root(call) -> str:
    host = call.headers.get("Host", "")
    return f"http://{host}"


def text_of(call) -> str:
    out: list[str] = []
    _strings(call.args, out)
    return "\n".join(out)


def plain_texts(obj, out: list[str] | None = None) -> list[str]:
    """Every plain_text object's text (what Slack shows as typed, parsing nothing)."""
    out = [] if out is None else out
    if isinstance(obj, dict):
        if obj.get("type") == "plain_text" and isinstance(obj.get("text"), str):
            out.append(obj["text"])
        for v in obj.values():
            if isinstance(v, (dict, list)):
                plain_texts(v, out)
    elif isinstance(obj, list):
        for v in obj:
            plain_texts(v, out)
    return out
