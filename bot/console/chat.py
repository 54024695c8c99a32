"""`aiom chat`: talk to the bot in a terminal, as anyone (`--as email`), line by line.

Buttons appear as numbered choices: type the number to click. A form asks its
fields one after another. `/as other@example.com` switches who you are (to
play owner, reviewer or leader); `/quit` or end of input leaves. Everything
goes through the same engine and database as Slack and Teams.
"""
from __future__ import annotations

import asyncio
import itertools
import os
import sys
from typing import IO

from bot.console.render import render
from conversations.engine import Engine
from conversations.interaction import (
    Actor,
    FormErrors,
    Inbound,
    OpenForm,
    Replace,
    ReplaceSource,
    Say,
    SendFile,
    Where,
    Whisper,
)
from conversations.messages import Context, Form, Message
from conversations.people import EMAIL_RE
from notifications.dispatcher import Dispatcher


class ConsoleChat:
    def __init__(self, engine: Engine, dispatcher: Dispatcher, email: str, *, stdin: IO[str] | None = None,
                 out: IO[str] | None = None, export_dir: str = "./data/exports"):
        self.engine = engine
        self.dispatcher = dispatcher
        self.out = out or sys.stdout
        self.stdin = stdin or sys.stdin
        self.export_dir = export_dir
        self.buttons: list = []
        self.expects_text = False
        self.last_message_id: str | None = None
        self._ids = itertools.count(1)
        self.switch(email)

    def write(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def switch(self, email: str) -> None:
        self.email = email.strip().lower()
        name = self.email.split("@")[0].replace(".", " ").title()
        self.actor = Actor(platform="console", external_id=self.email, email=self.email, email_verified=True,
                           name=name)
        self.where = Where(platform="console", conversation_id=f"dm:{self.email}", kind="personal")
        self.buttons, self.expects_text = [], False

    async def readline(self) -> str | None:
        line = await asyncio.get_running_loop().run_in_executor(None, self.stdin.readline)
        return line or None

    async def run(self) -> None:
        self.write(f"aiom local chat - you are {self.email}. Type help, or propose to start. /quit to leave.")
        await self.send(Inbound(actor=self.actor, where=self.where, text="hello"))
        while (line := await self.readline()) is not None:
            line = line.rstrip("\n")
            if line.strip() in ("/quit", "/exit"):
                break
            if line.startswith("/as "):
                candidate = line[4:].strip()
                if not EMAIL_RE.match(candidate):
                    self.write("  · /as needs an email address, for example /as maria@example.com")
                    continue
                self.switch(candidate)
                self.write(f"  · you are now {self.email}")
                continue
            await self.on_line(line)

    async def on_line(self, line: str) -> None:
        stripped = line.strip()
        if stripped.isdigit() and self.buttons and not self.expects_text:
            idx = int(stripped)
            if 1 <= idx <= len(self.buttons):
                btn = self.buttons[idx - 1]
                await self.send(Inbound(actor=self.actor, where=self.where, action=btn.action,
                                        payload=dict(btn.payload), source_message_id=self.last_message_id))
                return
            self.write(f"  · there is no choice {idx}; pick 1 to {len(self.buttons)}")
            return
        await self.send(Inbound(actor=self.actor, where=self.where, text=line))

    async def send(self, inbound: Inbound) -> None:
        outcome = await self.engine.handle(inbound)
        for op in outcome.ops:
            await self.apply(op, outcome.state_id)
        await self.dispatcher.drain()

    async def apply(self, op, state_id: int | None) -> None:
        if isinstance(op, Say):
            mid = self.show(op.message)
            if op.track and state_id:
                await self.engine.track_prompt(state_id, mid)
        elif isinstance(op, (ReplaceSource, Replace)):
            blocks = op.message.blocks
            if len(blocks) == 1 and isinstance(blocks[0], Context):
                self.write(f"  ✓ {blocks[0].text}")
            else:
                text, buttons = render(op.message, indent="  ✓ ")
                self.write(text)
                if buttons:  # the clicked message now offers these (a scorecard's next area)
                    self.buttons = buttons
                    self.expects_text = op.message.expects == "text"
        elif isinstance(op, Whisper):
            text, _ = render(op.message, indent="  (only you) ")
            self.write(text)
        elif isinstance(op, OpenForm):
            await self.fill_form(op.form)
        elif isinstance(op, FormErrors):
            self.write("  · Some answers need another look:")
            for name, err in op.errors.items():
                label = next((f.label for f in op.form.fields if f.name == name), name)
                self.write(f"    - {label}: {err}")
            await self.fill_form(op.form, only=set(op.errors), previous=getattr(self, "_form_values", {}))
        elif isinstance(op, SendFile):
            os.makedirs(self.export_dir, exist_ok=True)
            path = os.path.join(self.export_dir, os.path.basename(op.filename))
            with open(path, "wb") as f:
                f.write(op.content)
            self.write(f"  · file saved: {path}")

    def show(self, message: Message) -> str:
        text, buttons = render(message)
        self.write(text)
        if buttons:
            self.buttons = buttons
            self.expects_text = message.expects == "text"
        mid = f"c{next(self._ids)}"
        self.last_message_id = mid
        return mid

    async def fill_form(self, form: Form, only: set[str] | None = None, previous: dict | None = None) -> None:
        """Ask each field in turn on the terminal (scripts answer line by line)."""
        self.write(f"== {form.title} ==")
        if form.intro and only is None:
            self.write(form.intro)
        values = dict(previous or {})
        for f in form.fields:
            if only is not None and f.name not in only:
                continue
            opt = " (optional, Enter to skip)" if f.optional else ""
            if f.type == "select":
                choices = "  ".join(f"[{i}] {label}" for i, (_, label) in enumerate(f.options, 1))
                self.write(f"{f.label}{opt}: {choices}")
            else:
                self.write(f"{f.label}{opt}:" + (f"  ({f.hint})" if f.hint and f.hint != f.label else ""))
            answer = await self.readline()
            if answer is None:
                return
            answer = answer.strip()
            if f.type == "select" and answer.isdigit() and 1 <= int(answer) <= len(f.options):
                answer = f.options[int(answer) - 1][0]
            values[f.name] = answer or None
        self._form_values = values
        await self.send(Inbound(actor=self.actor, where=self.where, form_id=form.form_id,
                                payload=dict(form.payload), values=values))


async def run_chat(engine: Engine, dispatcher: Dispatcher, email: str, *, stdin: IO[str] | None = None,
                   out: IO[str] | None = None) -> None:
    await ConsoleChat(engine, dispatcher, email, stdin=stdin, out=out).run()
