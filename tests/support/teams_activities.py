"""Bot Framework activities as Teams sends them, and a driver that POSTs them to a running aiom.

`TeamsAiom.start(...)` runs aiom's real aiohttp application (make_web_app +
attach_platforms + app.start) on 127.0.0.1 with the real botbuilder adapter,
and a `FakeConnector` as every activity's serviceUrl. `Chat` plays one Teams
user in one conversation: `say()`, `click(label)`, `submit(values)`, each
returning what the bot sent, updated or answered during that request.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from aiohttp.test_utils import TestClient, TestServer

from bot.app import App
from bot.config import load_settings
from bot.wiring import attach_platforms
from bot.server import make_web_app
from tests.support.fake_connector import FakeConnector, Sent, Updated, card_actions, card_text

TENANT = "00000000-0000-0000-0000-00000000aaaa"
OTHER_TENANT = "00000000-0000-0000-0000-00000000bbbb"
BOT = {"id": "28:aiom-test-bot", "name": "aiom"}
_ids = itertools.count(1)


def new_id() -> str:
    return f"1{next(_ids):012d}"


@dataclass(frozen=True)
class TeamsUser:
    name: str
    email: str | None
    aad: str
    tenant: str = TENANT
    role: str = "user"

    @property
    def user_id(self) -> str:
        return f"29:{self.aad}"

    def account(self) -> dict:
        return {"id": self.user_id, "name": self.name, "aadObjectId": self.aad}


def user(name: str, email: str | None, *, tenant: str = TENANT, role: str = "user") -> TeamsUser:
    aad = f"aad-{(email or name).split('@')[0].replace('.', '-')}-{tenant[-4:]}"
    return TeamsUser(name=name, email=email, aad=aad, tenant=tenant, role=role)


def personal(u: TeamsUser) -> dict:
    return {"id": f"a:personal-{u.aad}", "conversationType": "personal", "tenantId": u.tenant}


def channel(channel_id: str, root: str | None = None, tenant: str = TENANT) -> dict:
    cid = f"{channel_id};messageid={root}" if root else channel_id
    return {"id": cid, "conversationType": "channel", "isGroup": True, "tenantId": tenant}


def _base(kind: str, u: TeamsUser, conversation: dict, service_url: str, activity_id: str | None = None,
          **extra: Any) -> dict:
    channel_data: dict[str, Any] = {"tenant": {"id": conversation.get("tenantId", u.tenant)}}
    if conversation.get("conversationType") == "channel":
        base = conversation["id"].split(";messageid=")[0]
        channel_data.update({"channel": {"id": base}, "team": {"id": "19:team@thread.tacv2"}})
    act = {"type": kind, "id": activity_id or new_id(), "channelId": "msteams", "serviceUrl": service_url,
           "timestamp": "2026-11-23T09:00:00.000Z", "from": u.account(), "recipient": dict(BOT),
           "conversation": dict(conversation), "channelData": channel_data, "locale": "en-GB"}
    act.update(extra)
    return act


def message(u: TeamsUser, text: str, *, service_url: str, conversation: dict | None = None,
            activity_id: str | None = None, mention_bot: bool = False, mentions: list[TeamsUser] = (),
            timezone: str | None = None) -> dict:
    conversation = conversation or personal(u)
    entities: list[dict] = []
    if mention_bot:
        token = f"<at>{BOT['name']}</at>"
        text = f"{token} {text}"
        entities.append({"type": "mention", "text": token, "mentioned": dict(BOT)})
    for m in mentions:
        entities.append({"type": "mention", "text": f"<at>{m.name}</at>", "mentioned": {"id": m.user_id,
                                                                                        "name": m.name}})
    if timezone:
        entities.append({"type": "clientInfo", "locale": "en-GB", "timezone": timezone})
    return _base("message", u, conversation, service_url, activity_id, text=text, textFormat="plain",
                 entities=entities or None)


def execute(u: TeamsUser, data: dict, *, reply_to: str, service_url: str, conversation: dict | None = None,
            activity_id: str | None = None, verb: str = "") -> dict:
    """An Action.Execute click (invoke adaptiveCard/action) on the card with id `reply_to`."""
    value = {"action": {"type": "Action.Execute", "verb": verb or str(data.get("aiom", "")), "data": data},
             "trigger": "manual"}
    return _base("invoke", u, conversation or personal(u), service_url, activity_id, name="adaptiveCard/action",
                 value=value, replyToId=reply_to)


def submit(u: TeamsUser, data: dict, *, reply_to: str, service_url: str, conversation: dict | None = None) -> dict:
    """An Action.Submit click: a message activity carrying the data as its value."""
    return _base("message", u, conversation or personal(u), service_url, value=data, replyToId=reply_to)


def installation(u: TeamsUser, *, service_url: str, conversation: dict | None = None, action: str = "add") -> dict:
    return _base("installationUpdate", u, conversation or personal(u), service_url, action=action)


def members_added(u: TeamsUser, *, service_url: str, conversation: dict, bot_added: bool = True) -> dict:
    added = [dict(BOT)] if bot_added else [u.account()]
    return _base("conversationUpdate", u, conversation, service_url, membersAdded=added)


def file_consent(u: TeamsUser, *, context: dict, upload_url: str, reply_to: str, service_url: str,
                 action: str = "accept", name: str = "file.csv") -> dict:
    value = {"type": "fileUpload", "action": action, "context": context,
             "uploadInfo": {"contentUrl": f"https://contoso.sharepoint.com/{name}", "name": name,
                            "uploadUrl": upload_url, "uniqueId": "1150D938-8870-4044-9F2C-5BBDEBA70C9D",
                            "fileType": name.rsplit(".", 1)[-1]}}
    return _base("invoke", u, personal(u), service_url, name="fileConsent/invoke", value=value, replyToId=reply_to)


# -- the driver --------------------------------------------------------------------------------------------
@dataclass
class Turn:
    status: int
    body: Any
    sent: list[Sent] = field(default_factory=list)
    updates: list[Updated] = field(default_factory=list)

    @property
    def text(self) -> str:
        parts = [s.text for s in self.sent] + [u.text for u in self.updates]
        if isinstance(self.body, dict) and self.body.get("type") == "application/vnd.microsoft.card.adaptive":
            parts.append(card_text(self.body.get("value")))
        elif isinstance(self.body, dict) and isinstance(self.body.get("value"), str):
            parts.append(self.body["value"])
        return "\n".join(parts)

    @property
    def answer_card(self) -> dict | None:
        if isinstance(self.body, dict) and self.body.get("type") == "application/vnd.microsoft.card.adaptive":
            return self.body["value"]
        return None


class TeamsAiom:
    """aiom's real web application with Teams attached, driven over HTTP against a fake connector."""

    def __init__(self, app: App, client: TestClient, fake: FakeConnector, own_fake: bool):
        self.app = app
        self.client = client
        self.fake = fake
        self._own_fake = own_fake

    @classmethod
    async def start(cls, db_url: str, *, policy=None, clock=None, env: dict | None = None,
                    fake: FakeConnector | None = None) -> "TeamsAiom":
        own = fake is None
        if fake is None:
            fake = await FakeConnector().start()
        values = {"DATABASE_URL": db_url, "AIOM_TEAMS_ANONYMOUS": "1"}
        values.update(env or {})
        settings = load_settings({k: v for k, v in values.items() if v is not None}, env_file=None)
        kw: dict[str, Any] = {"policy": policy}
        if clock is not None:
            kw["clock"] = clock
        app = App.create(settings, **kw)
        web_app = make_web_app(app)
        attach_platforms(app, web_app)
        await app.start(migrate=False, background=False)
        client = TestClient(TestServer(web_app, host="127.0.0.1"))
        await client.start_server()
        return cls(app, client, fake, own)

    @property
    def service_url(self) -> str:
        return self.fake.url

    async def post(self, activity: dict, headers: dict | None = None) -> Turn:
        n_sent, n_upd = len(self.fake.sent), len(self.fake.updates)
        r = await self.client.post("/api/messages", json=activity, headers=headers or {})
        try:
            body = await r.json()
        except Exception:
            body = await r.text()
        return Turn(r.status, body, self.fake.sent[n_sent:], self.fake.updates[n_upd:])

    async def drain(self) -> None:
        await self.app.dispatcher.drain()

    def chat(self, u: TeamsUser, conversation: dict | None = None, *, in_roster: bool = True) -> "Chat":
        if in_roster:
            self.fake.add_member(u.user_id, name=u.name, aad=u.aad, email=u.email, tenant=u.tenant, role=u.role)
        return Chat(self, u, conversation or personal(u))

    async def stop(self) -> None:
        await self.client.close()
        await self.app.stop()
        if self._own_fake:
            await self.fake.stop()

    # -- what a conversation currently shows -------------------------------------------------------------
    def current_card(self, message_id: str) -> dict | None:
        for u in reversed(self.fake.updates):
            if u.activity_id == message_id:
                return u.card
        for s in self.fake.sent:
            if s.id == message_id:
                return s.card
        return None

    def cards_in(self, conversation_base: str) -> list[tuple[str, dict]]:
        """(message id, current card) of every card message posted in a conversation, oldest first."""
        out = []
        for s in self.fake.sent:
            if s.conversation_id.split(";messageid=")[0] == conversation_base and s.card is not None:
                out.append((s.id, self.current_card(s.id)))
        return out


