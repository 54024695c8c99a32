"""Drive the neutral engine as any person, the way every adapter does, and see what they would see."""
from __future__ import annotations

from dataclasses import dataclass, field

from bot.app import App
from bot.config import load_settings
from bot.console.deliverer import CAPABILITIES as CONSOLE_CAPABILITIES
from bot.console.render import render
from vocabulary.interaction import (
    Actor,
    FormErrors,
    Inbound,
    OpenForm,
    Outcome,
    Replace,
    ReplaceSource,
    Say,
    Where,
    Whisper,
)
from vocabulary.messages import Button, Message
from vocabulary.policy import Policy
from notifications.delivery import Recipient


class RecordingDeliverer:
    """A console deliverer that remembers what it was asked to send."""

    platform = "console"
    capabilities = CONSOLE_CAPABILITIES

    def __init__(self) -> None:
        self.posts: list[tuple[str, Message, str]] = []
        self.updates: list[tuple[str, str, Message]] = []
        self.dms: list[tuple[Recipient, Message]] = []
        self._n = 0

    def _id(self) -> str:
        self._n += 1
        return f"m{self._n}"

    async def post(self, channel: str, message: Message, thread_id: str = "") -> str:
        self.posts.append((channel, message, thread_id))
        return self._id()

    async def update(self, channel: str, message_id: str, message: Message) -> None:
        self.updates.append((channel, message_id, message))

    async def dm(self, recipient: Recipient, message: Message) -> tuple[str, str]:
        self.dms.append((recipient, message))
        return f"dm:{recipient.email}", self._id()

    def dms_to(self, email: str) -> list[str]:
        return [as_text(m) for r, m in self.dms if r.email == email]

    def posts_in(self, channel: str) -> list[str]:
        return [as_text(m) for c, m, _ in self.posts if c == channel]


def as_text(message: Message) -> str:
    return render(message)[0]


@dataclass
class Seen:
    """What one input produced for the person who sent it."""

    outcome: Outcome
    messages: list[Message] = field(default_factory=list)

    @property
    def text(self) -> str:
        parts = []
        for op in self.outcome.ops:
            if isinstance(op, (Say, Whisper, ReplaceSource, Replace)):
                parts.append(as_text(op.message))
            elif isinstance(op, OpenForm):
                parts.append(f"[form {op.form.title}]")
            elif isinstance(op, FormErrors):
                parts.append("[form errors] " + "; ".join(f"{k}: {v}" for k, v in op.errors.items()))
        return "\n".join(parts)

    @property
    def buttons(self) -> list[Button]:
        out: list[Button] = []
        for op in self.outcome.ops:
            # A message updated in place (a scorecard moving to its next area) brings new buttons too.
            if isinstance(op, (Say, ReplaceSource, Replace)):
                out.extend(op.message.buttons)
        return out

    def op(self, kind):
        return next((op for op in self.outcome.ops if isinstance(op, kind)), None)


class Person:
    def __init__(self, harness: "Harness", email: str, platform: str = "console", conversation: str | None = None,
                 thread: str = "", kind: str = "personal"):
        self.h = harness
        self.email = email
        self.actor = Actor(platform=platform, external_id=email, email=email, email_verified=True,
                           name=email.split("@")[0].title())
        self.where = Where(platform=platform, conversation_id=conversation or f"dm:{email}", thread_id=thread,
                           kind=kind)
        self.last: Seen | None = None
        self.buttons: list[Button] = []

    async def _send(self, inbound: Inbound) -> Seen:
        outcome = await self.h.app.engine.handle(inbound)
        seen = Seen(outcome)
        for op in outcome.ops:
            if isinstance(op, Say) and op.track and outcome.state_id:
                await self.h.app.engine.track_prompt(outcome.state_id, f"p{id(op)}")
        if seen.buttons:
            self.buttons = seen.buttons
        self.last = seen
        await self.h.app.dispatcher.drain()
        return seen

    async def say(self, text: str, mentions: dict | None = None) -> Seen:
        return await self._send(Inbound(actor=self.actor, where=self.where, text=text, mentions=mentions or {}))

    async def click(self, label: str, *, buttons: list[Button] | None = None) -> Seen:
        pool = buttons if buttons is not None else self.buttons
        matches = [b for b in pool if b.label == label] or [b for b in pool if label.lower() in b.label.lower()]
        if not matches:
            raise AssertionError(f"no button {label!r} among {[b.label for b in pool]}")
        return await self.press(matches[0])

    async def press(self, button: Button) -> Seen:
        return await self._send(Inbound(actor=self.actor, where=self.where, action=button.action,
                                        payload=dict(button.payload), source_message_id="src"))

    async def submit(self, form_id: str, payload: dict, values: dict) -> Seen:
        return await self._send(Inbound(actor=self.actor, where=self.where, form_id=form_id, payload=payload,
                                        values=values))


class Harness:
    def __init__(self, app: App, deliverer: RecordingDeliverer):
        self.app = app
        self.out = deliverer

    @classmethod
    async def start(cls, db_url: str, *, policy: Policy | None = None, clock=None) -> "Harness":
        settings = load_settings({"DATABASE_URL": db_url}, env_file=None)
        kw = {"policy": policy}
        if clock is not None:
            kw["clock"] = clock
        app = App.create(settings, **kw)
        deliverer = RecordingDeliverer()
        app.add_deliverer(deliverer)
        await app.start(migrate=False, background=False)
        return cls(app, deliverer)

    def person(self, email: str, **kw) -> Person:
        return Person(self, email, **kw)

    async def stop(self) -> None:
        await self.app.stop()
