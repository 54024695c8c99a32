"""The context a handler works in: one inbound, one transaction, the ops it answers with."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Awaitable, Callable, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from conversations import limits
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

__all__ = ["Ctx", "EngineView", "Refusal"]


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


@dataclass
class Ctx:
    engine: EngineView
    session: AsyncSession
    inbound: Inbound
    person: Person
    now: datetime
    ops: list[Op] = field(default_factory=list)
    state: ConversationState | None = None
    outbox_written: bool = False
    # Work the engine runs once this turn's transaction has committed (see `after_commit`).
    after: list[Callable[[], Awaitable[list[Op]]]] = field(default_factory=list)
    # The policy in effect this turn: the file with the review-group settings stored over it (set by the engine).
    effective: Policy | None = None

    # -- convenience ---------------------------------------------------------
    @property
    def policy(self) -> Policy:
        return self.effective or self.engine.policy

    @property
    def platform(self) -> str:
        return self.inbound.where.platform

    @property
    def platforms(self) -> set[str]:
        return self.engine.platforms

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
        limits.remember(form)
        self.ops.append(OpenForm(form=form))

    def form_errors(self, form: Form, errors: dict[str, str]) -> None:
        limits.remember(form)
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
                    use_case_id: int | None = None, data: dict | None = None) -> None:
        await audit.append(self.session, action=action, actor_id=self.person.id,
                           actor_label=self.person.email or self.person.display_name,
                           platform=self.platform, entity=entity, entity_id=entity_id, use_case_id=use_case_id,
                           data=data, message_ref=self.inbound.message_ref, at=self.now)

    # -- notifications to others (outbox, same transaction) --------------------
    async def notify_person(self, person_id: int, message: Message, *, key: str, use_case_id: int | None = None,
                            purpose: str = "notice", subject: str = "") -> None:
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
