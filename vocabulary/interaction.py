"""What comes in from a platform, and what a flow asks the platform to do in reply.

Adapters (Slack, Teams, console) build an `Inbound` from a platform event and
carry out the returned `Op`s in the same conversation. Messages to anyone else
(owners, review channels, reminders) never go through ops: flows put them in
the outbox inside their transaction and the dispatcher delivers them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Union

from vocabulary.messages import Form, Message


@dataclass(frozen=True)
class Actor:
    """Who is talking, as the platform identifies them (resolved before the engine runs)."""

    platform: str  # slack | teams | console
    external_id: str  # Slack user id / AAD object id / email on the console
    tenant: str = ""  # Slack team id / Teams tenant id
    email: str | None = None
    email_verified: bool = False
    name: str = ""
    timezone: str | None = None
    extra: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    is_bot: bool = False
    # From another Slack workspace / Teams tenant (a shared channel): may talk, may not decide.
    guest: bool = False


@dataclass(frozen=True)
class PersonHint:
    """A person named in a message (a platform mention resolved by the adapter, or an email)."""

    email: str | None
    name: str = ""
    platform: str = ""
    external_id: str = ""
    tenant: str = ""


@dataclass(frozen=True)
class Where:
    platform: str
    conversation_id: str
    thread_id: str = ""
    kind: Literal["personal", "channel", "group"] = "personal"
    # The workspace / tenant the conversation belongs to (shared channels differ from the actor's).
    tenant: str = ""


@dataclass
class Inbound:
    actor: Actor
    where: Where
    text: str | None = None
    # A button click: stable action id and its id-only payload.
    action: str | None = None
    payload: dict[str, Any] = field(default_factory=dict)
    # A form submission.
    form_id: str | None = None
    values: dict[str, Any] = field(default_factory=dict)
    # The platform's id for this event (dedupe), and the id of the message that was clicked.
    event_id: str | None = None
    source_message_id: str | None = None
    # Mentions in `text`, resolved by the adapter: raw token -> person.
    mentions: dict[str, PersonHint] = field(default_factory=dict)
    # The platform's own reference for audit ("slack:C123/1712.0001").
    message_ref: str = ""
    # The person (re)opened the chat (the local chat starting, the app installed): greet them, or show the
    # question they stopped at; never read `text` as an answer.
    opening: bool = False

    @property
    def kind(self) -> str:
        if self.action:
            return "action"
        if self.form_id:
            return "form"
        return "text"


# -- ops -----------------------------------------------------------------------
@dataclass
class Say:
    """Post a message in the conversation (thread) the inbound came from."""

    message: Message
    # Remember this message's platform id so a later answer can replace it (stale buttons).
    track: bool = False
    # Post in the thread of this aiom message purpose when the platform has one here ("use_case:4").
    thread_of: str | None = None
    # Remember the posted message under this purpose (for later in-place updates / threading).
    remember_as: str | None = None


@dataclass
class ReplaceSource:
    """Replace the message whose button was clicked."""

    message: Message


@dataclass
class Replace:
    """Replace an earlier message of this conversation, by platform id."""

    message_id: str
    message: Message


@dataclass
class Whisper:
    """Only the actor sees it (Slack ephemeral; a private reply elsewhere)."""

    message: Message


@dataclass
class OpenForm:
    form: Form


@dataclass
class FormErrors:
    """The submitted form has problems: field name -> explanation."""

    form: Form
    errors: dict[str, str]


@dataclass
class SendFile:
    """Give the actor a file (export): Slack upload, Teams file consent, console path."""

    filename: str
    content: bytes
    title: str = ""


Op = Union[Say, ReplaceSource, Replace, Whisper, OpenForm, FormErrors, SendFile]


@dataclass
class Outcome:
    ops: list[Op] = field(default_factory=list)
    duplicate: bool = False
    # The turn could not be carried out (rolled back): its inbound entry stays open and is replayed.
    failed: bool = False
    # The ops are a reply kept from an earlier run of this same input, which never got sent.
    resent: bool = False
    # Set when ops include a tracked Say: the adapter reports the sent id back via Engine.track_prompt.
    state_id: int | None = None
