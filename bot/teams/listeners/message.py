"""A message activity: typed text, or an `Action.Submit` click from an older Teams client.

In a personal chat every message is for aiom. In a channel, aiom answers only when @mentioned: with the
resource-specific permission ChannelMessage.Read.Group (manifest/teams/manifest.json) Teams delivers every
channel message, and aiom must not answer every one. An un-mentioned message goes to the engine only when
it is a reply in a review card's thread that reads like a decision ("approved", "LGTM"), so the reviewer
gets the private nudge to use the card's buttons; anything else is left to the people in the channel.
"""
from __future__ import annotations

from botbuilder.core import TurnContext

from bot.teams.activity import card_data, mentions_bot, split_conversation
from bot.teams.identity import clean_text
from bot.teams.listeners.common import click_inbound, run_turn, text_inbound, where_of
from bot.teams.runtime import TeamsRuntime
from conversations.reviews.reply_reading import is_decision_reply

PLATFORM = "teams"


async def for_aiom(rt: TeamsRuntime, turn: TurnContext) -> bool:
    a = turn.activity
    if where_of(turn).kind == "personal" or mentions_bot(a):
        return True
    base, thread = split_conversation(a.conversation.id)
    if thread == a.id:  # a new post of its own, not a reply under a card
        return False
    return await is_decision_reply(rt.app.db, PLATFORM, base, thread, clean_text(a.text or ""))


async def handle(rt: TeamsRuntime, turn: TurnContext) -> None:
    data = card_data(turn.activity)
    if data is not None:  # an Action.Submit click (older clients)
        actor = await rt.directory.actor(turn)
        await run_turn(rt, turn, click_inbound(actor, where_of(turn), data, turn))
        return
    if not await for_aiom(rt, turn):
        return  # channel chatter: nothing is answered, looked up or stored
    if rt.rosters is not None:
        rt.rosters.note(turn.activity)  # which team this channel belongs to (group … bind this team)
    actor = await rt.directory.actor(turn)
    text, mentions = await rt.directory.mentions(turn, turn.activity.text or "")
    await run_turn(rt, turn, text_inbound(actor, where_of(turn), text, mentions, turn))
