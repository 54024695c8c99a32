"""`demo` in chat: load the demo organisation (conversations/demo) or take it away (`demo remove`). Admins only
(in the local chat whoever starts it is one). The local chat offers it when the database holds no use case."""
from __future__ import annotations

from conversations.context import Ctx, Refusal
from conversations.demo import load
from conversations.demo.organisation import MEMBERS, email
from conversations.engine import Engine
from conversations.groups import admins
from vocabulary.messages import Context, Message, Text

OFFER = ("This aiom has no use cases yet. Type “demo” to load a demo organisation: a dozen use cases across every "
         "stage, reviews waiting for a decision and demo reviewers in every group (“demo remove” takes it away "
         "again).")


def register(engine: Engine) -> None:
    hello = engine.commands.get("hello")

    async def hello_and_offer(ctx: Ctx, args: str) -> None:
        if hello is not None:
            await hello(ctx, args)
        if ctx.platform == "console" and ctx.inbound.opening and await load.is_empty(ctx.session):
            ctx.say(Message([Context(OFFER)], fallback=OFFER))

    for word in ("hi", "hello", "hey", "start"):
        if engine.commands.get(word) is hello:
            engine.commands[word] = hello_and_offer

    @engine.command("demo", help="(admins) demo loads a demo organisation to try aiom with; demo remove deletes it")
    async def demo(ctx: Ctx, args: str) -> None:
        a = ctx.inbound.actor
        if not admins.is_admin(ctx.policy, a.email if a.email_verified else None):
            raise Refusal("Only an aiom admin can load or remove the demo organisation.")
        word = args.strip().lower()
        try:
            if word in ("remove", "delete", "off", "--remove"):
                done = await load.remove(ctx.session, ctx.engine.policy, now=ctx.now)
                await ctx.audit("demo.removed_in_chat", data={"use_cases": done.use_cases})
                ctx.say(f"Removed the demo organisation: {done.use_cases} use cases, {done.reviews} reviews and "
                        f"{done.people} demo people; the review groups are as they were.")
                return
            if word:
                raise Refusal("Type “demo” to load the demo organisation, or “demo remove” to delete it.")
            done = await load.load(ctx.session, ctx.engine.policy, now=ctx.now, platforms=ctx.platforms)
        except load.DemoError as e:
            raise Refusal(e.text) from None
        reviewer = email(MEMBERS["product"][0])
        ctx.outbox_written = True
        ctx.say(Message([Text([f"Loaded the demo organisation: {done.use_cases} use cases across every stage, "
                               f"{done.reviews} reviews waiting and demo reviewers in {done.groups} groups."]),
                         Context(f"Try it: “/as {reviewer}”, then “reviews”, open one and decide. “portfolio” "
                                 "shows the whole picture; “demo remove” deletes it all.")],
                        fallback="Loaded the demo organisation"))
