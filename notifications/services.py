"""What notifications/ is given by the running application: built once by bot/app.py and passed to every sweep,
digest run, group sync and the scheduler.

- `db`, `policy`, `clock`: the database, the policy as loaded (review groups as changed in chat are read from
  the database where it matters: conversations/groups/effective.py), and the time the process runs at;
- `platforms`: the platforms this process delivers to (what outbox rows may be written for), each with what it
  can do (vocabulary/platforms.py: whether it finds a person by email);
- `dispatcher`: the outbox dispatcher when there is one (`wake()` tells it new rows are waiting; `worker` is the
  name a process claims digest runs with);
- `public_url`: where aiom is reachable (AIOM_PUBLIC_URL), for chart links in digests and the App Home;
- `group_sources`: platform -> where review-group memberships are read (Slack user groups, Teams teams).

A command that only reads (a digest preview, the quarterly report) needs no more than `db` and `policy`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable, Mapping

from conversations.groups.sources import GroupSource
from notifications.dispatcher import Dispatcher, worker_name
from storage.db import Database
from vocabulary.platforms import Platforms
from storage.types import utcnow
from vocabulary.policy import Policy


@dataclass(frozen=True)
class Services:
    db: Database
    policy: Policy
    clock: Callable[[], datetime] = utcnow
    platforms: Platforms = Platforms()
    dispatcher: Dispatcher | None = None
    public_url: str | None = None
    group_sources: Mapping[str, GroupSource] = field(default_factory=dict)

    def wake(self) -> None:
        """Tell the outbox dispatcher that rows were queued (nothing to do without one)."""
        if self.dispatcher is not None:
            self.dispatcher.wake()

    @property
    def worker(self) -> str:
        """The name this process claims digest runs under (its dispatcher's, so one name per process)."""
        return self.dispatcher.worker if self.dispatcher is not None else worker_name()
