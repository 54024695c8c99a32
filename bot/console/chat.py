"""`aiom chat`: talk to the bot in a terminal, as anyone (`--as email`), line by line.

Buttons appear as numbered choices: type the number (or the button's name) to click. Only the current
person's own latest message with buttons is numbered, so a number always means one button; messages for
other people are shown with their buttons named but not numbered, and `/as them` numbers the latest one
meant for them. On a question that takes a number, a typed number is the answer. A form asks its fields
one after another. `/as other@example.com` switches who you are (to play owner, reviewer or leader);
`/quit` (or plain `quit`) or end of input leaves; inside a form, `cancel`, `back`,
`help`, `/as` and `/quit` work in every field. Everything goes through the same engine and database as Slack and Teams.
"""
from __future__ import annotations

import asyncio
import itertools
import os
import sys
from typing import IO

from bot.console.render import render
from conversations.engine import Engine
from vocabulary.interaction import (
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
from vocabulary.messages import Button, Context, Form, Message
from vocabulary.people import EMAIL_RE
from notifications.dispatcher import Dispatcher

QUIT = ("/quit", "/exit", "quit", "exit")
BLANK_HINT = "  · (type an answer, a button's number, help, or /quit to leave)"
NUMBER_HINT = "  · a number you type here is the answer; to click a button, type its name (for example cancel)"


class ConsoleChat:
    def __init__(self, engine: Engine, dispatcher: Dispatcher, email: str, *, stdin: IO[str] | None = None,
                 out: IO[str] | None = None, export_dir: str = "./data/exports", deliverer=None):
        self.engine = engine
        self.dispatcher = dispatcher
        self.out = out or sys.stdout
        self.stdin = stdin or sys.stdin
        self.export_dir = export_dir
        # The numbered buttons, and the id of the message each sits on (a click replaces that message).
        self.buttons: list[Button] = []
        self.button_mids: list[str] = []
        self.expects = ""
        self.printed: dict[str, list[str]] = {}  # message id -> its lines, to print only what an update changes
        self._ids = itertools.count(1)
        self.deliverer = deliverer
        if deliverer is not None:
            deliverer.attach(self)
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
        self.buttons, self.button_mids, self.expects = [], [], ""

    async def readline(self) -> str | None:
        line = await asyncio.get_running_loop().run_in_executor(None, self.stdin.readline)
        return line or None

    async def run(self) -> None:
        self.write(f"aiom local chat - you are {self.email}. Type help, or propose to start. /quit to leave.")
        await self.send(Inbound(actor=self.actor, where=self.where, text="hello", opening=True))
        self.quitting = False
        while not self.quitting and (line := await self.readline()) is not None:
            line = line.rstrip("\n")
            if line.strip().lower() in QUIT:
                break
            if line.startswith("/as"):
                self.switch_to(line)
                continue
            await self.on_line(line)

    def switch_to(self, line: str) -> None:
        """`/as email`: play someone else from here on."""
        candidate = line[3:].strip()
        if not EMAIL_RE.match(candidate):
            self.write("  · /as needs an email address, for example /as maria@example.com")
            return
        self.switch(candidate)
        self.write(f"  · you are now {self.email}")
        self.offer_latest()

    async def on_line(self, line: str) -> None:
        stripped = line.strip()
        if not stripped:
            self.write(BLANK_HINT)
            return
        # On a score or choice question a typed number is an answer for the flow to check, never a click of
        # Back, Pause or Cancel.
        if stripped.isdigit() and self.buttons and self.expects not in ("text", "score", "choice"):
            idx = int(stripped)
            if 1 <= idx <= len(self.buttons):
                return await self.click(self.buttons[idx - 1], self.button_mids[idx - 1])
            if self.expects != "words":  # a free-text question takes the number as its answer
                self.write(f"  · there is no choice {idx}; pick 1 to {len(self.buttons)}")
                return
        named = [i for i, b in enumerate(self.buttons) if b.label.lower() == stripped.lower()]
        if named:
            return await self.click(self.buttons[named[0]], self.button_mids[named[0]])
        await self.send(Inbound(actor=self.actor, where=self.where, text=line))

    async def click(self, button: Button, message_id: str) -> None:
        await self.send(Inbound(actor=self.actor, where=self.where, action=button.action,
                                payload=dict(button.payload), source_message_id=message_id))

    async def send(self, inbound: Inbound) -> None:
        outcome = await self.engine.handle(inbound)
        source = inbound.source_message_id
        for op in outcome.ops:
            await self.apply(op, outcome.state_id, source)
        await self.dispatcher.drain()

    async def apply(self, op, state_id: int | None, source: str | None = None) -> None:
        if isinstance(op, Say):
            mid = self.show(op.message)
            if op.track and state_id:
                await self.engine.track_prompt(state_id, mid)
        elif isinstance(op, (ReplaceSource, Replace)):
            mid = op.message_id if isinstance(op, Replace) else source
            self.show_update(mid, op.message)
        elif isinstance(op, Whisper):
            # Said to this person alone (Details, a refusal): its buttons are numbered after the ones already
            # numbered, so the card they were looking at keeps its numbers.
            self.show(op.message, indent="  (only you) ", after=bool(self.buttons))
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

    def show(self, message: Message, indent: str = "", after: bool = False) -> str:
        mid = f"c{next(self._ids)}"
        start = len(self.buttons) + 1 if after and message.buttons else 1
        text, buttons = render(message, numbered_from=start)
        self.printed[mid] = text.split("\n")
        self.write("\n".join(indent + line for line in text.split("\n")))
        if buttons and start > 1:
            self.buttons = [*self.buttons, *buttons]
            self.button_mids = [*self.button_mids, *[mid] * len(buttons)]
        elif buttons:
            self.take(buttons, mid, message.expects)
        return mid

    def show_update(self, mid: str | None, message: Message) -> None:
        """An earlier message changed: a one-line answer, only the lines that changed, or the new question."""
        blocks = message.blocks
        if len(blocks) == 1 and isinstance(blocks[0], Context):
            self.write(f"  ✓ {blocks[0].text}")
            self.drop(mid)  # its buttons are gone
            return
        text, buttons = render(message)
        old = self.printed.get(mid or "")
        if buttons:  # still asking (the next scorecard area, say): a terminal shows it as a new message
            self.write(text)
        elif old is None:
            self.write("\n".join("  ✓ " + line for line in text.split("\n")))
        else:  # e.g. a summary once submitted: its lines are still on screen just above
            fresh = [line.strip().removeprefix("· ") for line in text.split("\n") if line not in old]
            self.write("\n".join(f"  ✓ {line}" for line in fresh or ["updated"]))
        if mid is not None:
            self.printed[mid] = text.split("\n")
        if buttons:
            self.take(buttons, mid or f"c{next(self._ids)}", message.expects)
        else:
            self.drop(mid)

    def drop(self, mid: str | None) -> None:
        if mid is not None and mid in self.button_mids:
            kept = [(b, m) for b, m in zip(self.buttons, self.button_mids) if m != mid]
            self.buttons, self.button_mids = [b for b, _ in kept], [m for _, m in kept]

    def take(self, buttons: list[Button], mid: str, expects: str) -> None:
        """These buttons are now the numbered ones."""
        self.buttons, self.button_mids = list(buttons), [mid] * len(buttons)
        self.expects = expects
        if expects == "text":
            self.write(NUMBER_HINT)

    # -- messages for other people (printed by the ConsoleDeliverer) ---------------------------
    def number_notice(self, target: str, message: Message, mid: str) -> int | None:
        """A notice with buttons for the current person is numbered after their current buttons."""
        if target != self.email or not message.buttons:
            return None
        start = len(self.buttons) + 1
        self.buttons = [*self.buttons, *message.buttons]
        self.button_mids = [*self.button_mids, *[mid] * len(message.buttons)]
        return start

    def offer_latest(self) -> None:
        """After /as: number the newest message with buttons meant for this person (or their review group)."""
        if self.deliverer is None:
            return
        mine = {self.email} | {f"#{g.key}" for g in self.engine.policy.review.groups
                               if self.email in {m.lower() for m in g.members}}
        found = self.deliverer.latest_for(mine)
        if found is None:
            return
        mid, message = found
        _, buttons = render(message)
        self.buttons, self.button_mids, self.expects = list(buttons), [mid] * len(buttons), message.expects
        row = "   ".join(f"[{i}] {b.label}" for i, b in enumerate(buttons, 1))
        self.write(f"  · your latest message with buttons, “{message.fallback[:80]}”: {row}")

    async def fill_form(self, form: Form, only: set[str] | None = None, previous: dict | None = None) -> None:
        """Ask each field in turn on the terminal (scripts answer line by line)."""
        self.write(f"== {form.title} ==")
        if form.intro and only is None:
            self.write(form.intro)
        values = dict(previous or {})
        fields = [f for f in form.fields if only is None or f.name in only]
        i = 0
        while i < len(fields):
            f = fields[i]
            if f.follows and not values.get(f.follows):  # belongs to a field left empty: nothing to ask
                values[f.name] = None
                i += 1
                continue
            opt = " (optional, Enter to skip)" if f.optional else ""
            if f.type == "select":
                choices = "  ".join(f"[{n}] {label}" for n, (_, label) in enumerate(f.options, 1))
                self.write(f"{f.label}{opt}: {choices}")
            else:
                self.write(f"{f.label}{opt}:" + (f"  ({f.hint})" if f.hint and f.hint != f.label else ""))
            answer = await self.readline()
            if answer is None:
                return
            answer = answer.strip()
            word = answer.lower()
            # The chat's own words work inside every field: nothing typed here is sent until the last field.
            if word in QUIT:
                self.write("  · Left the form; nothing from it was sent.")
                self.quitting = True
                return
            if word in ("cancel", "/cancel"):
                self.write(f"  · Cancelled “{form.title}”: nothing from it was sent.")
                return
            if answer.startswith("/as"):
                self.write(f"  · Left “{form.title}”: nothing from it was sent.")
                self.switch_to(answer)
                return
            if word in ("help", "?"):
                self.write(f"  · {form.title}: answer each field in turn"
                           + (f" ({f.hint})" if f.hint else "") + ". Type back for the previous field, cancel to "
                           "leave the form without sending it, or /quit to leave the chat.")
                continue
            if word == "back":
                while i > 0:
                    i -= 1
                    if not (fields[i].follows and not values.get(fields[i].follows)):
                        break
                else:
                    self.write("  · This is the first field; type cancel to leave the form.")
                continue
            if f.type == "select" and answer.isdigit():
                if not 1 <= int(answer) <= len(f.options):
                    self.write(f"  · there is no choice {answer}; pick 1 to {len(f.options)}")
                    continue
                answer = f.options[int(answer) - 1][0]
            values[f.name] = answer or None
            i += 1
        self._form_values = values
        await self.send(Inbound(actor=self.actor, where=self.where, form_id=form.form_id,
                                payload=dict(form.payload), values=values))


async def run_chat(engine: Engine, dispatcher: Dispatcher, email: str, *, stdin: IO[str] | None = None,
                   out: IO[str] | None = None, deliverer=None) -> None:
    await ConsoleChat(engine, dispatcher, email, stdin=stdin, out=out, deliverer=deliverer).run()