class Chat:
    """One Teams user in one conversation."""

    def __init__(self, t: TeamsAiom, u: TeamsUser, conversation: dict):
        self.t = t
        self.user = u
        self.conversation = conversation

    @property
    def base(self) -> str:
        return self.conversation["id"].split(";messageid=")[0]

    async def say(self, text: str, **kw: Any) -> Turn:
        return await self.t.post(message(self.user, text, service_url=self.t.service_url,
                                         conversation=self.conversation, **kw))

    def find(self, label: str) -> tuple[str, dict]:
        """The newest card in this conversation with a button `label` (exact, else containing): (id, action)."""
        for mid, card in reversed(self.t.cards_in(self.base)):
            actions = card_actions(card)
            hit = [a for a in actions if a.get("title") == label] or \
                  [a for a in actions if label.lower() in str(a.get("title", "")).lower()]
            if hit:
                return mid, hit[0]
        raise AssertionError(f"no card in {self.base} has a button {label!r}")

    async def click(self, label: str, **kw: Any) -> Turn:
        mid, action = self.find(label)
        return await self.t.post(execute(self.user, dict(action["data"]), reply_to=mid,
                                         service_url=self.t.service_url, conversation=self.conversation, **kw))

    async def submit(self, values: dict[str, Any], *, button: str | None = None) -> Turn:
        """Fill the newest form card in this conversation and press its submit button."""
        for mid, card in reversed(self.t.cards_in(self.base)):
            acts = [a for a in card_actions(card) if (a.get("data") or {}).get("aiom") == "form"]
            if acts and (button is None or acts[0].get("title") == button):
                data = dict(acts[0]["data"])
                data.update({f"f_{k}": v for k, v in values.items()})
                return await self.t.post(execute(self.user, data, reply_to=mid, service_url=self.t.service_url,
                                                 conversation=self.conversation))
        raise AssertionError(f"no form card in {self.base}")


