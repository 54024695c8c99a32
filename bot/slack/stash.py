"""Buttons that did not fit Slack's limits (render/buttons.py): their real action and payload, stored under
the short key the button carries, before the message goes out; a click reads them back."""
from __future__ import annotations

from typing import Mapping

from bot.slack.render.blocks import Rendered, render
from vocabulary.messages import Message
from storage.db import Database
from storage.repo import message_refs

PLATFORM = "slack"
PURPOSE = "button:"


async def save(db: Database, stash: dict[str, dict]) -> None:
    if not stash:
        return
    async with db.write() as s:
        for key, entry in stash.items():
            await message_refs.remember(s, platform=PLATFORM, purpose=PURPOSE + key, channel="", message_id=key,
                                        extra=entry)


async def load(db: Database, key: str) -> tuple[str, dict] | None:
    """(action, payload) stored under `key`, or None."""
    if not key:
        return None
    async with db.read() as s:
        ref = await message_refs.find(s, PLATFORM, PURPOSE + str(key)[:64], "")
    if ref is None or not isinstance(ref.extra.get("a"), str):
        return None
    payload = ref.extra.get("p")
    return ref.extra["a"], payload if isinstance(payload, dict) else {}


async def render_saved(db: Database, message: Message, slack_ids: Mapping[int, str] | None = None,
                       **kw) -> Rendered:
    """Render for sending: anything the buttons had to leave out is stored first, so every button works."""
    r = render(message, slack_ids, **kw)
    await save(db, r.stash)
    return r
