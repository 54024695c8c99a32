"""One interaction from Slack: the neutral inbound plus what Slack needs to answer it."""
from __future__ import annotations

from dataclasses import dataclass

from vocabulary.interaction import Inbound


@dataclass
class Turn:
    inbound: Inbound
    user_id: str  # the Slack user who acted
    channel: str  # where replies go
    thread_ts: str = ""  # "" at the top level
    personal: bool = True  # the bot's DM with the user
    source_channel: str = ""  # the clicked message
    source_ts: str = ""
    source_ephemeral: bool = False
    response_url: str = ""
    trigger_id: str = ""
    from_view: bool = False  # clicked in App Home or a modal
    trigger_used: bool = False
    # Answer in place, seen only by the person (a read-only /aiom command or click in a channel): replies go
    # through the response_url (or chat.postEphemeral) instead of being posted in the channel.
    ephemeral: bool = False
    # The channel the person acted in when the answer went to the bot's DM instead (they are told so there).
    moved_from: str = ""

    @property
    def event_key(self) -> str:
        return self.inbound.event_id or f"{self.channel}:{self.source_ts or self.thread_ts}:{self.user_id}"

    @property
    def tenant(self) -> str:
        return self.inbound.actor.tenant or self.inbound.where.tenant
