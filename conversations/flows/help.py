"""Help: what the bot can do (screen 1) and every command (screen 2), with buttons to start things."""
from __future__ import annotations

from conversations.context import Ctx
from conversations.engine import Engine
from conversations.messages import Button, Buttons, Context, Header, Message, Strong, Text

# Commands this module documents itself, in the order a newcomer meets them.
OWN_COMMANDS = [
    ("propose", "start a new AI idea (a short conversation; a one-screen form is offered too)"),
    ("my", "your ideas with their next step, reviews waiting for you, scorecards you still owe"),
    ("status UC-4", "one use case in full: stage, owners, scores, risks, reviews, conditions, what is missing"),
    ("score UC-4 [pilot|readiness|rollout|vendor]", "answer a scorecard or checklist (owners); without a "
                                                    "name it opens what the next gate needs"),
    ("risk UC-4", "add a risk to the register"),
    ("risks UC-4", "see the register, update a risk, mark the register reviewed"),
    ("portfolio", "every use case by stage, pilots past their exit date, what needs a decision"),
    ("help", "this help"),
]
OWN_NAMES = {"propose", "new", "idea", "my", "mine", "ideas", "status", "score", "risk", "risks", "portfolio",
             "help", "hi", "hello", "hey", "start"}


def overview() -> Message:
    return Message([
        Header("What I can do"),
        Text(["I help AI ideas travel from a first thought to everyday use without getting lost on the way: "
              "each idea gets named owners, scores, a risk register and a recorded decision at every stage gate."]),
        Text([Strong("Propose"), " an idea in a short chat. I suggest a risk tier and point out similar ideas "
              "so teams do not build the same thing twice.\n",
              Strong("Score"), " it: owners click through the pilot selection criteria, the readiness scorecard "
              "and the rollout and vendor checklists, one area at a time; progress is kept.\n",
              Strong("Track risks"), " in twelve areas, each with an owner and a control.\n",
              Strong("Move it on"), ": when a gate's conditions are met, the right review groups decide with "
              "buttons, and I tell everyone involved.\n",
              Strong("See where things stand"), ": your own ideas, one use case in full, or the whole portfolio."]),
        Buttons([Button("Propose an AI idea", "propose.start", style="primary"),
                 Button("My ideas", "status.mine"),
                 Button("Portfolio", "portfolio.show"),
                 Button("All commands", "help.show", {"page": 2})]),
        Context("Inside a question you can always type back, skip, help or cancel."),
    ], fallback="What I can do")


def commands(ctx: Ctx) -> Message:
    lines = [f"• {name}: {what}" for name, what in OWN_COMMANDS]
    others = [(name, text) for name, text in sorted(ctx.engine.command_help.items()) if name not in OWN_NAMES]
    blocks = [Header("Commands"), Text(["\n".join(lines)])]
    if others:
        blocks.append(Text(["More:\n" + "\n".join(f"• {name}: {text}" for name, text in others[:25])]))
    blocks.append(Context("UC-4 stands for any use case number, for example UC-12."))
    blocks.append(Buttons([Button("Back", "help.show", {"page": 1}),
                           Button("Propose an AI idea", "propose.start", style="primary"),
                           Button("My ideas", "status.mine")]))
    return Message(blocks, fallback="Commands")


def register(engine: Engine) -> None:
    @engine.command("help", "?", "commands")
    async def help_command(ctx: Ctx, args: str) -> None:
        more = args.strip().lower() in ("more", "commands", "all", "2") or \
            (ctx.inbound.text or "").strip().lower().startswith("commands")
        ctx.say(commands(ctx) if more else overview())

    @engine.action("help.show")
    async def help_button(ctx: Ctx, payload: dict) -> None:
        page = payload.get("page")
        msg = commands(ctx) if page == 2 else overview()
        if page in (1, 2) and ctx.inbound.source_message_id:
            ctx.replace_source(msg)
        else:
            ctx.say(msg)
