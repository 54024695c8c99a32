"""The Teams side of the outbox: post to channels, update messages, message people directly.

- post: into a channel (a new thread) or a thread of it, through the channel's
  stored conversation reference (or one built from its tenant's).
- dm: through the person's stored 1:1 conversation; if there is none yet, aiom
  opens it with the person's Teams user id (learnt when they last wrote) and
  stores it for next time.
- update: `updateActivity` on the conversation the message was posted in.

Calls are retried and paced by the connector pipeline (connector.py,
retry.py). A send that still fails raises `DeliveryError`, so the outbox
records the error and tries again later (or gives up on a permanent refusal).
"""
from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

import aiohttp
from botbuilder.schema import ChannelAccount, ConversationReference
from msrest.exceptions import ClientRequestError, HttpOperationError

from bot.teams.activity import split_conversation
from bot.teams.render import render
from bot.teams.connector import ConnectorError
from bot.teams.proactive import card_body
from bot.teams.retry import retry_after_seconds
from vocabulary.messages import Message
from vocabulary.platforms import Capabilities
from notifications.delivery import DeliveryError, Recipient

if TYPE_CHECKING:  # pragma: no cover
    from bot.teams.runtime import TeamsRuntime

log = logging.getLogger(__name__)

PLATFORM = "teams"


def delivery_error(e: Exception, what: str) -> DeliveryError:
    if isinstance(e, DeliveryError):
        return e
    if isinstance(e, ConnectorError):
        # 403: the bot was removed or blocked; 404: that conversation or message no longer exists.
        return DeliveryError(f"Teams refused {what} ({e.status})", retry=e.status not in (400, 403, 404, 413),
                             retry_after=e.retry_after)
    if isinstance(e, HttpOperationError) and e.response is not None:
        # msrest keeps the transport's own response here (aiohttp's, with .status)
        status = getattr(e.response, "status_code", None) or getattr(e.response, "status", 0)
        headers = getattr(e.response, "headers", None) or {}
        hint = retry_after_seconds(headers.get("Retry-After"))
        # 403: the bot was removed or blocked; 404: that conversation or message no longer exists.
        permanent = status in (400, 403, 404, 413)
        return DeliveryError(f"Teams refused {what} ({status})", retry=not permanent, retry_after=hint)
    if isinstance(e, (ClientRequestError, aiohttp.ClientError, asyncio.TimeoutError, OSError)):
        return DeliveryError(f"Teams could not be reached for {what}: {type(e).__name__}", retry=True)
    return DeliveryError(f"{what} failed: {type(e).__name__}: {e}", retry=True)


CAPABILITIES = Capabilities(finds_people_by_email=False)  # a bot reaches only people it has a reference for


class TeamsDeliverer:
    platform = PLATFORM
    capabilities = CAPABILITIES

    def __init__(self, rt: "TeamsRuntime"):
        self.rt = rt

    async def _home(self) -> str | None:
        return await self.rt.directory.home_tenant("") or None

    async def _channel_ref(self, channel: str) -> ConversationReference:
        ref = await self.rt.refs.channel(channel, await self._home())
        if ref is None:
            raise DeliveryError(f"aiom has no Teams conversation reference for {channel}: add the aiom app to that "
                                "team (aiom learns a team when it is installed or mentioned there)", retry=True)
        return ref

    async def post(self, channel: str, message: Message, thread_id: str = "") -> str:
        ref = await self._channel_ref(channel)
        base = split_conversation(channel)[0]
        target = f"{base};messageid={thread_id}" if thread_id else base
        try:
            mid = await self.rt.proactive.send(ref, target, card_body(render(message), message.fallback))
        except Exception as e:
            raise delivery_error(e, f"a post in {base}") from e
        if not mid:
            raise DeliveryError(f"Teams accepted a post in {base} but returned no message id", retry=False)
        return mid

    async def update(self, channel: str, message_id: str, message: Message) -> None:
        ref = await self.rt.refs.get(channel) or await self._channel_ref(channel)
        try:
            await self.rt.proactive.update(ref, channel, message_id, card_body(render(message), message.fallback))
        except Exception as e:
            raise delivery_error(e, f"an update of {message_id}") from e

    async def dm(self, recipient: Recipient, message: Message) -> tuple[str, str]:
        activity = card_body(render(message), message.fallback)
        ref = await self.rt.refs.personal_for(recipient.person_id)
        if ref is None:
            ref = await self._open_personal(recipient)
        try:
            mid = await self.rt.proactive.send(ref, ref.conversation.id, activity)
        except Exception as e:
            raise delivery_error(e, f"a message to person {recipient.person_id}") from e
        return ref.conversation.id, mid

    async def _open_personal(self, recipient: Recipient) -> ConversationReference:
        ident = next((i for i in recipient.identities if i[0] == PLATFORM), None)
        if ident is None:
            raise DeliveryError(f"person {recipient.person_id} has no Teams account aiom knows of", retry=False)
        _, tenant, _aad, extra = ident
        user_id = (extra or {}).get("id")
        tenant_ref = await self.rt.refs.for_tenant(tenant)
        service_url = (extra or {}).get("service_url") or (tenant_ref.service_url if tenant_ref else "")
        if not user_id or not service_url:
            raise DeliveryError(f"person {recipient.person_id} has not talked to aiom in Teams yet, so Teams "
                                "cannot be asked to open a chat with them", retry=False)
        bot = tenant_ref.bot if tenant_ref is not None and tenant_ref.bot else None
        try:
            ref = await self.rt.proactive.open_personal(service_url=service_url, tenant=tenant, user_id=user_id,
                                                        bot=bot or ChannelAccount(id=self.rt.bot_id))
        except Exception as e:
            raise delivery_error(e, f"opening a chat with person {recipient.person_id}") from e
        await self.rt.refs.save_personal(ref, recipient.person_id, tenant)
        return ref
