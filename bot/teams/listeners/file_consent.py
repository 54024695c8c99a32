"""Invoke `fileConsent/invoke`: the user accepted or declined a file aiom offered (bot/teams/files.py)."""
from __future__ import annotations

import logging

from botbuilder.core import InvokeResponse, TurnContext

from bot.teams.runtime import TeamsRuntime

log = logging.getLogger(__name__)

NAME = "fileConsent/invoke"


async def handle(rt: TeamsRuntime, turn: TurnContext) -> InvokeResponse:
    await rt.refs.remember(turn.activity)
    try:
        await rt.files.on_consent(turn)
    except Exception:
        log.exception("Teams: the file upload failed")
        await turn.send_activity("Sorry, I could not save that file. Please ask for it again.")
    return InvokeResponse(status=200)
