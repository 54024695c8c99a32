"""Sending outside a user's turn: continue a stored conversation, or open a new one (channel post, 1:1 chat).

Everything goes through the adapter (`continue_conversation`,
`create_conversation`), which hands the callback a pooled connector client.
The adapter's error handler would swallow an exception raised inside the
callback, so callbacks keep their error and it is raised again afterwards.
"""
from __future__ import annotations

from typing import Any, Awaitable, Callable

from botbuilder.core import TurnContext
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import (
    Activity,
    Attachment,
    ChannelAccount,
    ConversationAccount,
    ConversationParameters,
    ConversationReference,
)
from botframework.connector.aio import ConnectorClient

from bot.teams.activity import CHANNEL_ID
from bot.teams.connector import call, conversation_path, get
from bot.teams.render import CARD_CONTENT_TYPE
from bot.teams.render.escape import plain


def card_activity(card: dict, summary: str = "") -> Activity:
    """A card message as a botbuilder Activity (for the library's own send/update calls)."""
    return Activity(type="message", attachments=[Attachment(content_type=CARD_CONTENT_TYPE, content=card)],
                    summary=plain(summary[:200]) if summary else None)


def card_body(card: dict, summary: str = "") -> dict:
    """A card message as the JSON activity the connector takes."""
    body: dict[str, Any] = {"type": "message",
                            "attachments": [{"contentType": CARD_CONTENT_TYPE, "content": card}]}
    if summary:
        body["summary"] = plain(summary[:200])
    return body


def account(a: ChannelAccount | None) -> dict | None:
    if a is None or not a.id:
        return None
    out = {"id": a.id}
    if a.name:
        out["name"] = a.name
    return out


def addressed(body: dict, *, conversation_id: str, service_url: str, bot: ChannelAccount | None,
              user: ChannelAccount | None, tenant: str | None = None, reply_to: str | None = None,
              activity_id: str | None = None) -> dict:
    out = dict(body)
    out.update({"channelId": CHANNEL_ID, "serviceUrl": service_url,
                "conversation": {"id": conversation_id, **({"tenantId": tenant} if tenant else {})}})
    if account(bot):
        out["from"] = account(bot)
    if account(user):
        out["recipient"] = account(user)
    if reply_to:
        out["replyToId"] = reply_to
    if activity_id:
        out["id"] = activity_id
    return out


def connector_of(turn: TurnContext) -> ConnectorClient:
    return turn.turn_state[turn.adapter.BOT_CONNECTOR_CLIENT_KEY]


class Proactive:
    def __init__(self, adapter: CloudAdapter, app_id: str | None):
        self.adapter = adapter
        self.app_id = app_id or None

    async def _run(self, reference: ConversationReference,
                   work: Callable[[ConnectorClient, TurnContext], Awaitable[Any]]) -> Any:
        box: dict[str, Any] = {}

        async def callback(turn: TurnContext) -> None:
            try:
                box["result"] = await work(connector_of(turn), turn)
            except BaseException as e:  # re-raised below: the adapter's error handler must not swallow it
                box["error"] = e

        await self.adapter.continue_conversation(reference, callback, bot_app_id=self.app_id)
        if "error" in box:
            raise box["error"]
        return box.get("result")

    async def send(self, reference: ConversationReference, conversation_id: str, body: dict) -> str:
        """Post a new message (a JSON activity) into `conversation_id`; a channel id starts a new thread."""
        async def work(connector: ConnectorClient, turn: TurnContext) -> str:
            message = addressed(body, conversation_id=conversation_id, service_url=reference.service_url,
                                bot=reference.bot, user=reference.user, tenant=_tenant(reference))
            return (await call(connector, "POST", conversation_path(conversation_id), message)).get("id", "")
        return await self._run(reference, work)

    async def update(self, reference: ConversationReference, conversation_id: str, activity_id: str,
                     body: dict) -> None:
        async def work(connector: ConnectorClient, turn: TurnContext) -> None:
            message = addressed(body, conversation_id=conversation_id, service_url=reference.service_url,
                                bot=reference.bot, user=reference.user, tenant=_tenant(reference),
                                activity_id=activity_id)
            await call(connector, "PUT", conversation_path(conversation_id, activity_id), message)
        await self._run(reference, work)

    async def read(self, reference: ConversationReference, path: str) -> dict:
        """A connector GET (a team roster page) with the client for the reference's service URL."""
        async def work(connector: ConnectorClient, turn: TurnContext) -> dict:
            return await get(connector, path)
        return await self._run(reference, work)

    async def open_personal(self, *, service_url: str, tenant: str, user_id: str,
                            bot: ChannelAccount | None) -> ConversationReference:
        """The 1:1 chat between the bot and a Teams user (Teams returns the existing one if there is one)."""
        params = ConversationParameters(is_group=False, bot=bot, members=[ChannelAccount(id=user_id)],
                                        tenant_id=tenant or None,
                                        channel_data={"tenant": {"id": tenant}} if tenant else None)
        box: dict[str, Any] = {}

        async def callback(turn: TurnContext) -> None:
            box["conversation_id"] = turn.activity.conversation.id

        await self.adapter.create_conversation(self.app_id, callback, params, CHANNEL_ID, service_url, None)
        if "conversation_id" not in box:
            raise RuntimeError("Teams did not open the 1:1 conversation")
        return ConversationReference(
            activity_id=None, user=ChannelAccount(id=user_id), bot=bot,
            conversation=ConversationAccount(id=box["conversation_id"], conversation_type="personal",
                                             is_group=False, tenant_id=tenant or None),
            channel_id=CHANNEL_ID, service_url=service_url)


def _tenant(reference: ConversationReference) -> str | None:
    return reference.conversation.tenant_id if reference.conversation else None
