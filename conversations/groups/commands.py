"""Review groups in chat, with the same words on Slack, Teams and the local chat.

    groups                                    every group: members, where its cards go, where the members come
                                              from, and whether it can decide a review today
    group security add alice@example.com      (admins) add people: emails or @mentions, several at once
    group security remove alice@example.com   (admins) take people out
    group security channel here               (admins, typed in a channel) the group's cards go to this channel
    group security bind @security-review      (admins, in Slack) members follow that Slack user group
    group security bind this team             (admins, in a Teams team) members follow the team's roster
    group security unbind / reset             (admins) stop following / back to the policy file

Changes are stored over the policy file and take effect at once in every process (see groups/effective.py).
"""
from __future__ import annotations

import re

from conversations.context import Ctx, Refusal
from conversations.engine import Engine
from conversations.groups import admins, changes
from conversations.groups.decidability import group_decidability, reachability
from conversations.groups.effective import apply, effective_members
from conversations.groups.sources import SourceError, apply_roster, describe_source
from vocabulary.interaction import Say
from vocabulary.messages import Context, Header, Message, Text, say
from conversations.people.lookup import parse_person, person_for_hint
from vocabulary.policy import Policy, ReviewGroup
from storage.repo import group_settings, people
from storage.repo.people import normalise_email

USAGE = ("Type “groups” to see every review group, or, as an admin: “group security add alice@example.com”, "
         "“group security remove alice@example.com”, “group security channel here” (in the channel), "
         "“group security bind @security-review” (a Slack user group) or “group security bind this team” "
         "(in a Teams team), “group security unbind”, “group security reset”.")
VERBS = ("add", "remove", "channel", "bind", "unbind", "reset")


def find_group(policy: Policy, word: str) -> ReviewGroup:
    w = word.strip().lstrip("@#").lower()
    for g in policy.review.groups:
        if g.key.lower() == w or g.name.lower() == w:
            return g
    keys = ", ".join(g.key for g in policy.review.groups)
    raise Refusal(f"There is no review group called “{word}”. The groups are: {keys}. Nothing changed.")


async def _names(ctx: Ctx, emails: list[str]) -> str:
    out = []
    for e in emails:
        p = await people.by_email(ctx.session, e)
        out.append(f"{p.display_name} ({e})" if p is not None and p.display_name and p.display_name != e else e)
    return ", ".join(out) if out else "nobody"


def _where_cards_go(policy: Policy, g: ReviewGroup, platforms: set[str]) -> str:
    chat = [p for p in platforms if p != "console"]
    places = [f"{p.title()} {', '.join(chs)}" for p, chs in sorted(g.channels.items())
              if chs and (p in chat or not chat)]
    if not places and chat:
        places = ["no channel: each member gets the card as a direct message"]
    if "console" in platforms:
        places.append(f"the local chat (#{g.key})")
    return "; ".join(places) or "no channel: each member gets the card as a direct message"


async def group_lines(ctx: Ctx, policy: Policy, g: ReviewGroup, setting, reach) -> list[str]:
    d = group_decidability(policy, g.key, reachable=reach)
    can = "yes" if d.can_decide else f"NO: {d.reason}"
    return [f"{g.name} ({g.key})",
            f"   Members: {await _names(ctx, effective_members(policy, g.key))}",
            f"   Cards go to: {_where_cards_go(policy, g, ctx.platforms)}",
            f"   Members come from: {describe_source(setting)}",
            f"   Can decide a review today: {can}" + (f" (needs {g.quorum} approvals)" if g.quorum > 1 else "")]


async def show_groups(ctx: Ctx) -> None:
    policy = ctx.policy
    settings = {s.key: s for s in await group_settings.all_settings(ctx.session)}
    reach = await reachability(ctx.session, ctx.platforms)
    blocks = [Header("Review groups")]
    for g in policy.review.groups:
        blocks.append(Text(["\n".join(await group_lines(ctx, policy, g, settings.get(g.key), reach))]))
    note = "Admins: " + (", ".join(admins.admin_emails(policy)) or "nobody yet (set AIOM_ADMINS)") + "."
    if admins.is_admin(policy, _verified(ctx)):
        note += " Change a group with “group security add alice@example.com” (type “group help” for all)."
    blocks.append(Context(note))
    ctx.say(Message(blocks, fallback="Review groups"))


