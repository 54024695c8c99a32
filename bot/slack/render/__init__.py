"""Neutral messages and forms as Slack Block Kit (messages, modals, App Home)."""
from bot.slack.render.blocks import Rendered, mention_ids, render
from bot.slack.render.buttons import decode_action, payload_of

__all__ = ["Rendered", "render", "mention_ids", "decode_action", "payload_of"]
