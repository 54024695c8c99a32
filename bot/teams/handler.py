"""The Teams activity handler: routes each kind of activity to its own small listener (bot/teams/listeners/).

- message: typed text or an `Action.Submit` click (listeners/message.py);
- invoke `adaptiveCard/action`: an `Action.Execute` click or form submission (listeners/card_action.py);
- invoke `fileConsent/invoke`: the user accepted or declined a file (listeners/file_consent.py);
- installationUpdate / conversationUpdate: the reference is stored, a personal install greeted
  (listeners/install.py).
Any other invoke is answered 501 (not implemented), as the Bot Framework expects.
"""
from __future__ import annotations

from botbuilder.core import ActivityHandler, InvokeResponse, TurnContext

from bot.teams.listeners import card_action, file_consent, install, message
from bot.teams.runtime import TeamsRuntime

INVOKES = {card_action.NAME: card_action.handle, file_consent.NAME: file_consent.handle}


class AiomTeamsBot(ActivityHandler):
    def __init__(self, rt: TeamsRuntime):
        self.rt = rt

    async def on_message_activity(self, turn: TurnContext) -> None:
        await message.handle(self.rt, turn)

    async def on_invoke_activity(self, turn: TurnContext) -> InvokeResponse:
        handler = INVOKES.get(turn.activity.name or "")
        if handler is None:
            return InvokeResponse(status=501)
        return await handler(self.rt, turn)

    async def on_installation_update(self, turn: TurnContext) -> None:
        await install.on_installation_update(self.rt, turn)

    async def on_conversation_update_activity(self, turn: TurnContext) -> None:
        await install.on_conversation_update(self.rt, turn)
