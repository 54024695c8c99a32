"""The botbuilder adapter and its authentication, from aiom's settings.

With `MICROSOFT_APP_ID` set, every request to /api/messages must carry a valid
Bot Framework token (checked by the library's `JwtTokenValidation`). Without an
app id the endpoint only exists when `AIOM_TEAMS_ANONYMOUS=1` (bot/config.py),
and then the library runs with authentication disabled.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication
from botframework.connector.auth import (
    AuthenticateRequestResult,
    ClaimsIdentity,
    ConnectorFactory,
    UserTokenClient,
)

from bot.teams.connector import ConnectorPool

log = logging.getLogger(__name__)


@dataclass
class BotFrameworkConfig:
    """The attribute names ConfigurationBotFrameworkAuthentication reads."""

    APP_ID: str | None
    APP_PASSWORD: str | None
    APP_TYPE: str
    APP_TENANTID: str | None


def bot_framework_config(settings) -> BotFrameworkConfig:
    password = settings.MICROSOFT_APP_PASSWORD.get_secret_value() if settings.MICROSOFT_APP_PASSWORD else None
    return BotFrameworkConfig(APP_ID=settings.MICROSOFT_APP_ID or None, APP_PASSWORD=password,
                              APP_TYPE=settings.MICROSOFT_APP_TYPE, APP_TENANTID=settings.MICROSOFT_APP_TENANT_ID)


class AiomBotFrameworkAuthentication(ConfigurationBotFrameworkAuthentication):
    """The library's authentication, handing out pooled connector clients (see connector.py for why)."""

    def __init__(self, configuration: BotFrameworkConfig, pool: ConnectorPool):
        super().__init__(configuration)
        self.pool = pool
        self._token_clients: dict[str, UserTokenClient] = {}

    async def authenticate_request(self, activity, auth_header: str) -> AuthenticateRequestResult:
        result = await super().authenticate_request(activity, auth_header)
        if result.connector_factory is not None:
            result.connector_factory = self.pool.factory(result.connector_factory)
        return result

    def create_connector_factory(self, claims_identity: ClaimsIdentity) -> ConnectorFactory:
        return self.pool.factory(super().create_connector_factory(claims_identity))

    async def create_user_token_client(self, claims_identity: ClaimsIdentity) -> UserTokenClient:
        # aiom never signs users in, but the adapter asks for this client on every turn; build it once per app id.
        app_id = claims_identity.get_claim_value("aud") or claims_identity.get_claim_value("appid") or ""
        client = self._token_clients.get(app_id)
        if client is None:
            client = self._token_clients[app_id] = await super().create_user_token_client(claims_identity)
        return client


def make_adapter(settings, pool: ConnectorPool) -> tuple[CloudAdapter, AiomBotFrameworkAuthentication]:
    auth = AiomBotFrameworkAuthentication(bot_framework_config(settings), pool)
    adapter = CloudAdapter(auth)

    async def on_error(turn_context, error: Exception) -> None:
        log.error("Teams turn failed (%s in %s): %s", turn_context.activity.type,
                  turn_context.activity.conversation.id if turn_context.activity.conversation else "?",
                  error, exc_info=error)

    adapter.on_turn_error = on_error
    return adapter, auth
