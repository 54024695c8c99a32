"""aiom's real aiohttp app with Slack attached, driven by signed requests against the fake Web API.

`SlackWorld.start()` builds what `aiom serve` builds (make_web_app + attach_platforms + app.start) with
SLACK_API_URL pointing at a `FakeSlack`, and offers the things a Slack user does: DM the bot, mention it,
click a button on a message the bot posted, submit a modal, run /aiom, open App Home.
"""
from __future__ import annotations

import asyncio
import itertools
import json
import time
from dataclasses import dataclass, field

from aiohttp.test_utils import TestClient, TestServer

from bot.app import App
from bot.config import load_settings
from bot.wiring import attach_platforms
from bot.server import make_web_app
from bot.slack.adapter import RUNTIME_KEY
from tests.support import slack_signing as signing
from tests.support.fake_slack import BOT_USER, HOME_TEAM, Call, FakeSlack

_ids = itertools.count(1)


def dm_channel(uid: str) -> str:
    return "D" + uid.lstrip("UW")


@dataclass
class Posted:
    """A message as the user sees it now (after updates)."""

    channel: str
    ts: str
    blocks: list
    text: str
    thread_ts: str | None = None
    ephemeral: bool = False
    response_url: str = ""

    def buttons(self) -> list[dict]:
        return [e for b in self.blocks if b.get("type") == "actions" for e in b["elements"]]

    def button(self, label: str) -> dict:
        found = [e for e in self.buttons() if e["text"]["text"] == label] or \
                [e for e in self.buttons() if label.lower() in e["text"]["text"].lower()]
        if not found:
            raise AssertionError(f"no button {label!r} among {[e['text']['text'] for e in self.buttons()]}")
        return found[0]

    @property
    def all_text(self) -> str:
        from tests.support.block_kit import _strings

        out: list[str] = []
        _strings({"blocks": self.blocks, "text": self.text}, out)
        return "\n".join(out)


