"""Help: what the bot can do (screen 1) and every command (screen 2), with buttons to start things."""
from __future__ import annotations

from conversations.context import Ctx
from conversations.engine import Engine
from vocabulary.messages import Button, Buttons, Context, Header, Message, Strong, Text

# Commands this module documents itself, in the order a newcomer meets them (one terminal line each).
OWN_COMMANDS = [
    ("propose", "start a new AI idea (a short chat, or a one-screen form)"),
    ("my", "your ideas and their next step, reviews and scorecards waiting for you"),
    ("status UC-4", "one use case in full: stage, scores, risks, reviews, what is missing"),
    ("score UC-4 [pilot|readiness|rollout|vendor]", "owners answer a scorecard or checklist"),
    ("risk UC-4 / risks UC-4", "add a risk / see, update and review the register"),
    ("portfolio", "every use case by stage, pilots past their exit date, decisions due"),
    ("help <command>", "more about any command, for example: help move"),
]
OWN_NAMES = {"propose", "new", "idea", "my", "mine", "ideas", "status", "score", "risk", "risks", "portfolio",
             "help", "hi", "hello", "hey", "start"}
OWN_HELP = {"propose": OWN_COMMANDS[0][1], "new": OWN_COMMANDS[0][1], "idea": OWN_COMMANDS[0][1],
            "my": OWN_COMMANDS[1][1], "status": "status UC-4: " + OWN_COMMANDS[2][1],
            "score": "score UC-4 [pilot|readiness|rollout|vendor]: owners answer a scorecard or checklist; without "
                     "a name it opens what the next gate needs",
            "risk": "risk UC-4: add a risk to a use case's register", "risks": "risks UC-4: see the register, "
            "update a risk, mark the register reviewed", "portfolio": OWN_COMMANDS[5][1],
            "help": "help: what I can do; help commands: every command; help <command>: one of them"}


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


def others(ctx: Ctx) -> list[tuple[str, str]]:
    """Commands other parts of the bot registered with a help text."""
    return [(name, text) for name, text in sorted(ctx.engine.command_help.items()) if name not in OWN_NAMES]


def commands(ctx: Ctx) -> Message:
    lines = [f"• {name}: {what}" for name, what in OWN_COMMANDS]
    blocks = [Header("Commands"), Text(["\n".join(lines)])]
    more = [name for name, _ in others(ctx)]
    if more:
        blocks.append(Text(["More: " + ", ".join(more) + ". Type help and a command's name for what it does."]))
    blocks.append(Context("UC-4 stands for any use case number, for example UC-12."))
    blocks.append(Buttons([Button("Back", "help.show", {"page": 1}),
                           Button("Propose an AI idea", "propose.start", style="primary"),
                           Button("My ideas", "status.mine")]))
    return Message(blocks, fallback="Commands")


def one_command(ctx: Ctx, name: str) -> Message | None:
    what = OWN_HELP.get(name) or dict(others(ctx)).get(name)
    if what is None:
        return None
    return Message([Text([Strong(name), ": ", " ".join(what.split())]),
                    Buttons([Button("All commands", "help.show", {"page": 2})])], fallback=f"{name}: {what}")


def register(engine: Engine) -> None:
    @engine.command("help", "?", "commands")
    async def help_command(ctx: Ctx, args: str) -> None:
        arg = args.strip().lower().strip("/!")
        more = arg in ("more", "commands", "all", "2") or \
            (ctx.inbound.text or "").strip().lower().startswith("commands")
        if arg and not more:
            one = one_command(ctx, arg.split()[0])
            if one is None:
                ctx.say(Message([Text([f"I do not know a command called “{arg[:40]}”. Here are all of them:"])]))
                ctx.say(commands(ctx))
            else:
                ctx.say(one)
            return
        ctx.say(commands(ctx) if more else overview())

    @engine.action("help.show")
    async def help_button(ctx: Ctx, payload: dict) -> None:
        page = payload.get("page")
        msg = commands(ctx) if page == 2 else overview()
        if page in (1, 2) and ctx.inbound.source_message_id:
            ctx.replace_source(msg)
        else:
            ctx.say(msg)
