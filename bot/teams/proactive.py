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
from bot.teams.cards import CARD_CONTENT_TYPE
from bot.teams.cards.escape import plain


def card_activity(card: dict, summary: str = "") -> Activity:
    return Activity(type="message", attachments=[Attachment(content_type=CARD_CONTENT_TYPE, content=card)],
                    summary=plain(summary[:200]) if summary else None)


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

    @staticmethod
    def _address(activity: Activity, reference: ConversationReference, conversation_id: str) -> Activity:
        activity.channel_id = reference.channel_id or CHANNEL_ID
        activity.service_url = reference.service_url
        activity.from_property = reference.bot
        activity.recipient = reference.user
        activity.conversation = ConversationAccount(id=conversation_id,
                                                    tenant_id=reference.conversation.tenant_id
                                                    if reference.conversation else None)
        return activity

    async def send(self, reference: ConversationReference, conversation_id: str, activity: Activity) -> str:
        """Post a new message into `conversation_id` (a channel id starts a new thread); returns its id."""
        async def work(connector: ConnectorClient, turn: TurnContext) -> str:
            self._address(activity, reference, conversation_id)
            response = await connector.conversations.send_to_conversation(conversation_id, activity)
            return response.id if response else ""
        return await self._run(reference, work)

    async def update(self, reference: ConversationReference, conversation_id: str, activity_id: str,
                     activity: Activity) -> None:
        async def work(connector: ConnectorClient, turn: TurnContext) -> None:
            self._address(activity, reference, conversation_id)
            activity.id = activity_id
            await connector.conversations.update_activity(conversation_id, activity_id, activity)
        await self._run(reference, work)

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
