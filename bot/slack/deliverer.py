"""The Slack side of the outbox: post to channels, update in place, message people directly."""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from bot.slack import pictures, reconcile
from bot.slack.render import mention_ids
from bot.slack.stash import render_saved
from vocabulary.messages import Message
from notifications.delivery import DeliveryError, Recipient, current_attempt
from vocabulary.platforms import Capabilities

if TYPE_CHECKING:  # pragma: no cover
    from bot.slack.runtime import SlackRuntime

log = logging.getLogger(__name__)


CAPABILITIES = Capabilities(finds_people_by_email=True)  # users.lookupByEmail finds anyone in the workspace


class SlackDeliverer:
    platform = "slack"
    capabilities = CAPABILITIES

    def __init__(self, rt: "SlackRuntime"):
        self.rt = rt

    async def _render(self, message: Message):
        return await render_saved(self.rt.app.db, message, await self.rt.slack_ids.of(mention_ids(message)))

    async def post(self, channel: str, message: Message, thread_id: str = "") -> str:
        sent = await pictures.post(self.rt, channel, message, thread_id,
                                   lambda rest: self.post(channel, rest, thread_id))
        if sent is not None:  # pictures inside the message: uploaded as files (bot/slack/pictures.py)
            return sent
        key, look = reconcile.outbox_key(current_attempt())
        if look:  # an earlier try may have landed before its process stopped: post only if it is not there
            found = await reconcile.posted(self.rt.api, channel, thread_id, key)
            if found:
                log.info("outbox post %s was already in %s (%s): not posted again", key[:80], channel, found)
                return found
        r = await self._render(message)
        d = await self.rt.api.call("chat.postMessage", channel=channel, thread_ts=thread_id or None,
                                   unfurl_links=False, unfurl_media=False, **r.kwargs(), **reconcile.metadata(key))
        ts = d.get("ts")
        if not ts:
            raise DeliveryError("chat.postMessage returned no ts", retry=True)
        return str(ts)

    async def update(self, channel: str, message_id: str, message: Message) -> None:
        r = await self._render(message)
        await self.rt.api.call("chat.update", channel=channel, ts=message_id, **r.kwargs())

    async def dm(self, recipient: Recipient, message: Message) -> tuple[str, str]:
        user_id = next((ext for platform, _tenant, ext, _extra in recipient.identities if platform == "slack"), None)
        if user_id is None and recipient.email:
            user_id = await self.rt.directory.user_by_email(recipient.email)
        if user_id is None:
            raise DeliveryError(f"no Slack user for person {recipient.person_id} "
                                f"({recipient.email or 'no email'})", retry=False)
        channel = await self.rt.directory.dm_channel(user_id)
        return channel, await self.post(channel, message)