def _verified(ctx: Ctx) -> str | None:
    a = ctx.inbound.actor
    return a.email if a.email and a.email_verified else None


def _people(ctx: Ctx, text: str) -> list[tuple[str, object]]:
    """Emails of the people named: @mentions the platform resolved (their names may hold spaces), then emails."""
    hints = []
    for token, hint in sorted(ctx.inbound.mentions.items(), key=lambda kv: -len(kv[0])):
        if token and token in text:
            hints.append((token, hint))
            text = text.replace(token, " ")
    for t in [t for t in re.split(r"[,;\s]+", text.strip()) if t and t.lower() != "and"]:
        hint = parse_person(t, {})
        if hint is None:
            raise Refusal(f"I do not know who “{t}” is: type their work email (alice@example.com) or @mention "
                          "them. Nothing changed.")
        hints.append((t, hint))
    if not hints:
        raise Refusal("Whom? For example: “group security add alice@example.com”. Nothing changed.")
    out = {}
    for t, hint in hints:
        email = normalise_email(hint.email)
        if not email:
            raise Refusal(f"I cannot see an email address for {hint.name or t} on {ctx.platform.title()}, so I "
                          "cannot add them: type their work email instead. Nothing changed.")
        out.setdefault(email, hint)
    return list(out.items())


async def _reply(ctx: Ctx, g: ReviewGroup, headline: str) -> None:
    policy = apply(ctx.engine.policy, await group_settings.all_settings(ctx.session))
    setting = await group_settings.get(ctx.session, g.key)
    lines = await group_lines(ctx, policy, policy.review.group(g.key), setting,
                              await reachability(ctx.session, ctx.platforms))
    ctx.say(Message([Text([headline]), Text(["\n".join(lines)])], fallback=headline))


async def change_members(ctx: Ctx, g: ReviewGroup, verb: str, rest: str) -> None:
    named = _people(ctx, rest)
    emails = [e for e, _ in named]
    setting = await group_settings.get(ctx.session, g.key)
    if setting is not None and setting.source:
        raise Refusal(f"{g.name} follows {describe_source(setting)}: change its members there, or type “group "
                      f"{g.key} unbind” first. Nothing changed.")
    current = set(effective_members(ctx.policy, g.key))
    if verb == "remove" and not set(emails) & current:
        raise Refusal(f"{', '.join(emails)} {'is' if len(emails) == 1 else 'are'} not in {g.name}. Nothing changed.")
    if verb == "add" and set(emails) <= current:
        ctx.say(f"{', '.join(emails)} {'is' if len(emails) == 1 else 'are'} already in {g.name}.")
        return

    if verb == "add":  # known by name, and reachable where they were mentioned
        for _e, hint in named:
            await person_for_hint(ctx.session, hint)

    def edit(row, now_):
        have = set(now_["members"])
        row.members = sorted(have | set(emails)) if verb == "add" else sorted(have - set(emails))

    await changes.change(ctx.session, ctx.engine.policy, g.key, edit, now=ctx.now, actor_id=ctx.person.id,
                         actor_label=ctx.person.email or ctx.person.display_name, platform=ctx.platform,
                         why=f"group {g.key} {verb} {' '.join(emails)}")
    done = "Added" if verb == "add" else "Removed"
    await _reply(ctx, g, f"{done} {', '.join(emails)} {'to' if verb == 'add' else 'from'} {g.name}.")


async def set_channel(ctx: Ctx, g: ReviewGroup, rest: str) -> None:
    w = ctx.inbound.where
    if rest.strip().lower() not in ("here", "this", "this channel"):
        raise Refusal(f"Type “group {g.key} channel here” in the channel where {g.name} should get its review "
                      "cards. Nothing changed.")
    if w.kind == "personal" or ctx.platform == "console":
        raise Refusal(f"This is a direct conversation, not a channel: type “group {g.key} channel here” in the "
                      f"channel where {g.name} meets (invite me there first). Nothing changed.")
    channel = w.conversation_id.split(";")[0]

    def edit(row, now_):
        row.channels = {**(row.channels or {}), ctx.platform: [channel]}

    await changes.change(ctx.session, ctx.engine.policy, g.key, edit, now=ctx.now, actor_id=ctx.person.id,
                         actor_label=ctx.person.email or ctx.person.display_name, platform=ctx.platform,
                         why=f"group {g.key} channel here")
    await _reply(ctx, g, f"{g.name} gets its review cards in this channel from now on.")


