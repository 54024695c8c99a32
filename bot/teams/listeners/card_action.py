"""Invoke `adaptiveCard/action`: an `Action.Execute` click or form submission; the answer is the invoke's body."""
from __future__ import annotations

from botbuilder.core import InvokeResponse, TurnContext

from bot.teams.activity import card_data
from bot.teams.listeners.common import click_inbound, run_turn, where_of
from bot.teams.ops import message_answer
from bot.teams.runtime import TeamsRuntime

NAME = "adaptiveCard/action"


async def handle(rt: TeamsRuntime, turn: TurnContext) -> InvokeResponse:
    data = card_data(turn.activity)
    if data is None:
        return InvokeResponse(status=200, body=message_answer("I could not read that card."))
    actor = await rt.directory.actor(turn)
    body = await run_turn(rt, turn, click_inbound(actor, where_of(turn), data, turn))
    return InvokeResponse(status=200, body=body)