# -- the fixture the Teams tests share (import it into a test module to use it) -------------------------------
import pytest  # noqa: E402


@pytest.fixture
async def teams(db_url, policy, clock):
    t = await TeamsAiom.start(db_url, policy=policy, clock=clock)
    yield t
    await t.stop()


# -- schema validation ---------------------------------------------------------------------------------------
SCHEMAS_SKIP = "AIOM_SCHEMAS_DIR is not set: it must point at the published schemas (.ci/run sets it)"


def schema(name: str):
    """A jsonschema validator for `name` in AIOM_SCHEMAS_DIR (the test is skipped, saying why, without it)."""
    import json
    import os
    from pathlib import Path

    import jsonschema

    folder = os.environ.get("AIOM_SCHEMAS_DIR")
    if not folder:
        pytest.skip(SCHEMAS_SKIP)
    doc = json.loads((Path(folder) / name).read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(doc)
    return cls(doc)


def card_problems(validator, card: dict) -> list[str]:
    """Schema errors of one Adaptive Card, Teams' own `msteams` property set aside."""
    plain = {k: v for k, v in card.items() if k != "msteams"}
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(plain)]


# -- aiom's Teams runtime, for tests that configure it (added for the channel, roster and resilience tests) ---
def runtime(t: TeamsAiom):
    """The TeamsRuntime `attach` built for this aiom (its connector pool, directory, references)."""
    from bot.teams.endpoint import RUNTIME_KEY

    return t.client.server.app[RUNTIME_KEY]


def quick_retries(t: TeamsAiom) -> None:
    """The same retry rules with millisecond delays, for tests that use up every retry."""
    from bot.teams.retry import RetryPolicy

    runtime(t).pool.retry = RetryPolicy(base=0.004, cap=0.02)
