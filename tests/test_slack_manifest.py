"""The Slack app manifests validate against Slack's published schema and match what the code listens to."""
from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
import yaml

from bot.slack.http import PATH
from bot.slack.listeners.commands.aiom import COMMAND
from bot.slack.listeners.shortcuts.propose import CALLBACK_ID

ROOT = Path(__file__).resolve().parents[1]
MANIFESTS = {"http": ROOT / "manifest" / "slack.yaml", "socket": ROOT / "manifest" / "slack-socket-mode.yaml"}
EVENTS_HANDLED = {"app_home_opened", "app_mention", "message.im", "message.channels", "message.groups",
                  "subteam_members_changed", "subteam_updated", "user_change"}


def load(kind: str) -> dict:
    return yaml.safe_load(MANIFESTS[kind].read_text())


def schema(major: int) -> dict:
    where = os.environ.get("AIOM_SCHEMAS_DIR")
    if not where:
        pytest.skip("AIOM_SCHEMAS_DIR is not set (.ci/run points it at ../shared/schemas): cannot read Slack's "
                    "published manifest schema")
    return json.loads((Path(where) / f"slack-app-manifest-{major}.0.0.schema.json").read_text())


@pytest.mark.parametrize("kind", ["http", "socket"])
def test_manifest_validates_against_slacks_schema(kind):
    import jsonschema

    manifest = load(kind)
    s = schema(manifest["_metadata"]["major_version"])
    jsonschema.Draft7Validator.check_schema(s)
    errors = sorted(jsonschema.Draft7Validator(s).iter_errors(manifest), key=lambda e: list(e.path))
    assert errors == [], "\n".join(f"{list(e.path)}: {e.message}" for e in errors)


@pytest.mark.parametrize("kind", ["http", "socket"])
def test_manifest_matches_the_code(kind):
    m = load(kind)
    assert m["features"]["app_home"] == {"home_tab_enabled": True, "messages_tab_enabled": True,
                                         "messages_tab_read_only_enabled": False}
    assert [c["command"] for c in m["features"]["slash_commands"]] == [COMMAND]
    assert [(s["type"], s["callback_id"]) for s in m["features"]["shortcuts"]] == [("global", CALLBACK_ID)]
    assert set(m["settings"]["event_subscriptions"]["bot_events"]) == EVENTS_HANDLED
    assert m["settings"]["interactivity"]["is_enabled"] is True
    urls = [m["settings"]["event_subscriptions"].get("request_url"), m["settings"]["interactivity"].get("request_url"),
            *(c.get("url") for c in m["features"]["slash_commands"])]
    if kind == "http":
        assert m["settings"]["socket_mode_enabled"] is False
        assert urls == [f"https://YOUR-HOST{PATH}"] * 3
    else:
        assert m["settings"]["socket_mode_enabled"] is True and urls == [None] * 3


@pytest.mark.parametrize("kind", ["http", "socket"])
def test_every_scope_says_why_it_is_needed(kind):
    text = MANIFESTS[kind].read_text()
    scopes = load(kind)["oauth_config"]["scopes"]["bot"]
    for scope in scopes:
        line = re.search(rf"^\s*- {re.escape(scope)}\s*#\s*(\S.*)$", text, re.M)
        assert line, f"scope {scope} has no comment saying why"
    assert set(scopes) == {"app_mentions:read", "channels:history", "groups:history", "chat:write", "commands",
                           "files:write", "im:history", "im:write", "users:read", "users:read.email",
                           "usergroups:read"}
