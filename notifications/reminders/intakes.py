"""Intake conversations abandoned part-way: one nudge after `reminders.intake_abandoned_days` of silence.

The nudge goes to the person on the platform where the conversation lives, stamped in
`conversation_state.nudged_at` (so it is sent once). Snoozing it asks for one more nudge when the snooze ends
(the snooze button clears the stamp; until then the sweep passes it by).
"""
from __future__ import annotations

from datetime import datetime, timedelta

from vocabulary.messages import Button, Buttons, Context, Message, Text
from notifications.reminders import loop
from notifications.reminders.common import Batch, snooze_buttons
from notifications.services import Services
from storage.repo import reminders as repo
from storage.tables import ConversationState

BATCH = 100


async def sweep(services: Services, now: datetime) -> int:
    return await loop.sweep(services, now, KIND)


def subject(st: ConversationState) -> str:
    return f"intake:{st.id}"


async def select_abandoned(session, policy, now: datetime, limit: int) -> list[ConversationState]:
    idle = timedelta(days=policy.reminders.intake_abandoned_days)
    return await repo.abandoned_intakes(session, now - idle, limit)


async def nudge(batch: Batch, found: list[ConversationState]) -> int:
    session, platforms, now = batch.session, batch.platforms, batch.now
    people = await repo.people_by_id(session, [st.person_id for st in found])
    await batch.prepare([subject(st) for st in found], people)
    done = 0
    for st in found:
        person = people.get(st.person_id)
        if person is None or batch.snoozed(person.id, subject(st)):
            continue  # snoozed: nudged (once more) when the snooze ends
        if not await repo.stamp_nudged(session, st.id, version=st.version, at=now):
            continue
        platform = st.platform if st.platform in platforms else None
        if batch.dm(person, message(st, now), key=f"reminder:intake:{st.id}:{now:%Y%m%dT%H%M}", subject=subject(st),
                    use_case_id=None, platform=platform):
            batch.audit("intake.nudged", entity="conversation", entity_id=st.id, use_case_id=None,
                        data={"person_id": person.id, "step": st.step, "idle_since": st.updated_at})
            done += 1
    return done


KIND = loop.ReminderKind(select=select_abandoned, send=nudge, batch_size=BATCH)


def message(st: ConversationState, now: datetime) -> Message:
    title = str((st.data or {}).get("title") or "").strip()
    what = f"your idea “{title[:100]}”" if title else "an AI idea"
    days = (now - st.updated_at).days
    text = (f"You started proposing {what} {days} days ago and stopped part-way. Your answers so far are kept: "
            "carry on from the question you stopped at, or discard it if you changed your mind.")
    return Message([
        Text([text]),
        Buttons([Button("Carry on", "remind.resume", {"st": st.id}, style="primary"),
                 Button("Discard it", "remind.discard", {"st": st.id}), *snooze_buttons(subject(st))]),
        Context("Nothing is submitted until you confirm the summary at the end."),
    ], fallback="Your idea is waiting for you to finish it")