@dataclass
class SlackWorld:
    fake: FakeSlack
    app: App
    client: TestClient
    screens: dict = field(default_factory=dict)  # (channel, ts) -> Posted
    _seen: int = 0

    @classmethod
    async def start(cls, db_url: str, *, policy=None, clock=None, fake: FakeSlack | None = None,
                    extra_env: dict | None = None) -> "SlackWorld":
        fake = fake or FakeSlack()
        if not fake.port:
            await fake.start()
        env = {"DATABASE_URL": db_url, "SLACK_BOT_TOKEN": "xoxb-test-token", "SLACK_SIGNING_SECRET": signing.SECRET,
               "SLACK_API_URL": fake.base_url, **(extra_env or {})}
        settings = load_settings(env, env_file=None)
        kw = {}
        if clock is not None:
            kw["clock"] = clock
        app = App.create(settings, policy=policy, **kw)
        web_app = make_web_app(app)
        attach_platforms(app, web_app)
        await app.start(migrate=False, background=False)
        client = TestClient(TestServer(web_app))
        await client.start_server()
        world = cls(fake=fake, app=app, client=client)
        # Tests type faster than people: lift the per-channel pace (tests of pacing set it back).
        world.rt.api.pacer.rate = world.rt.api.pacer.burst = 10_000
        return world

    async def stop(self) -> None:
        await self.client.close()
        await self.app.stop()
        await self.fake.stop()

    @property
    def rt(self):
        return self.client.server.app[RUNTIME_KEY]

    # -- waiting ----------------------------------------------------------------------
    async def settle(self) -> None:
        """Let the work after ack finish, deliver the outbox, and update what each user sees."""
        for _ in range(3):
            await asyncio.sleep(0)
        await self.rt.idle()
        await self.app.dispatcher.drain()
        await self.rt.idle()
        self._refresh()

    def _refresh(self) -> None:
        for c in self.fake.calls[self._seen:]:
            if c.status != 200 or not c.result.get("ok", c.method == "respond"):
                continue
            a = c.args
            if c.method == "chat.postMessage":
                self.screens[(c.result["channel"], c.result["ts"])] = Posted(
                    a["channel"], c.result["ts"], a.get("blocks") or [], a.get("text", ""), a.get("thread_ts"))
            elif c.method == "chat.update":
                old = self.screens.get((a["channel"], a["ts"]))
                self.screens[(a["channel"], a["ts"])] = Posted(a["channel"], a["ts"], a.get("blocks") or [],
                                                               a.get("text", ""), old.thread_ts if old else None)
            elif c.method == "chat.postEphemeral":
                self.screens[(a["channel"], c.result["message_ts"])] = Posted(
                    a["channel"], c.result["message_ts"], a.get("blocks") or [], a.get("text", ""),
                    a.get("thread_ts"), ephemeral=True, response_url=f"{self.fake.root}/respond/e{next(_ids)}")
        self._seen = len(self.fake.calls)

    def last(self, channel: str | None = None, *, with_button: str | None = None) -> Posted:
        """The most recently posted message (in `channel`), optionally the last one offering a button."""
        for p in reversed(list(self.screens.values())):
            if channel is not None and p.channel != channel:
                continue
            if with_button is not None and not any(with_button.lower() in e["text"]["text"].lower()
                                                   for e in p.buttons()):
                continue
            return p
        raise AssertionError(f"no message in {channel or 'any channel'}" +
                             (f" with a button {with_button!r}" if with_button else ""))

    # -- requests -----------------------------------------------------------------------------
    async def _post(self, body: str, headers: dict) -> tuple[int, str]:
        r = await self.client.post("/slack/events", data=body.encode(), headers=headers)
        text = await r.text()
        await self.settle()
        return r.status, text

    def envelope(self, event: dict, event_id: str | None = None, team: str = HOME_TEAM) -> dict:
        return {"token": "legacy", "team_id": team, "api_app_id": "AAIOM", "type": "event_callback",
                "event": event, "event_id": event_id or f"Ev{next(_ids):08d}", "event_time": int(time.time()),
                "authorizations": [{"team_id": HOME_TEAM, "user_id": BOT_USER, "is_bot": True}]}

    async def event(self, event: dict, *, event_id: str | None = None, team: str = HOME_TEAM, **sign) -> int:
        body, headers = signing.event_request(self.envelope(event, event_id, team), **sign)
        status, _ = await self._post(body, headers)
        return status

    def _ts(self) -> str:
        n = next(_ids)
        return f"{1_700_000_000 + n}.{n:06d}"

    async def dm(self, user: str, text: str, **kw) -> int:
        event = {"type": "message", "channel": dm_channel(user), "user": user, "text": text, "ts": self._ts(),
                 "channel_type": "im", "team": HOME_TEAM}
        return await self.event(event, **kw)

    async def mention(self, user: str, channel: str, text: str, thread_ts: str | None = None, **kw) -> int:
        event = {"type": "app_mention", "channel": channel, "user": user, "text": f"<@{BOT_USER}> {text}",
                 "ts": self._ts(), "team": HOME_TEAM}
        if thread_ts:
            event["thread_ts"] = thread_ts
        return await self.event(event, **kw)

    def user_json(self, user: str) -> dict:
        u = self.fake.users.get(user)
        return {"id": user, "username": user.lower(), "name": u.name if u else user,
                "team_id": u.team_id if u else HOME_TEAM}

    def click_payload(self, user: str, message: Posted, button: dict) -> dict:
        container = {"type": "message", "message_ts": message.ts, "channel_id": message.channel,
                     "is_ephemeral": message.ephemeral}
        msg = {"type": "message", "ts": message.ts, "text": message.text, "blocks": message.blocks}
        if message.thread_ts:
            msg["thread_ts"] = message.thread_ts
            container["thread_ts"] = message.thread_ts
        action = {"type": "button", "action_id": button["action_id"], "block_id": "b", "text": button["text"],
                  "action_ts": f"{time.time():.6f}"}
        if "value" in button:
            action["value"] = button["value"]
        payload = {"type": "block_actions", "user": self.user_json(user), "api_app_id": "AAIOM", "token": "legacy",
                   "container": container, "trigger_id": f"trig.{next(_ids)}", "team": {"id": HOME_TEAM},
                   "enterprise": None, "is_enterprise_install": False,
                   "channel": {"id": message.channel,
                               "name": "directmessage" if message.channel.startswith("D") else "general"},
                   "response_url": message.response_url or f"{self.fake.root}/respond/r{next(_ids)}",
                   "actions": [action]}
        if not message.ephemeral:
            payload["message"] = msg
        return payload

    async def click(self, user: str, label: str, message: Posted | None = None, **sign) -> tuple[int, str]:
        message = message or self.last(with_button=label)
        payload = self.click_payload(user, message, message.button(label))
        body, headers = signing.interaction_request(payload, **sign)
        return await self._post(body, headers)

    async def interact(self, payload: dict, **sign) -> tuple[int, str]:
        body, headers = signing.interaction_request(payload, **sign)
        return await self._post(body, headers)

    async def command(self, user: str, text: str, channel: str = "CGENERAL") -> tuple[int, str]:
        fields = {"token": "legacy", "team_id": HOME_TEAM, "team_domain": "test", "channel_id": channel,
                  "channel_name": "general", "user_id": user, "user_name": user.lower(), "command": "/aiom",
                  "text": text, "api_app_id": "AAIOM", "response_url": f"{self.fake.root}/respond/c{next(_ids)}",
                  "trigger_id": f"trig.{next(_ids)}"}
        body, headers = signing.command_request(fields)
        return await self._post(body, headers)

    async def shortcut(self, user: str, callback_id: str = "aiom_propose") -> tuple[int, str]:
        payload = {"type": "shortcut", "token": "legacy", "action_ts": f"{time.time():.6f}",
                   "team": {"id": HOME_TEAM}, "user": self.user_json(user), "callback_id": callback_id,
                   "trigger_id": f"trig.{next(_ids)}"}
        return await self.interact(payload)

    def last_view(self) -> dict:
        return self.fake.calls_to("views.open")[-1].result["view"]

    async def submit(self, user: str, view: dict, values: dict) -> tuple[int, dict]:
        """Submit a modal: `values` by field name (text, option key, ISO date, or a Slack user id)."""
        state: dict = {}
        for b in view["blocks"]:
            if b.get("type") != "input":
                continue
            name = b["block_id"][2:]
            el = b["element"]
            v = values.get(name)
            t = el["type"]
            if t == "static_select":
                opt = next((o for o in el["options"] if o["value"] == v), None)
                entry = {"type": t, "selected_option": opt}
            elif t == "datepicker":
                entry = {"type": t, "selected_date": v}
            elif t == "users_select":
                entry = {"type": t, "selected_user": v}
            else:
                entry = {"type": t, "value": v}
            state[b["block_id"]] = {el["action_id"]: entry}
        payload = {"type": "view_submission", "team": {"id": HOME_TEAM}, "user": self.user_json(user),
                   "api_app_id": "AAIOM", "token": "legacy", "trigger_id": f"trig.{next(_ids)}",
                   "view": {**view, "state": {"values": state}}, "response_urls": []}
        status, text = await self.interact(payload)
        return status, (json.loads(text) if text.strip().startswith("{") else {})

    async def open_home(self, user: str) -> dict:
        await self.event({"type": "app_home_opened", "user": user, "channel": dm_channel(user), "tab": "home",
                          "event_ts": self._ts()})
        return self.fake.calls_to("views.publish")[-1].args["view"]

    def calls(self, method: str) -> list[Call]:
        return self.fake.calls_to(method)

    def seen_in(self, channel: str) -> str:
        """Everything posted or updated in a channel, as text."""
        return self.fake.seen_text([c for c in self.fake.messages() if c.args.get("channel") == channel])
