"""Who may talk to /api/messages: with an app id only requests with a valid Bot Framework token; without one,
only when anonymous mode is switched on (and then aiom says loudly that authentication is off)."""
from __future__ import annotations

import json
import logging
import time
from datetime import datetime

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from botframework.connector.auth import AuthenticationConstants
from botframework.connector.auth.jwt_token_extractor import JwtTokenExtractor

from storage.repo import conversation_refs
from tests.support.teams_activities import TeamsAiom, members_added, message, personal, user

APP_ID = "3f1a2b4c-5d6e-4f70-8192-a3b4c5d6e7f8"
AUTH_ENV = {"AIOM_TEAMS_ANONYMOUS": None, "MICROSOFT_APP_ID": APP_ID, "MICROSOFT_APP_PASSWORD": "not-a-real-secret"}
KID = "aiom-test-key"


def _key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def bot_framework_keys():
    """The keys the Bot Framework publishes at its OpenID endpoint, faked: the library's key cache is seeded
    with one test key (endorsed for msteams), as if it had fetched them from login.botframework.com."""
    key = _key()
    jwk = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
    jwk.update({"kid": KID, "endorsements": ["msteams"]})
    url = AuthenticationConstants.TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL
    saved = JwtTokenExtractor.metadataCache.pop(url, None)
    metadata = JwtTokenExtractor.get_open_id_metadata(url)
    metadata.keys, metadata.last_updated = [jwk], datetime.now()
    yield key
    JwtTokenExtractor.metadataCache.pop(url, None)
    if saved is not None:
        JwtTokenExtractor.metadataCache[url] = saved


def token(key, service_url: str, *, aud: str = APP_ID, iss: str = "https://api.botframework.com",
          expires_in: int = 3600, kid: str = KID) -> str:
    now = int(time.time())
    claims = {"iss": iss, "aud": aud, "serviceurl": service_url, "nbf": now - 10, "exp": now + expires_in}
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})


async def _stored_refs(t: TeamsAiom) -> list:
    async with t.app.db.read() as s:
        return [await conversation_refs.get(s, "teams", f"a:personal-{u}") for u in ("aad-amy-aaaa",)]


async def test_with_an_app_id_only_a_valid_bot_framework_token_gets_in(db_url, policy, bot_framework_keys):
    t = await TeamsAiom.start(db_url, policy=policy, env=AUTH_ENV)
    try:
        amy = user("Amy", "amy@example.com")
        act = members_added(amy, service_url=t.service_url, conversation=personal(amy), bot_added=False)
        attacker = _key()
        refused = {
            "no token": {},
            "not a JWT": {"Authorization": "Bearer not-a-token"},
            "wrong scheme": {"Authorization": "Basic " + token(bot_framework_keys, t.service_url)},
            "forged (signed with another key)": {"Authorization": "Bearer " + token(attacker, t.service_url)},
            "forged issuer": {"Authorization": "Bearer " + token(attacker, t.service_url, iss="https://evil")},
            "for another bot": {"Authorization": "Bearer " + token(bot_framework_keys, t.service_url,
                                                                   aud="another-bot")},
            "expired": {"Authorization": "Bearer " + token(bot_framework_keys, t.service_url, expires_in=-3600)},
            "for another serviceUrl": {"Authorization": "Bearer " + token(bot_framework_keys,
                                                                          "https://smba.evil/")},
        }
        for why, headers in refused.items():
            r = await t.post(dict(act, id=f"x-{why}"), headers=headers)
            assert r.status == 401, why
        assert await _stored_refs(t) == [None]  # none of them changed anything
        assert t.fake.calls == []

        ok = await t.post(act, headers={"Authorization": "Bearer " + token(bot_framework_keys, t.service_url)})
        assert ok.status == 200
        assert (await _stored_refs(t))[0] is not None
    finally:
        await t.stop()


async def test_without_app_id_and_without_the_switch_teams_is_not_mounted(db_url, policy):
    t = await TeamsAiom.start(db_url, policy=policy, env={"AIOM_TEAMS_ANONYMOUS": None})
    try:
        amy = user("Amy", "amy@example.com")
        r = await t.post(message(amy, "hello", service_url=t.service_url))
        assert r.status == 404
        assert "teams" not in t.app.deliverers
        health = await t.client.get("/healthz")
        assert (await health.json())["platforms"] == []
    finally:
        await t.stop()


async def test_anonymous_switch_works_and_warns_loudly(db_url, policy, caplog):
    caplog.set_level(logging.WARNING)
    t = await TeamsAiom.start(db_url, policy=policy)
    try:
        warnings = [r for r in caplog.records if r.levelno == logging.WARNING and r.name.startswith("bot.teams")]
        assert any("TEAMS AUTHENTICATION IS OFF" in r.getMessage() for r in warnings)
        amy = t.chat(user("Amy", "amy@example.com"))
        r = await amy.say("hello")
        assert r.status == 200 and "Hello Amy" in r.text
    finally:
        await t.stop()


def test_anonymous_mode_cannot_be_combined_with_an_app_id():
    from bot.config import ConfigError, load_settings

    with pytest.raises(ConfigError) as e:
        load_settings({"MICROSOFT_APP_ID": APP_ID, "MICROSOFT_APP_PASSWORD": "x", "AIOM_TEAMS_ANONYMOUS": "1"},
                      env_file=None)
    assert "AIOM_TEAMS_ANONYMOUS" in str(e.value)
