"""The Teams activity handler: routes each kind of activity to its own small listener (bot/teams/listeners/).

- message: typed text or an `Action.Submit` click (listeners/message.py);
- invoke `adaptiveCard/action`: an `Action.Execute` click or form submission (listeners/card_action.py);
- invoke `fileConsent/invoke`: the user accepted or declined a file (listeners/file_consent.py);
- installationUpdate / conversationUpdate: the reference is stored, a personal install greeted
  (listeners/install.py).
Any other invoke is answered 200 with an empty body (one log line): Teams sends invokes aiom has no use for
(a message extension, a task module), and a 5xx would only make it show an error or retry.
"""
from __future__ import annotations

import logging

from botbuilder.core import ActivityHandler, BotAdapter, InvokeResponse, TurnContext
from botbuilder.schema import Activity, ActivityTypes

from bot.teams.listeners import card_action, file_consent, install, message
from bot.teams.runtime import TeamsRuntime

log = logging.getLogger(__name__)

INVOKES = {card_action.NAME: card_action.handle, file_consent.NAME: file_consent.handle}


class AiomTeamsBot(ActivityHandler):
    def __init__(self, rt: TeamsRuntime):
        self.rt = rt

    async def on_message_activity(self, turn: TurnContext) -> None:
        await message.handle(self.rt, turn)

    async def on_invoke_activity(self, turn: TurnContext) -> InvokeResponse:
        handler = INVOKES.get(turn.activity.name or "")
        if handler is None:
            log.info("Teams: an invoke aiom does not use (%r) answered 200", str(turn.activity.name)[:80])
            response = InvokeResponse(status=200, body={})
        else:
            response = await handler(self.rt, turn)
        # Answer the invoke as the adapter's own send_activities does for an invoke response: by leaving it in
        # the turn state, where the adapter picks it up for the HTTP reply. Left to ActivityHandler, it goes
        # through send_activities, which deep-copies the whole activity - the Adaptive Card included - on every
        # click (0.35 ms of a ~3 ms turn, measured); ActivityHandler sends nothing once the key is set.
        turn.turn_state[BotAdapter._INVOKE_RESPONSE_KEY] = Activity(  # noqa: SLF001 - botbuilder's own key
            type=ActivityTypes.invoke_response, value=response)
        return response

    async def on_installation_update(self, turn: TurnContext) -> None:
        await install.on_installation_update(self.rt, turn)

    async def on_conversation_update_activity(self, turn: TurnContext) -> None:
        await install.on_conversation_update(self.rt, turn)
