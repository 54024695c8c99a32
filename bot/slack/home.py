"""The App Home tab: the person's ideas with stage and next step, reviews waiting for them, scorecards they
still owe — the same neutral "my" view the chat shows (conversations/status/commands.py `my_items`), with the
portfolio pictures and the person's away notice, rendered for a home tab (up to 100 blocks)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from bot.slack.identity import is_guest
from bot.slack.render import mention_ids
import bot.slack.render.limits as L
from bot.slack.stash import render_saved
from conversations import access
from conversations.people.away import home_blocks as away_blocks
from conversations.status.commands import my_items
from vocabulary.messages import Button, Buttons, Context, Divider, Header, Message, Text
from notifications.digest import home as home_pictures
from storage.repo import people

if TYPE_CHECKING:  # pragma: no cover
    from bot.slack.runtime import SlackRuntime


async def publish(rt: "SlackRuntime", user_id: str) -> None:
    await rt.api.call("views.publish", user_id=user_id, view=await build(rt, user_id))


def welcome() -> Message:
    return Message([
        Header("aiom: your AI ideas, reviews and scorecards"),
        Text(["Nothing here yet. Propose an AI idea and it will appear here with its stage and next step; "
              "reviews and scorecards waiting for you show up here too."]),
        Buttons([Button("Propose an AI idea", "propose.start", style="primary"), Button("Help", "help.show")]),
        Context("You can also message me directly, or use /aiom propose, /aiom my, /aiom help."),
    ], fallback="aiom home")


async def build(rt: "SlackRuntime", user_id: str) -> dict:
    app = rt.app
    ws = await rt.directory.workspace()
    u = await rt.directory.user(user_id)
    team = (u.team_id if u else "") or ws.team_id
    guest = u is None or is_guest(ws, team, u.enterprise_id)
    email = None
    async with app.db.read() as s:
        person = None
        ident = await people.identity(s, "slack", team, user_id)
        if ident is not None:
            person = await people.get(s, ident.person_id)
        elif not guest and u.email:
            person = await people.by_email(s, u.email)
        # Reviewers are group members by email: someone who never talked to aiom may have reviews waiting.
        email = None if guest else (person.email if person is not None else u.email)
        today = app.clock().date()
        message = await my_items(s, app.policy, person_id=person.id if person is not None else None, email=email,
                                 today=today) or welcome()
        if not guest:
            pictures = await home_pictures.blocks(app.notifications, s, "slack", email)
            message = Message([*message.blocks, Divider(), *pictures], fallback=message.fallback)
        if person is not None:  # away until … (with an "I'm back" button), or how to say so
            message.blocks = [*message.blocks, *await away_blocks(s, person.id, today)]
    can_export = bool(email) and access.in_groups(app.policy, email, app.policy.export_groups)
    r = await render_saved(rt.app.db, message, await rt.slack_ids.of(mention_ids(message)), max_blocks=L.VIEW_BLOCKS,
                           can_export=can_export)
    return {"type": "home", "blocks": r.blocks}
