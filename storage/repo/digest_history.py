"""The figures kept per digest period (each sent run's snapshot), read back for the trend and health charts.

A snapshot holds counts by stage *key* with the stage labels of the day, so a trend survives a policy that
renames a stage's label, and a stage the policy no longer has keeps its old label in the charts.
"""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.tables import DigestRun, UseCase
from vocabulary.states import DigestRunStatus, UseCaseStatus

DONE = (DigestRunStatus.QUEUED, DigestRunStatus.SENT)


async def restricted_stage_counts(session: AsyncSession) -> dict[str, int]:
    """Live restricted use cases by stage: what pictures shown outside leadership's channels leave out."""
    q = (select(UseCase.stage, func.count()).where(UseCase.restricted.is_(True), UseCase.status == UseCaseStatus.ACTIVE)
         .group_by(UseCase.stage))
    return {stage: n for stage, n in (await session.execute(q)).all()}


async def snapshots(session: AsyncSession, key: str, *, after: str = "", before: str | None = None) -> list[dict]:
    """One snapshot per period of digest `key` that went out (queued or sent), oldest first: periods after
    `after` and before `before` (period ids sort in time order). Snapshots from before the figures were kept
    whole (no "stages") are left out."""
    q = select(DigestRun.period, DigestRun.snapshot).where(DigestRun.digest_key == key,
                                                           DigestRun.status.in_(DONE), DigestRun.period > after)
    if before is not None:
        q = q.where(DigestRun.period < before)
    q = q.order_by(DigestRun.period, DigestRun.id)
    by_period: dict[str, dict] = {}
    for period, snap in (await session.execute(q)).all():
        if snap and "stages" in snap:
            # the period's slot, for snapshots that do not say when they were taken
            by_period[period] = snap if snap.get("at") else {**snap, "at": period.replace("Z", "+00:00")}
    return [by_period[p] for p in sorted(by_period)]


async def latest_runs(session: AsyncSession, key: str, platform: str, limit: int = 20) -> list[DigestRun]:
    """The latest runs of digest `key` on `platform` that went out, newest first."""
    q = (select(DigestRun).where(DigestRun.digest_key == key, DigestRun.platform == platform,
                                 DigestRun.status.in_(DONE))
         .order_by(DigestRun.period.desc(), DigestRun.id.desc()).limit(limit))
    return list((await session.execute(q)).scalars().all())
