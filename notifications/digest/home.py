"""The portfolio pictures on the Slack App Home tab.

A home tab is a view, not a message: it cannot carry an uploaded file, so it shows the latest digest's charts
from aiom's own server when AIOM_PUBLIC_URL is set (leaders see leadership's digest, restricted use cases
counted; others a digest of a channel that is not leadership's, without them). Without a public URL, or before
the first digest, it offers a button that shows the portfolio with its pictures in the person's direct
messages.
"""
from __future__ import annotations

from zoneinfo import ZoneInfo

from conversations import access
from vocabulary.messages import Button, Buttons, Context, Image, Strong, Text
from notifications.digest import charts, history, schedule
from notifications.digest.runs import chart_url, leadership_channel, public_url
from notifications.services import Services
from storage.repo import digest_history

BUTTON = Button("Portfolio and its pictures", "portfolio.show")


async def blocks(services: Services, session, platform: str, email: str | None) -> list:
    title = Text([Strong("Portfolio at a glance")])
    if not services.policy.digests:
        return []
    sched = services.policy.digests[0]
    leader = access.is_leader(services.policy, email)
    run = None
    if public_url(services):
        for r in await digest_history.latest_runs(session, sched.key, platform):
            if leadership_channel(services.policy, r.platform, r.channel) == leader and "stages" in (r.snapshot or {}):
                run = r
                break
    if run is None or not run.snapshot.get("funnel_token"):
        return [title, Buttons([BUTTON]),
                Context("Shows the portfolio by stage, its trend and the operating model's health in our "
                        "direct messages.")]
    earlier = await history.past(session, sched.key, schedule.parse_period(run.period))
    with charts.words_only():  # the pictures come from aiom's server; only their alt texts are needed here
        drawn = history.all_charts(services.policy, [*earlier, run.snapshot], ZoneInfo(sched.timezone), leader)
    token = run.snapshot["funnel_token"]
    images = [Image(url=chart_url(services, run.id, c.name, token) or "", alt=c.alt) for c in drawn if c.enough]
    return [title, *images, Context(f"From the {sched.name} of {schedule.parse_period(run.period):%d %b %Y}."),
            Buttons([BUTTON])]
