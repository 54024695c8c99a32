"""The portfolio's pictures in chat, and `report [2026-Q4]`: the quarterly report PDF in a leader's private chat.

Both are drawn after the turn's transaction has committed (`ctx.after_commit`), from read sessions, by the
charts the composition root hands the engine (conversations/visuals.py).
"""
from __future__ import annotations

from collections import Counter
from datetime import datetime

from conversations import access
from conversations.context import Ctx, Refusal
from conversations.engine import Engine
from conversations.incidents.live_access import group_names, in_groups
from vocabulary.interaction import Op, Say, SendFile
from vocabulary.messages import say
from conversations.visuals import leadership_view
from storage import audit
from storage.tables import UseCase
from vocabulary.states import UseCaseStatus


def current_quarter(now: datetime) -> str:
    return f"{now.year}-Q{(now.month - 1) // 3 + 1}"


def offer_portfolio_pictures(ctx: Ctx, use_cases: list[UseCase]) -> None:
    """Add the portfolio pictures after `portfolio`'s text. `use_cases`: what this person may see; outside
    leadership's channels (and a leader's private chat) restricted use cases are left out."""
    visuals = getattr(ctx.engine, "visuals", None)
    if visuals is None:
        return
    where = ctx.inbound.where
    visible = leadership_view(ctx.policy, where.platform, where.conversation_id, where.kind,
                              access.is_leader(ctx.policy, ctx.person.email))
    counts = dict(Counter(uc.stage for uc in use_cases
                          if uc.status == UseCaseStatus.ACTIVE and (visible or not uc.restricted)))
    now = ctx.now

    async def draw() -> list[Op]:
        return [Say(message=m) for m in await visuals.portfolio(counts, visible, now)]

    ctx.after_commit(draw)


def register(engine: Engine) -> None:
    @engine.command("report", help="report 2026-Q4 sends leaders the quarterly portfolio report as a PDF")
    async def report(ctx: Ctx, args: str) -> None:
        await send_report(ctx, args.strip() or current_quarter(ctx.now))


async def send_report(ctx: Ctx, period: str) -> None:
    groups = ctx.policy.export_groups
    if not in_groups(ctx, groups):
        raise Refusal(f"Sorry, the quarterly report is for members of {group_names(ctx.policy, groups)}, as the "
                      "policy sets it. Type “portfolio” to see the portfolio and its pictures.")
    if ctx.inbound.where.kind != "personal":
        raise Refusal("The quarterly report goes to a private chat only: open a direct message with me and type "
                      f"“report {period}” there.")
    visuals = getattr(ctx.engine, "visuals", None)
    if visuals is None:
        raise Refusal("Sorry, this installation cannot draw the report. Ask your aiom administrator to run "
                      f"“aiom report --period {period} --out report.pdf” instead.")
    db, now, person, platform, ref = ctx.engine.db, ctx.now, ctx.person, ctx.platform, ctx.inbound.message_ref

    async def build() -> list[Op]:
        try:
            pdf, title = await visuals.report(period, now)
        except ValueError as e:
            return [Say(message=say(f"{e} For example: “report {current_quarter(now)}”."))]
        label = title.rsplit(" ", 1)[-1]
        filename = f"aiom-report-{label}.pdf"
        async with db.write() as s:
            await audit.append(s, action="portfolio.reported", actor_id=person.id,
                               actor_label=person.email or person.display_name, platform=platform,
                               entity="portfolio", entity_id=label, message_ref=ref, at=now,
                               data={"period": label, "bytes": len(pdf), "filename": filename})
        return [SendFile(filename=filename, content=pdf, title=title),
                Say(message=say(f"Here is the quarterly report for {label}: the executive update's ten areas and "
                                "the portfolio, trend and operating-model health charts, ready for a board pack."))]

    ctx.after_commit(build)
