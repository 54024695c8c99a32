"""One interaction from Slack: the neutral inbound plus what Slack needs to answer it."""
from __future__ import annotations

from dataclasses import dataclass

from conversations.interaction import Inbound


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

    @property
    def event_key(self) -> str:
        return self.inbound.event_id or f"{self.channel}:{self.source_ts or self.thread_ts}:{self.user_id}"
