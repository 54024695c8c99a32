"""What every reminder sweep shares: one transaction's batch of outbox rows and audit entries, working hours,
snoozes, the catch-up rule after downtime, and the Snooze buttons.

A sweep reads its due rows, stamps them, and adds to a `Batch`: personal reminders (held until the
recipient's working hours with `not_before`), channel reminders (held until working hours in the policy's
default zone) and one audit entry per reminder. `Batch.flush()` writes them with a few statements, in the
same transaction as the stamps, so a reminder is recorded exactly when its stamp is.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from vocabulary.messages import Button, Buttons, Context, Message, Text
from vocabulary.platforms import Platforms, finds_people_by_email
from vocabulary.policy import Policy
from storage.repo import outbox_enqueue as notify
from vocabulary import hours
from storage import audit
from storage.repo import absences, reminders as repo
from storage.tables import Person

SNOOZE = "remind.snooze"
MIN_STALE = timedelta(hours=1)


def snooze_buttons(subject: str) -> list[Button]:
    return [Button("Snooze 1 day", SNOOZE, {"s": subject, "d": 1}),
            Button("Snooze 1 week", SNOOZE, {"s": subject, "d": 7})]


def sweep_interval(policy: Policy, now: datetime) -> timedelta:
    """The gap between two runs of the reminder sweep (from its cron expression)."""
    from apscheduler.triggers.cron import CronTrigger

    trig = CronTrigger.from_crontab(policy.reminders.sweep_cron, timezone=policy.reminders.timezone)
    a = trig.get_next_fire_time(None, now)
    b = trig.get_next_fire_time(a, a + timedelta(seconds=1)) if a else None
    return (b - a) if a and b else timedelta(minutes=15)


def stale_after(policy: Policy, now: datetime) -> timedelta:
    """A reminder overdue by more than this was missed (aiom was down), not merely waiting for the next sweep."""
    return max(MIN_STALE, 2 * sweep_interval(policy, now))


def plan(due: datetime, now: datetime, every: timedelta, stale: timedelta, mode: str) -> tuple[bool, datetime]:
    """(send now?, next reminder) for a reminder that fell due at `due`.

    On time: send, and keep the cadence (`due + every`). Missed during downtime: "once" sends one catch-up
    reminder and restarts the cadence from now; "skip" sends nothing and waits for the next regular slot.
    Either way at most one reminder goes out per run: never a burst for the slots that were missed.
    """
    late = now - due
    if late <= stale:
        nxt = due + every
        return True, nxt if nxt > now else now + every
    if mode == "skip":
        slots = int(late / every) + 1
        return False, due + every * slots
    return True, now + every


@dataclass
class Batch:
    session: AsyncSession
    policy: Policy
    platforms: Platforms
    now: datetime
    rows: list[dict] = field(default_factory=list)
    audits: list[dict] = field(default_factory=list)
    snoozes: dict[tuple[int, str], datetime] = field(default_factory=dict)
    idents: dict[int, list[str]] = field(default_factory=dict)
    # People away today (their reminders are held; a usable delegate gets a copy) and people who have left
    # (never reminded): see conversations/people/absence.py.
    away: dict[int, object] = field(default_factory=dict)
    left: set[int] = field(default_factory=set)
    delegates: dict[int, Person] = field(default_factory=dict)

    @property
    def hours(self):
        return self.policy.reminders.working_hours

    async def prepare(self, subjects: list[str], person_ids) -> None:
        """Load the snoozes and platform identities this batch needs, in two queries."""
        self.snoozes.update(await repo.snoozed(self.session, subjects, self.now))
        missing = {p for p in person_ids if p is not None and p not in self.idents}
        found = await repo.identity_platforms(self.session, missing)
        for pid in missing:
            self.idents[pid] = found.get(pid, [])
        await self._prepare_absences(missing)

    async def _prepare_absences(self, person_ids: set[int]) -> None:
        if not person_ids:
            return
        today = self.now.date()
        self.left |= set(await absences.leavers_among(self.session, person_ids))
        away = await absences.away_on(self.session, person_ids, today)
        self.away.update(away)
        wanted = {a.delegate_id for a in away.values() if a.delegate_id is not None}
        if not wanted:
            return
        busy = set(await absences.away_on(self.session, wanted, today)) | set(
            await absences.leavers_among(self.session, wanted))
        found = await repo.people_by_id(self.session, wanted - busy)
        self.delegates.update(found)
        need = {p for p in found if p not in self.idents}
        platforms = await repo.identity_platforms(self.session, need)
        for pid in need:
            self.idents[pid] = platforms.get(pid, [])

    def snoozed(self, person_id: int, subject: str) -> datetime | None:
        return self.snoozes.get((person_id, subject))

    def platform_for(self, person_id: int) -> str | None:
        """The platform the person was last active on (as storage.repo.outbox_enqueue.choose_platform decides)."""
        for p in self.idents.get(person_id, []):
            if p in self.platforms:
                return p
        for p in notify.by_preference(self.platforms):
            if finds_people_by_email(self.platforms, p):
                return p
        return None

    def dm(self, person: Person, message, *, key: str, subject: str, use_case_id: int | None,
           platform: str | None = None, not_to: set[int] | frozenset = frozenset()) -> bool:
        """A personal reminder, held until the person's working hours. False when snoozed, unreachable or the
        person has left. For a person away it is held until they are back, and their delegate (unless in
        `not_to`: people who may not act on it) gets a copy now."""
        if person.id in self.left or self.snoozed(person.id, subject):
            return False
        platform = platform or self.platform_for(person.id)
        if platform is None:
            return False
        when = hours.next_allowed(self.now, person.timezone, self.hours)
        row = repo.outbox_row(dedupe_key=key, platform=platform, kind="dm", target=str(person.id),
                              message=_as_dict(message), purpose="reminder", subject=subject,
                              use_case_id=use_case_id, person_id=person.id, not_before=when, now=self.now)
        away = self.away.get(person.id)
        if away is not None:
            row["status"] = absences.HELD
            self._to_delegate(person, away, message, key=key, subject=subject, use_case_id=use_case_id,
                              not_to=not_to)
        self.rows.append(row)
        return True

    def _to_delegate(self, person: Person, away, message, *, key: str, subject: str, use_case_id: int | None,
                     not_to) -> None:
        delegate = self.delegates.get(away.delegate_id)
        if delegate is None or delegate.id in not_to or self.snoozed(delegate.id, subject):
            return
        platform = self.platform_for(delegate.id)
        if platform is None:
            return
        body = dict(_as_dict(message))
        note = f"For {person.display_name or person.email} ({person.email}), away until {away.until:%d %b %Y}: " \
               "you stand in for them."
        body["blocks"] = [{"text": note, "kind": "context"}, *body.get("blocks", [])]
        when = hours.next_allowed(self.now, delegate.timezone, self.hours)
        self.rows.append(repo.outbox_row(dedupe_key=f"{key}:for:{person.id}", platform=platform, kind="dm",
                                         target=str(delegate.id), message=body, purpose="reminder",
                                         subject=subject, use_case_id=use_case_id, person_id=delegate.id,
                                         not_before=when, now=self.now))

    def post(self, group_key: str, message, *, key: str, subject: str, use_case_id: int | None) -> int:
        """A reminder in each of the group's channels, held until working hours in the policy's zone."""
        when = hours.next_allowed(self.now, None, self.hours)
        targets = notify.group_targets(self.policy, group_key, self.platforms)
        body = _as_dict(message)
        for platform, channel in targets:
            self.rows.append(repo.outbox_row(dedupe_key=f"{key}:{platform}:{channel}", platform=platform,
                                             kind="post", target=channel, message=body,
                                             purpose="reminder", subject=subject, use_case_id=use_case_id,
                                             person_id=None, not_before=when, now=self.now))
        return len(targets)

    def audit(self, action: str, *, entity: str, entity_id, use_case_id: int | None, data: dict) -> None:
        self.audits.append({"action": action, "actor_label": "aiom", "entity": entity, "entity_id": entity_id,
                            "use_case_id": use_case_id, "data": data, "at": self.now})

    async def flush(self) -> int:
        """Write the outbox rows and audit entries collected so far; returns the outbox rows that were new."""
        new = await repo.enqueue_many(self.session, self.rows) if self.rows else 0
        if self.audits:
            await audit.append_many(self.session, self.audits)
        self.rows, self.audits = [], []
        return new


def _as_dict(message) -> dict:
    """A neutral Message, or its dict form already made (shared by the copies of one reminder)."""
    return message if isinstance(message, dict) else as_dict(message)


def as_dict(message: Message) -> dict:
    """`message.to_dict()` for the plain blocks reminders are made of (text, buttons, small print), built
    directly: `dataclasses.asdict` deep-copies every field and was a third of a 100-reminder sweep.
    Anything else falls back to `to_dict()`; tests/test_reminders_kinds.py checks both agree."""
    blocks = []
    for b in message.blocks:
        if isinstance(b, Text) and all(isinstance(p, str) for p in b.parts):
            blocks.append({"parts": list(b.parts), "muted": b.muted, "kind": "text"})
        elif isinstance(b, Context):
            blocks.append({"text": b.text, "kind": "context"})
        elif isinstance(b, Buttons) and all(x.confirm is None for x in b.buttons):
            blocks.append({"buttons": [{"label": x.label, "action": x.action, "payload": dict(x.payload),
                                        "style": x.style, "confirm": None, "url": x.url} for x in b.buttons],
                           "kind": "buttons"})
        else:
            return message.to_dict()
    return {"blocks": blocks, "fallback": message.fallback, "expects": message.expects}


def when_text(when, tz_name: str | None, policy: Policy) -> str:
    return hours.describe(when, tz_name, policy.reminders.working_hours)