async def bind(ctx: Ctx, g: ReviewGroup, rest: str) -> None:
    source = ctx.engine.group_sources.get(ctx.platform)
    if source is None or not rest.strip():
        raise Refusal("A group can follow a Slack user group (type “group security bind @security-review” in "
                      "Slack) or a Teams team (type “group security bind this team” in a channel of that team). "
                      "Nothing changed.")
    where, text = ctx.inbound.where, rest.strip()
    actor_id, label = ctx.person.id, ctx.person.email or ctx.person.display_name
    engine = ctx.engine

    async def work():
        # The platform is read after this turn's transaction, so a slow API never holds the database.
        try:
            roster = await source.find(where, text)
        except SourceError as e:
            return [Say(say(f"{e.text} Nothing changed."))]
        async with engine.db.write() as s:
            await apply_roster(s, engine.policy, g.key, roster, now=engine.clock(), actor_id=actor_id,
                               actor_label=label, why=f"group {g.key} bind {text}")
        n = len(roster.emails)
        msg = (f"{g.name} now follows {describe_source_of(roster)}: {n} member{'s' if n != 1 else ''} "
               f"({', '.join(roster.emails) or 'nobody yet'}). When people join or leave it there, {g.name} "
               "follows.")
        if roster.without_email:
            msg += (f" {len(roster.without_email)} of its members show no email address to aiom "
                    f"({', '.join(roster.without_email[:5])}), so they cannot decide until they do.")
        if not n:
            msg += f" With nobody in it, {g.name} cannot decide a review."
        return [Say(say(msg))]

    ctx.after_commit(work)


def describe_source_of(roster) -> str:
    return f"the Slack user group {roster.label}" if roster.source == "slack" else f"the Teams team {roster.label}"


async def unbind(ctx: Ctx, g: ReviewGroup, reset: bool) -> None:
    def edit(row, now_):
        if reset:
            row.members, row.channels = None, None
        else:
            row.members = list(now_["members"])  # keeps today's members, typed in chat from now on
        row.source, row.source_id, row.source_label, row.source_ref = "", "", "", {}

    c = await changes.change(ctx.session, ctx.engine.policy, g.key, edit, now=ctx.now, actor_id=ctx.person.id,
                             actor_label=ctx.person.email or ctx.person.display_name, platform=ctx.platform,
                             why=f"group {g.key} {'reset' if reset else 'unbind'}")
    head = (f"{g.name} is back to what the policy file says." if reset else
            f"{g.name} no longer follows {c.before.get('source_label') or 'anything'}; its members stay as they "
            "are and are changed in chat from now on.")
    await _reply(ctx, g, head)


def register(engine: Engine) -> None:
    @engine.command("groups", help="the review groups: members, where their cards go, whether they can decide")
    async def groups_cmd(ctx: Ctx, args: str) -> None:
        await show_groups(ctx)

    @engine.command("group", help="(admins) change a review group: group security add alice@example.com")
    async def group_cmd(ctx: Ctx, args: str) -> None:
        parts = args.split(None, 2)
        if not parts or parts[0].lower() in ("help", "?"):
            ctx.say(USAGE)
            return
        if len(parts) == 1:
            if parts[0].lower() in VERBS:
                raise Refusal(f"Which group? For example: “group security {parts[0].lower()} …”. " + USAGE)
            g = find_group(ctx.policy, parts[0])
            reach = await reachability(ctx.session, ctx.platforms)
            lines = await group_lines(ctx, ctx.policy, g, await group_settings.get(ctx.session, g.key), reach)
            ctx.say("\n".join(lines))
            return
        g = find_group(ctx.policy, parts[0])
        verb, rest = parts[1].lower(), parts[2] if len(parts) > 2 else ""
        if verb not in VERBS:
            raise Refusal(f"I do not know how to “{parts[1]}” a group. " + USAGE)
        if not admins.is_admin(ctx.policy, _verified(ctx)):
            raise Refusal(admins.refusal(ctx.policy))
        if verb in ("add", "remove"):
            await change_members(ctx, g, verb, rest)
        elif verb == "channel":
            await set_channel(ctx, g, rest)
        elif verb == "bind":
            await bind(ctx, g, rest)
        else:
            await unbind(ctx, g, reset=verb == "reset")
