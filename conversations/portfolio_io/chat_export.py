"""`export [csv|xlsx|json]` in chat: leaders (policy.export_groups, by verified email) receive the portfolio
file in their private chat with aiom (Slack upload, Teams file consent, the console saves it).

The turn itself only checks who asks and where; the file is built after its transaction has committed
(`ctx.after_commit`), from read sessions, so a large export never holds the write transaction (on SQLite, the
one write connection every other click waits for). A file larger than chat can carry is given up as soon as it
passes the limit, and the person is pointed to `aiom export` on the command line; only a file that goes out is
audited (portfolio.exported, in its own short transaction).
"""
from __future__ import annotations

from conversations.context import Ctx, Refusal
from conversations.engine import Engine
from conversations.incidents.live_access import group_names, in_groups
from vocabulary.interaction import Op, Say, SendFile
from vocabulary.messages import say
from vocabulary.text import day
from storage import audit
from conversations.portfolio_io.writers import FORMATS, FileTooLarge, to_bytes

DEFAULT = "xlsx"
# The largest file aiom gives in chat (Teams' file-consent upload, bot/teams/files.py, allows no more).
MAX_CHAT_FILE_BYTES = 20 * 1024 * 1024


def register(engine: Engine) -> None:
    @engine.command("export", help="export [xlsx|csv|json] sends leaders the portfolio as a file")
    async def export(ctx: Ctx, args: str) -> None:
        await send_export(ctx, args.strip().lower().lstrip(".") or DEFAULT)

    @engine.action("export.send")
    async def export_button(ctx: Ctx, payload: dict) -> None:
        await send_export(ctx, str(payload.get("f") or DEFAULT))


async def send_export(ctx: Ctx, fmt: str) -> None:
    groups = ctx.policy.export_groups
    if not in_groups(ctx, groups):
        raise Refusal(f"Sorry, the portfolio export is for members of {group_names(ctx.policy, groups)}, as the "
                      "policy sets it. Type “status UC-4” or “my” to see the use cases you are part of.")
    if fmt not in FORMATS:
        raise Refusal("I can export the portfolio as xlsx (a spreadsheet), csv or json. For example: “export xlsx”")
    if ctx.inbound.where.kind != "personal":
        raise Refusal("The portfolio goes to a private chat only: open a direct message with me and type "
                      f"“export {fmt}” there.")
    ctx.after_commit(lambda: build_file(ctx, fmt))


async def build_file(ctx: Ctx, fmt: str) -> list[Op]:
    """After the turn's transaction: build the file from read sessions, audit it, and hand it over."""
    db, now, limit = ctx.engine.db, ctx.now, MAX_CHAT_FILE_BYTES
    try:
        content = await to_bytes(fmt, db, ctx.policy, now, limit=limit)
    except FileTooLarge:
        return [Say(message=say(
            f"The portfolio is too large to send in chat: as {fmt.upper()} it is more than {limit // (1024 * 1024)} "
            f"MB. Please ask your aiom administrator to run “aiom export --format {fmt}” on the command line, "
            "which writes a file of any size. Nothing was exported."))]
    filename = f"aiom-portfolio-{now:%Y-%m-%d}.{fmt}"
    person = ctx.person
    async with db.write() as s:
        await audit.append(s, action="portfolio.exported", actor_id=person.id,
                           actor_label=person.email or person.display_name, platform=ctx.platform,
                           entity="portfolio", entity_id=fmt, message_ref=ctx.inbound.message_ref, at=now,
                           data={"format": fmt, "bytes": len(content), "filename": filename})
    return [SendFile(filename=filename, content=content, title=f"AI portfolio, {day(now)}"),
            Say(message=say(f"Here is the portfolio as {fmt.upper()}: one row per use case with its stage, tier, "
                            "owners, scores, the next gate's missing preconditions, risks, reviews, KPIs and "
                            "incidents. The columns are described in aiom's live-operation guide "
                            "(docs/live-operation.md)."))]
