"""The scorecard an owner has open in a conversation, remembered (as a small conversation state) so the words
every question understands reach it (typed.py); never over another open conversation."""
from __future__ import annotations

from conversations.context import Ctx
from conversations.people.lookup import user_key
from storage.repo import instruments as repo
from storage.repo import states
from vocabulary.states import FlowStatus

FLOW = "scorecard_words"


async def attach(ctx: Ctx, sc_id: int) -> bool:
    """Remember the scorecard opened here; False when another conversation is open in this place."""
    w = ctx.inbound.where
    st = ctx.state or await states.find(ctx.session, w.platform, w.conversation_id, w.thread_id,
                                        user_key(ctx.inbound.actor))
    if st is not None and st.status == FlowStatus.ACTIVE and st.flow != FLOW:
        return False
    await ctx.start_flow(FLOW, {"sc": sc_id})
    return True


async def note_area(ctx: Ctx, sc_id: int, key: str) -> None:
    """A navigation click (Back, an area from the answers list) shows `key`: remember it for typed words."""
    w = ctx.inbound.where
    st = await states.find(ctx.session, w.platform, w.conversation_id, w.thread_id, user_key(ctx.inbound.actor))
    if st is None or st.status != FlowStatus.ACTIVE or st.flow != FLOW or st.data.get("sc") != sc_id:
        return
    sc = await repo.get(ctx.session, sc_id)
    st.data = {**st.data, **mark(sc, key)}
    st.updated_at = ctx.now
    ctx.session.add(st)


def mark(sc, key: str | None) -> dict:
    return {"k": key, "n": sc.answered, "last": sc.last_answer_at.isoformat() if sc.last_answer_at else ""}
