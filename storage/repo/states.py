"""Conversation state: where each person is in a flow."""
from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.tables import ConversationState


async def find(session: AsyncSession, platform: str, conversation_id: str, thread_id: str,
               user_key: str) -> ConversationState | None:
    q = select(ConversationState).where(ConversationState.platform == platform,
                                        ConversationState.conversation_id == conversation_id,
                                        ConversationState.thread_id == thread_id,
                                        ConversationState.user_key == user_key)
    return (await session.execute(q)).scalar_one_or_none()


async def get(session: AsyncSession, state_id: int) -> ConversationState | None:
    return await session.get(ConversationState, state_id)


async def set_prompt_ref(session: AsyncSession, state_id: int, version: int, message_id: str) -> None:
    await session.execute(update(ConversationState)
                          .where(ConversationState.id == state_id, ConversationState.version == version)
                          .values(prompt_ref=message_id))
