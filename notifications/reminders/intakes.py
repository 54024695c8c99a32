"""Intake conversations abandoned part-way: one nudge after `reminders.intake_abandoned_days` of silence.

The nudge goes to the person on the platform where the conversation lives, stamped in
`conversation_state.nudged_at` (so it is sent once). Snoozing it asks for one more nudge when the snooze ends
(the snooze button clears the stamp; until then the sweep passes it by).
"""
from __future__ import annotations

from datetime import datetime, timedelta

from vocabulary.messages import Button, Buttons, Context, Message, Text
from notifications.reminders.common import Batch, platforms_of, snooze_buttons
from storage.repo import reminders as repo
from storage.tables import ConversationState

BATCH = 100


async def sweep(app, now: datetime) -> int:
    total = 0
    for _ in range(50):
        async with app.db.write() as s:
            n, more = await nudge_abandoned(s, app.policy, platforms_of(app), now)
        total += n
        if not more:
            break
    if total and getattr(app, "dispatcher", None) is not None:
        app.dispatcher.wake()
    return total


def subject(st: ConversationState) -> str:
    return f"intake:{st.id}"


async def nudge_abandoned(session, policy, platforms: set[str], now: datetime,
                          limit: int = BATCH) -> tuple[int, bool]:
    idle = timedelta(days=policy.reminders.intake_abandoned_days)
    found = await repo.abandoned_intakes(session, now - idle, limit)
    if not found:
        return 0, False
    people = await repo.people_by_id(session, [st.person_id for st in found])
    batch = Batch(session, policy, platforms, now)
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
    await batch.flush()
    return done, len(found) == limit


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
