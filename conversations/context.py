"""Who is acting, in which transaction: the context every handler and every review operation works in.

A chat turn's context (`Ctx.turn`, built by the engine) has the inbound, the person and the ops it answers
with. Operations that also run without an inbound (a timed sweep escalating an overdue review, a platform
reporting a leaver, loading the demo) take a `Ctx` built directly: the session, the policy, the platforms to
deliver on, the time, and whom to write into the audit log.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Awaitable, Callable, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from conversations.refusal import Refusal
from vocabulary.interaction import (
    FormErrors,
    Inbound,
    Op,
    OpenForm,
    Replace,
    ReplaceSource,
    Say,
    SendFile,
    Whisper,
)
from vocabulary.messages import Form, Message, say
from vocabulary.policy import Policy
from storage.db import Database
from storage.repo import outbox_enqueue as notify
from storage import audit
from storage.tables import ConversationState, Person

__all__ = ["Ctx", "EngineView", "Refusal", "form_errors", "open_form", "source_ref"]


class EngineView(Protocol):
    """What a handler may use of the engine running its turn (`conversations.engine.Engine`)."""

    db: Database
    policy: Policy
    platforms: set[str]
    commands: dict[str, Callable]
    command_help: dict[str, str]
    flows: dict[str, Any]
    group_sources: dict

    async def run_command(self, ctx: "Ctx", text: str) -> None: ...

    async def start_flow(self, ctx: "Ctx", name: str, data: dict) -> None: ...


# The platform's reference of the message a person acted on ("slack:C123/1700000000.000100",
# "teams:19:abc@thread.tacv2/1700000000000"), as the adapters write it.
REF_MAX = 256


def source_ref(inbound: Inbound) -> str:
    """The message reference the audit log records for this action. A form submission (a Slack modal, a Teams
    card form) carries the reference of the message its form was opened from (see `open_form`): the modal has
    no message of its own, and the Teams form card is only the means."""
    if inbound.form_id:
        ref = (inbound.payload or {}).get("m")
        if isinstance(ref, str) and len(ref) <= REF_MAX and ref.startswith(f"{inbound.where.platform}:"):
            return ref
    return inbound.message_ref


@dataclass
class Ctx:
    session: AsyncSession
    # The policy in effect: the file with the review-group settings stored over it.
    policy: Policy
    platforms: set[str]
    now: datetime
    # Whom the audit log names: the person acting (None: aiom itself), as labelled there, and where.
    person_id: int | None = None
    label: str = "aiom"
    platform: str = ""
    message_ref: str = ""
    # The chat turn, when there is one (`Ctx.turn`).
    engine: EngineView | None = None
    inbound: Inbound | None = None
    person: Person | None = None
    ops: list[Op] = field(default_factory=list)
    state: ConversationState | None = None
    # Set when anything was written to the outbox (the dispatcher is then woken).
    outbox_written: bool = False
    # Work the engine runs once this turn's transaction has committed (see `after_commit`).
    after: list[Callable[[], Awaitable[list[Op]]]] = field(default_factory=list)
    # The sequence number of the last audit entry written: makes notification keys unique per change.
    last_seq: int = 0
    # Use case id -> whether its gate passes only with conditions, once worked out in this transaction (the
    # answer cannot change inside one transaction; the decision and the card refresh both need it).
    needs_conditions: dict[int, bool] = field(default_factory=dict)
    # (review, Decidability) for each review just opened that nobody can decide (conversations/groups/alerts.py).
    undecidable: list = field(default_factory=list)

    @classmethod
    def turn(cls, engine: EngineView, session: AsyncSession, inbound: Inbound, person: Person, now: datetime,
             policy: Policy) -> "Ctx":
        """The context of one chat turn: `person` acted through `inbound`."""
        return cls(session=session, policy=policy, platforms=engine.platforms, now=now, person_id=person.id,
                   label=person.email or person.display_name or f"person {person.id}",
                   platform=inbound.where.platform, message_ref=source_ref(inbound)[:REF_MAX], engine=engine,
                   inbound=inbound, person=person)

    # -- replies in this conversation ----------------------------------------
    def say(self, message: Message | str, **kw: Any) -> None:
        self.ops.append(Say(message=say(message) if isinstance(message, str) else message, **kw))

    def whisper(self, message: Message | str) -> None:
        self.ops.append(Whisper(message=say(message) if isinstance(message, str) else message))

    def replace_source(self, message: Message) -> None:
        if self.inbound.source_message_id or self.inbound.action:
            self.ops.append(ReplaceSource(message=message))

    def replace(self, message_id: str | None, message: Message) -> None:
        if message_id:
            self.ops.append(Replace(message_id=message_id, message=message))

    def open_form(self, form: Form) -> None:
        self.ops.append(OpenForm(form=form))

    def form_errors(self, form: Form, errors: dict[str, str]) -> None:
        self.ops.append(FormErrors(form=form, errors=errors))

    def send_file(self, filename: str, content: bytes, title: str = "") -> None:
        self.ops.append(SendFile(filename=filename, content=content, title=title))

    def after_commit(self, work: Callable[[], Awaitable[list[Op]]]) -> None:
        """Run `work()` after this turn's transaction has committed, outside it, and add the ops it returns.

        For slow reads that must not hold the write transaction (on SQLite, the one write connection), such as
        building the portfolio file. `work` opens its own sessions (`self.engine.db`); a Refusal drops it.
        """
        self.after.append(work)

    # -- audit ----------------------------------------------------------------
    async def audit(self, action: str, *, entity: str = "", entity_id: str | int = "",
                    use_case_id: int | None = None, data: dict | None = None) -> int:
        entry = await audit.append(self.session, action=action, actor_id=self.person_id, actor_label=self.label,
                                   platform=self.platform, entity=entity, entity_id=entity_id,
                                   use_case_id=use_case_id, data=data, message_ref=self.message_ref, at=self.now)
        self.last_seq = entry.seq
        return entry.seq

    # -- notifications to others (outbox, same transaction) --------------------
    async def notify_person(self, person_id: int | None, message: Message, *, key: str,
                            use_case_id: int | None = None, purpose: str = "notice", subject: str = "") -> None:
        if person_id is None:
            return
        new = await notify.to_person(self.session, person_id=person_id, message=message, key=key,
                                     platforms=self.platforms, purpose=purpose, subject=subject,
                                     use_case_id=use_case_id, now=self.now)
        self.outbox_written = self.outbox_written or bool(new)

    async def notify_group(self, group_key: str, message: Message, *, key: str, use_case_id: int | None = None,
                           remember_as: str = "", subject: str = "", purpose: str = "notice") -> None:
        new = await notify.to_group(self.session, policy=self.policy, group_key=group_key, platforms=self.platforms,
                                    message=message, key=key, remember_as=remember_as, subject=subject,
                                    use_case_id=use_case_id, purpose=purpose, now=self.now)
        self.outbox_written = self.outbox_written or bool(new)

    async def update_everywhere(self, purpose: str, message: Message, *, key: str,
                                targets: list[tuple[str, str]] = (), use_case_id: int | None = None) -> None:
        new = await notify.update_everywhere(self.session, purpose=purpose, message=message, key=key,
                                             platforms=self.platforms, targets=list(targets),
                                             use_case_id=use_case_id, now=self.now)
        self.outbox_written = self.outbox_written or bool(new)

    # -- flows ------------------------------------------------------------------
    async def start_flow(self, name: str, data: dict | None = None) -> None:
        await self.engine.start_flow(self, name, data or {})


def _stamped(ctx: Ctx, form: Form) -> Form:
    ref = source_ref(ctx.inbound)
    if ref:
        form.payload = {**form.payload, "m": ref}
    return form


def open_form(ctx: Ctx, form: Form) -> None:
    """`ctx.open_form`, with the reference of the message the person acted on kept in the form's payload."""
    ctx.open_form(_stamped(ctx, form))


def form_errors(ctx: Ctx, form: Form, errors: dict[str, str]) -> None:
    ctx.form_errors(_stamped(ctx, form), errors)
