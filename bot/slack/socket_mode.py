"""Socket Mode (SLACK_APP_TOKEN): the same bolt app over a WebSocket, for hosts Slack cannot reach."""
from __future__ import annotations

import asyncio
import logging

from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp

log = logging.getLogger(__name__)


class SocketMode:
    def __init__(self, bolt: AsyncApp, app_token: str):
        self.handler = AsyncSocketModeHandler(bolt, app_token)  # uses the bolt app's client (SLACK_API_URL)
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        """Connect in the background: start-up does not wait for Slack (the client reconnects by itself)."""
        self._task = asyncio.ensure_future(self._connect())

    async def _connect(self) -> None:
        try:
            await self.handler.connect_async()
            log.info("Slack Socket Mode connected")
        except Exception:
            log.exception("Slack Socket Mode could not connect; check SLACK_APP_TOKEN")

    async def stop(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
        try:
            await self.handler.close_async()
        except Exception:  # pragma: no cover - closing a half-open socket
            log.debug("closing Socket Mode", exc_info=True)
