from __future__ import annotations

from functools import partial

from slack_bolt.async_app import AsyncApp

from bot.slack.listeners.views import submission
from bot.slack.render import forms
from bot.slack.runtime import SlackRuntime


def register(bolt: AsyncApp, rt: SlackRuntime) -> None:
    bolt.view_submission(forms.CALLBACK_ID)(partial(submission.on_submit, rt))
