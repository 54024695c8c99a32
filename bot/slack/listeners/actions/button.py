"""Every button click: `{action}#{n}` maps back to the neutral action, its value to the id-only payload.

One listener for all of them, so an unknown action id still gets a polite
answer (from the engine) instead of Slack's generic error.
"""
from __future__ import annotations

import re

from bot.slack import home, stash
from bot.slack.inbound import action_turn
from bot.slack.listeners.common import guarded, run_turn
from bot.slack.ops import OPEN_FORM_ACTION
from bot.slack.render.buttons import LINK_ACTION, STASH_ACTION
from bot.slack.runtime import SlackRuntime
from bot.slack.turn import Turn
from vocabulary.interaction import Outcome, Whisper
from vocabulary.messages import say

ANY = re.compile(r".*")
FORM_GONE = ("That form is no longer available: forms wait a day for their click. Please ask for it again, "
             "the way you did before.")
BUTTON_GONE = "That button no longer works. Please ask for that message again."


async def on_click(rt: SlackRuntime, ack, body: dict, action: dict) -> None:
    await ack()
    if action.get("type") != "button" or str(action.get("action_id", "")).startswith(LINK_ACTION + "#"):
        return  # link buttons open in the browser; nothing to do here
    await guarded(rt, "button", handle(rt, body, action), body)


async def handle(rt: SlackRuntime, body: dict, action: dict) -> None:
    turn = await action_turn(rt, body, action)
    if turn.inbound.action == STASH_ACTION:  # a button too big for Slack: its action and payload were stored
        found = await stash.load(rt.app.db, str(turn.inbound.payload.get("k", "")))
        if found is None:
            await rt.ops.carry_out(Outcome(ops=[Whisper(message=say(BUTTON_GONE))]), turn)
            return
        turn.inbound.action, turn.inbound.payload = found
    if turn.inbound.action == OPEN_FORM_ACTION:
        await open_cached_form(rt, turn)
        return
    await run_turn(rt, turn)
    if turn.from_view and (body.get("view") or {}).get("type") == "home":
        await home.publish(rt, turn.user_id)


async def open_cached_form(rt: SlackRuntime, turn: Turn) -> None:
    form = await rt.forms.get(str(turn.inbound.payload.get("k", "")), turn.user_id)
    if form is None:
        await rt.ops.carry_out(Outcome(ops=[Whisper(message=say(FORM_GONE))]), turn)
        return
    await rt.ops.open_form(form, turn)
