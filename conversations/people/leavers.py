"""People who left: recorded once (date, source, audited), everything they held listed to leadership in one
message with a button per item, and handing an item on (by a click and a form, or typed `reassign …`).

Sources: `slack` (a `user_change` event with `deleted: true`), `teams` (a roster look-up that no longer finds
someone aiom knew, or the person removed from aiom's personal chat), `admin` (a leader typed `leaver …`).
What a leaver answered, decided or recorded stays exactly as it is: nothing here touches past rows or the
audit chain. Their reminders stop (pending ones are dropped, none are written for them again).
"""
from __future__ import annotations

from vocabulary.platforms import Platforms
from dataclasses import dataclass

from vocabulary.labels import uc_ref
from vocabulary.messages import Button, Buttons, Header, Message, Text
from vocabulary.text import day
from conversations.people.lookup import display
from conversations.context import Ctx
from storage.repo import absences, handover, people
from storage.repo.handover import ROLES
from storage.repo.status import groups_of
from storage.tables import Person
from conversations.people import absence

KINDS = {**ROLES, "condition": "condition owner", "kpi": "KPI owner", "risk": "risk owner"}
MAX_BUTTONS = 20


@dataclass(frozen=True)
class Item:
    kind: str  # business_owner | delivery_owner | sponsor | condition | kpi | risk | group | scorecard
    ident: int | str
    text: str
    button: str = ""  # the button's label; "" when it is handed on elsewhere

    @property
    def payload(self) -> dict:
        return {"k": self.kind, "id": self.ident}


async def holdings(session, policy, person: Person) -> list[Item]:
    """Everything the person holds, by kind, in the order the handover message lists them."""
    items: list[Item] = []
    for uc, role in await handover.roles(session, person.id):
        items.append(Item(role, uc.id, f"{ROLES[role]} of {uc_ref(uc)} “{uc.title}”",
                          f"{uc_ref(uc)} {ROLES[role]}"))
    for c in await handover.conditions(session, person.id):
        items.append(Item("condition", c.id, f"condition owner: #{c.id} on UC-{c.use_case_id} “{c.text[:80]}” "
                          f"(due {day(c.due_date)})", f"Condition #{c.id}"))
    for k in await handover.kpis(session, person.id):
        items.append(Item("kpi", k.id, f"KPI owner: KPI #{k.id} “{k.name}” on UC-{k.use_case_id}", f"KPI #{k.id}"))
    for r in await handover.risks(session, person.id):
        items.append(Item("risk", r.id, f"risk owner: risk #{r.id} on UC-{r.use_case_id} “{r.description[:80]}”",
                          f"Risk #{r.id}"))
    for key in groups_of(policy, person.email):
        name = policy.review.group(key).name
        items.append(Item("group", key, f"review group member: {name} (the group's members are kept in the "
                          "policy; ask the operating-model admin to replace them)"))
    for sc, uc in await handover.pending_scorecards(session, person.id):
        items.append(Item("scorecard", sc.id, f"pending scorecard: {sc.instrument.replace('_', ' ')} for "
                          f"{uc_ref(uc)}, {sc.answered} answered (the owners answer it: reassign the owner role "
                          "above and the new owner carries on)"))
    return items


def handover_message(policy, person: Person, items: list[Item], source: str) -> Message:
    who = f"{display(person)} ({person.email})" if person.email and display(person) != person.email \
        else display(person)
    how = {"slack": "was deactivated in Slack", "teams": "is no longer in the Teams organisation",
           "admin": "was marked as a leaver"}.get(source, "has left")
    if not items:
        body = f"{who} {how}. They held nothing in aiom that needs a new owner."
        return Message([Header(f"{display(person)} has left"), Text([body])], fallback=body)
    listing = "\n".join(f"• {i.text}" for i in items)
    body = (f"{who} {how}. Until each item below has a new holder, it shows “owner has left” and nobody is "
            f"reminded about it. Click an item to hand it on, or type for example "
            f"“reassign UC-4 business owner to carol@example.com”.\n{listing}")
    buttons = [Button(i.button, "handover.reassign", i.payload) for i in items if i.button][:MAX_BUTTONS]
    blocks = [Header(f"{display(person)} has left: {len(items)} item(s) to hand on"[:150]), Text([body])]
    blocks += [Buttons(buttons[n:n + 5]) for n in range(0, len(buttons), 5)]
    return Message(blocks, fallback=f"{display(person)} has left: {len(items)} item(s) to hand on")


async def record_left(acting: Ctx, person: Person, *, source: str) -> bool:
    """Mark the person as left and tell leadership what they held; False when already recorded."""
    row = await absences.mark_left(acting.session, person.id, source=source, at=acting.now,
                                   recorded_by_id=acting.person_id)
    if row is None:
        return False
    dropped = await absences.drop_pending_reminders(acting.session, person.id)
    await absences.clear_away(acting.session, person.id)
    items = await holdings(acting.session, acting.policy, person)
    await acting.audit("person.left", entity="person", entity_id=person.id,
                       data={"email": person.email, "source": source, "left_at": acting.now,
                             "reminders_dropped": dropped,
                             "holdings": [{"kind": i.kind, "id": i.ident} for i in items]})
    msg = handover_message(acting.policy, person, items, source)
    await acting.notify_group(acting.policy.review.leadership_group, msg, key=f"leaver:{person.id}:handover",
                              subject=f"leaver:{person.id}")
    # Their groups count them out from now on: any open review a group can no longer decide is reported.
    await absence.warn_stuck(acting, await absence.affected_groups(acting.session, acting.policy, person,
                                                                   acting.now.date()),
                             f"{absence.label(person)} has left the organisation.")
    return True


async def left_on_platform(app, platform: str, tenant: str, external_id: str, source: str) -> bool:
    """A platform said this account is gone (adapters call this): records the leaver in its own transaction.

    Only someone aiom knew with a verified email counts (a stranger or a bot leaving changes nothing)."""
    platforms = app.engine.platforms if getattr(app, "engine", None) else Platforms.of(app.deliverers)
    async with app.db.write() as s:
        ident = await people.identity(s, platform, tenant, external_id)
        if ident is None or not ident.email_verified:
            return False
        person = await people.get(s, ident.person_id)
        acting = Ctx(session=s, policy=app.policy, platforms=platforms, now=app.clock(),
                        label=f"{platform} directory", platform=platform)
        done = await record_left(acting, person, source=source)
    if done and getattr(app, "dispatcher", None) is not None:
        app.dispatcher.wake()
    return done
