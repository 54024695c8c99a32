"""Who is acting, in which transaction: the part of a chat context the review operations need.

Review operations run from a click (a `Ctx`) and from timed sweeps (the
reminder engine escalating an overdue review), so they take an `Acting`
instead of a `Ctx`: the session, the policy, the platforms to deliver on, the
time, and whom to write into the audit log.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from vocabulary.messages import Message
from vocabulary.policy import Policy
from storage.repo import outbox_enqueue as notify
from storage import audit

if TYPE_CHECKING:  # pragma: no cover
    from conversations.context import Ctx


@dataclass
class Acting:
    session: AsyncSession
    policy: Policy
    platforms: set[str]
    now: datetime
    person_id: int | None = None
    label: str = "aiom"
    platform: str = ""
    message_ref: str = ""
    # Set when anything was written to the outbox (the dispatcher is then woken).
    wrote: bool = False
    # The sequence number of the last audit entry written: makes notification keys unique per change.
    last_seq: int = 0
    # Use case id -> whether its gate passes only with conditions, once worked out in this turn (the answer
    # cannot change inside one transaction; the decision and the card refresh both need it).
    needs_conditions: dict[int, bool] = field(default_factory=dict)
    ctx: "Ctx | None" = field(default=None, repr=False)
    # (review, Decidability) for each review just opened that nobody can decide (conversations/groups/alerts.py).
    undecidable: list = field(default_factory=list)

    @classmethod
    def of(cls, ctx: "Ctx") -> "Acting":
        p = ctx.person
        return cls(session=ctx.session, policy=ctx.policy, platforms=ctx.platforms, now=ctx.now, person_id=p.id,
                   label=p.email or p.display_name or f"person {p.id}", platform=ctx.platform,
                   message_ref=source_ref(ctx)[:REF_MAX], ctx=ctx)

    def _wrote(self, new) -> None:
        if new:
            self.wrote = True
            if self.ctx is not None:
                self.ctx.outbox_written = True

    async def audit(self, action: str, *, entity: str = "", entity_id: str | int = "",
                    use_case_id: int | None = None, data: dict | None = None) -> int:
        entry = await audit.append(self.session, action=action, actor_id=self.person_id, actor_label=self.label,
                                   platform=self.platform, entity=entity, entity_id=entity_id,
                                   use_case_id=use_case_id, data=data, message_ref=self.message_ref, at=self.now)
        self.last_seq = entry.seq
        return entry.seq

    async def notify_person(self, person_id: int | None, message: Message, *, key: str,
                            use_case_id: int | None = None, purpose: str = "notice", subject: str = "") -> None:
        if person_id is None:
            return
        new = await notify.to_person(self.session, person_id=person_id, message=message, key=key,
                                     platforms=self.platforms, purpose=purpose, subject=subject,
                                     use_case_id=use_case_id, now=self.now)
        self._wrote(new)

    async def notify_group(self, group_key: str, message: Message, *, key: str, use_case_id: int | None = None,
                           remember_as: str = "", subject: str = "", purpose: str = "notice") -> None:
        new = await notify.to_group(self.session, policy=self.policy, group_key=group_key, platforms=self.platforms,
                                    message=message, key=key, remember_as=remember_as, subject=subject,
                                    use_case_id=use_case_id, purpose=purpose, now=self.now)
        self._wrote(new)

    async def update_everywhere(self, purpose: str, message: Message, *, key: str,
                                use_case_id: int | None = None) -> None:
        new = await notify.update_everywhere(self.session, purpose=purpose, message=message, key=key,
                                             platforms=self.platforms, use_case_id=use_case_id, now=self.now)
        self._wrote(new)


# The platform's reference of the message a person acted on ("slack:C123/1700000000.000100",
# "teams:19:abc@thread.tacv2/1700000000000"), as the adapters write it.
REF_MAX = 256


def source_ref(ctx: "Ctx") -> str:
    """The message reference the audit log records for this action. A form submission (a Slack modal, a Teams
    card form) carries the reference of the message its form was opened from (see `open_form`): the modal has
    no message of its own, and the Teams form card is only the means."""
    inbound = ctx.inbound
    if inbound.form_id:
        ref = (inbound.payload or {}).get("m")
        if isinstance(ref, str) and len(ref) <= REF_MAX and ref.startswith(f"{inbound.where.platform}:"):
            return ref
    return inbound.message_ref


def _stamped(ctx: "Ctx", form):
    ref = source_ref(ctx)
    if ref:
        form.payload = {**form.payload, "m": ref}
    return form


def open_form(ctx: "Ctx", form) -> None:
    """`ctx.open_form`, with the reference of the message the person acted on kept in the form's payload."""
    ctx.open_form(_stamped(ctx, form))


def form_errors(ctx: "Ctx", form, errors: dict[str, str]) -> None:
    ctx.form_errors(_stamped(ctx, form), errors)


def clicker(ctx: "Ctx"):
    """The actor as far as decision rights go: only a platform-verified email counts."""
    from conversations.reviews.rules import Clicker

    a = ctx.inbound.actor
    email = a.email.strip().lower() if a.email and a.email_verified else None
    return Clicker(person_id=ctx.person.id, email=email, guest=a.guest)
