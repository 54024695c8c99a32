"""Everything the Slack listeners share, created once in `attach()`: the aiom app (its engine is reached
lazily, as it is built in `App.start()`), the Web API client, the directory of users, and the work in flight."""
from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from bot.slack.api import SlackApi
from bot.slack.directory import Directory
from bot.slack.forms_store import FormsStore
from bot.slack.people import SlackIds
from bot.slack.refs import DmReferences

if TYPE_CHECKING:  # pragma: no cover
    from bot.app import App
    from conversations.engine import Engine

log = logging.getLogger(__name__)


class SlackRuntime:
    def __init__(self, app: "App", api: SlackApi):
        self.app = app
        self.api = api
        self.directory = Directory(api)
        self.slack_ids = SlackIds(lambda: self.app.db)
        self.forms = FormsStore(lambda: self.app.db, lambda: self.app.clock())
        self.dm_refs = DmReferences(lambda: self.app.db)
        self.bolt = None  # the slack-bolt AsyncApp, set by attach()
        self._inflight: set[asyncio.Task] = set()
        from bot.slack.ops import OpRunner  # noqa: PLC0415 (ops needs the runtime type only at run time)

        self.ops = OpRunner(self)

    @property
    def engine(self) -> "Engine":
        if self.app.engine is None:
            raise RuntimeError("the aiom engine is not started yet")
        return self.app.engine

    def begin(self) -> None:
        """Mark the current task as Slack work in flight (shutdown and tests wait for it)."""
        task = asyncio.current_task()
        if task is not None:
            self._inflight.add(task)
            task.add_done_callback(self._inflight.discard)

    def spawn(self, coro) -> asyncio.Task:
        task = asyncio.ensure_future(coro)
        self._inflight.add(task)
        task.add_done_callback(self._inflight.discard)
        return task

    async def idle(self, timeout: float = 30.0) -> None:
        """Wait until no Slack work is in flight (other than the caller)."""
        me = asyncio.current_task()
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            pending = [t for t in self._inflight if t is not me and not t.done()]
            if not pending:
                return
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                log.warning("%s Slack tasks still running at shutdown", len(pending))
                return
            await asyncio.wait(pending, timeout=left)
