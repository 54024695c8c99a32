"""Everything the Teams adapter shares across turns, built once by `attach`."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botbuilder.integration.aiohttp import CloudAdapter

from bot.metrics import Metrics
from bot.platform import Host
from bot.teams.auth import AiomBotFrameworkAuthentication
from bot.teams.connector import ConnectorPool
from bot.teams.files import Files
from bot.teams.identity import Directory
from bot.teams.proactive import Proactive
from bot.teams.refs import References
from conversations.engine import Engine


@dataclass
class TeamsRuntime:
    app: Host
    adapter: CloudAdapter
    auth: AiomBotFrameworkAuthentication
    pool: ConnectorPool
    directory: Directory
    refs: References
    proactive: Proactive
    files: Files
    metrics: Metrics | None = None
    rosters: Any = None  # bot.teams.roster.TeamsRosters: review groups that follow a team

    @property
    def engine(self) -> Engine:
        engine = self.app.engine
        if engine is None:  # requests only arrive after app.start(), which builds it
            raise RuntimeError("aiom has not started yet")
        return engine

    @property
    def app_id(self) -> str | None:
        return self.app.settings.MICROSOFT_APP_ID or None

    @property
    def bot_id(self) -> str:
        return f"28:{self.app_id}" if self.app_id else "28:aiom"
