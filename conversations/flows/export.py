"""`export [csv|xlsx|json]` in chat: leaders (policy.export_groups, by verified email) receive the portfolio
file in their private chat with aiom (Slack upload, Teams file consent, the console saves it)."""
from __future__ import annotations

from conversations.context import Ctx, Refusal
from conversations.engine import Engine
from conversations.flows.live_access import group_names, in_groups
from storage.portfolio_io.writers import FORMATS, to_bytes

DEFAULT = "xlsx"


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
                      "policy sets it. Type *status UC-4* or *my* to see the use cases you are part of.")
    if fmt not in FORMATS:
        raise Refusal("I can export the portfolio as xlsx (a spreadsheet), csv or json. For example: *export xlsx*")
    if ctx.inbound.where.kind != "personal":
        raise Refusal("The portfolio goes to a private chat only: open a direct message with me and type "
                      f"*export {fmt}* there.")
    content = await to_bytes(fmt, ctx.engine.db, ctx.policy, ctx.now)
    filename = f"aiom-portfolio-{ctx.now:%Y-%m-%d}.{fmt}"
    await ctx.audit("portfolio.exported", entity="portfolio", entity_id=fmt,
                    data={"format": fmt, "bytes": len(content), "filename": filename})
    ctx.send_file(filename, content, title=f"AI portfolio, {ctx.now:%d %b %Y}")
    ctx.say(f"Here is the portfolio as {fmt.upper()}: one row per use case with its stage, tier, owners, scores, "
            "risks, reviews, KPIs and incidents. The columns are described in aiom's live-operation guide.")
