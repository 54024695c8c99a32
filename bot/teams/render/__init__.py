"""Neutral messages and forms as Adaptive Cards 1.5 (the only place aiom builds Teams card JSON)."""
from bot.teams.render.forms import read_values, render_form, render_submitted_form
from bot.teams.render.cards import CARD_CONTENT_TYPE, attachment, render

__all__ = ["CARD_CONTENT_TYPE", "attachment", "read_values", "render", "render_form", "render_submitted_form"]
