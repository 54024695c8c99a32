"""Routing notifications into the outbox, inside the caller's transaction.

Nothing is sent here: rows are written with a dedupe key so a retried request
or a second process adds nothing twice, and the dispatcher delivers them.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from vocabulary.messages import Message
from vocabulary.platforms import Platforms, finds_people_by_email
from vocabulary.policy import Policy
from storage.repo import message_refs, outbox, people
from storage.repo.people import normalise_email

PLATFORM_PREFERENCE = ("slack", "teams", "console")  # then any other platform, by name
CONSOLE_GROUP_PREFIX = "#"


async def to_person(session: AsyncSession, *, person_id: int, message: Message, key: str, platforms: Platforms,
                    now: datetime, purpose: str = "notice", subject: str = "", use_case_id: int | None = None,
                    not_before: datetime | None = None, late: bool = False, remember_as: str = "") -> int | None:
    """DM a person on the platform they were last active on (or any platform that can find them)."""
    platform = await choose_platform(session, person_id, platforms)
    if platform is None:
        return None
    return await outbox.enqueue(session, dedupe_key=key, platform=platform, kind="dm", target=str(person_id),
                                message=message.to_dict(), purpose=purpose, subject=subject, now=now,
                                use_case_id=use_case_id, person_id=person_id, not_before=not_before, late=late,
                                ref_purpose=remember_as)


async def choose_platform(session: AsyncSession, person_id: int, platforms: Platforms) -> str | None:
    for ident in await people.identities_of(session, person_id):
        if ident.platform in platforms:
            return ident.platform
    for p in by_preference(platforms):
        if finds_people_by_email(platforms, p):
            return p
    return None


def by_preference(platforms) -> list[str]:
    """The platforms in the order a person with no identity yet is looked for on them."""
    return [p for p in PLATFORM_PREFERENCE if p in platforms] + sorted(set(platforms) - set(PLATFORM_PREFERENCE))


def group_targets(policy: Policy, group_key: str, platforms: Platforms) -> list[tuple[str, str]]:
    """(platform, channel) pairs where a review group reads its messages."""
    group = policy.review.group(group_key)
    out = [(p, ch) for p, chans in group.channels.items() if p in platforms for ch in chans]
    if "console" in platforms:
        out.append(("console", CONSOLE_GROUP_PREFIX + group_key))
    return out


async def to_channels(session: AsyncSession, *, targets: list[tuple[str, str]], message: Message, key: str,
                      now: datetime, remember_as: str = "", thread_of: str = "", purpose: str = "notice", subject: str = "",
                      use_case_id: int | None = None, late: bool = False) -> list[int]:
    """Post to each (platform, channel); `remember_as` records the posted id for later updates."""
    ids = []
    for platform, channel in targets:
        new = await outbox.enqueue(session, dedupe_key=f"{key}:{platform}:{channel}", platform=platform,
                                   kind="post", target=channel, thread_id=f"ref:{thread_of}" if thread_of else "",
                                   ref_purpose=remember_as, message=message.to_dict(), purpose=purpose,
                                   subject=subject, use_case_id=use_case_id, late=late, now=now)
        if new:
            ids.append(new)
    return ids


async def to_group(session: AsyncSession, *, policy: Policy, group_key: str, platforms: Platforms,
                   message: Message, key: str, **kw) -> list[int]:
    """Post to the group's channels; a group with no channel on a chat platform aiom runs on gets the message by
    direct message to each member instead (remembered like a post, so later updates reach those copies too)."""
    targets = group_targets(policy, group_key, platforms)
    ids = await to_channels(session, targets=targets, message=message, key=key, **kw)
    if platforms - {"console"} and not [t for t in targets if t[0] != "console"]:
        ids += await to_members(session, policy=policy, group_key=group_key, platforms=platforms - {"console"},
                                message=message, key=key, **kw)
    return ids


async def to_members(session: AsyncSession, *, policy: Policy, group_key: str, platforms: Platforms,
                     message: Message, key: str, now: datetime, remember_as: str = "", thread_of: str = "",
                     purpose: str = "notice", subject: str = "", use_case_id: int | None = None,
                     late: bool = False) -> list[int]:
    ids = []
    for email in sorted({normalise_email(m) for m in policy.review.group(group_key).members} - {None}):
        person = await people.by_email(session, email) or await people.create(session, email=email,
                                                                               display_name=email)
        new = await to_person(session, person_id=person.id, message=message, key=f"{key}:dm:{person.id}",
                              platforms=platforms, now=now, purpose=purpose, subject=subject,
                              use_case_id=use_case_id, late=late, remember_as=remember_as)
        if new:
            ids.append(new)
    return ids


async def update_everywhere(session: AsyncSession, *, purpose: str, message: Message, key: str,
                            platforms: Platforms, now: datetime, targets: list[tuple[str, str]] = (),
                            use_case_id: int | None = None) -> list[int]:
    """Update every copy of a remembered message (and post where it was meant to be but is not yet)."""
    seen = {(r.platform, r.channel) for r in await message_refs.all_for(session, purpose)}
    ids = []
    for platform, channel in sorted(seen | set(targets)):
        if platform not in platforms:
            continue
        new = await outbox.enqueue(session, dedupe_key=f"{key}:{platform}:{channel}", platform=platform,
                                   kind="update", target=channel, ref_purpose=purpose, message=message.to_dict(),
                                   purpose="update", subject=purpose, use_case_id=use_case_id, now=now)
        if new:
            ids.append(new)
    return ids
