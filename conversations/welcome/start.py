"""Ways into the conversations: propose, help, greetings and anything the bot did not understand."""
from __future__ import annotations

from conversations.context import Ctx
from conversations.engine import Engine
from vocabulary.messages import Button, Buttons, Context, Header, Message, Text
from conversations.stepflow import FROM_FORM


def register(engine: Engine) -> None:
    @engine.command("propose", "new", "idea", help="propose a new AI idea")
    async def propose(ctx: Ctx, args: str) -> None:
        await ctx.start_flow("intake")

    @engine.action("propose.start")
    async def propose_button(ctx: Ctx, payload: dict) -> None:
        if ctx.inbound.where.kind != "personal":
            ctx.whisper("Ideas are captured in a private chat with me: open a direct message with me and type "
                        "“propose”.")
            return
        await ctx.start_flow("intake")

    @engine.action("propose.form")
    async def propose_form(ctx: Ctx, payload: dict) -> None:
        """Straight to the one-screen form (the Slack shortcut / Teams menu entry)."""
        await ctx.start_flow("intake")
        ctx.state.data = {**ctx.state.data, FROM_FORM: True}  # if the form is left, chat says a draft continues
        flow = ctx.engine.flows["intake"]
        form = flow.build_form(ctx)
        ctx.ops.clear()
        ctx.open_form(form)

    @engine.command("hi", "hello", "hey", "start")
    async def hello(ctx: Ctx, args: str) -> None:
        ctx.say(welcome(ctx))

    async def fallback(ctx: Ctx, text: str) -> None:
        if not text:
            ctx.say(welcome(ctx))
            return
        ctx.say(Message([Text(["Sorry, I did not understand that. Type “help” to see everything I can do, "
                               "or use one of these:"]), _main_buttons()]))

    engine.fallback = fallback


def _main_buttons() -> Buttons:
    return Buttons([Button("Propose an AI idea", "propose.start", style="primary"),
                    Button("My ideas", "status.mine"),
                    Button("Help", "help.show")])


def welcome(ctx: Ctx) -> Message:
    name = (ctx.person.display_name or "").split(" ")[0] or "there"
    return Message([
        Header(f"Hello {name}, I'm aiom"),
        Text(["I help your organisation move AI ideas from proposal to production with clear owners, "
              "timely reviews and no pilots left in limbo."]),
        _main_buttons(),
        Context("Type propose, my, status UC-12, portfolio or help at any time."),
    ])
