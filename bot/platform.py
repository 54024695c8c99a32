"""The platform contract: what a chat platform adapter under bot/ provides, and what it may rely on.

aiom runs one neutral path for every platform: a platform's event becomes an `Inbound`
(vocabulary/interaction.py), `Engine.handle` turns it into an `Outcome` (its ops: Say, Whisper, ReplaceSource,
Replace, OpenForm, FormErrors, SendFile), and the adapter carries those ops out in the conversation the event
came from. Outside a turn, the outbox's dispatcher delivers queued messages through the platform's
`Deliverer`.

A platform is one package `bot/<name>/`. It imports this module and the layers below bot/ (notifications/,
conversations/, storage/, vocabulary/) and never the composition root (bot/app.py, bot/config.py,
bot/server.py, bot/cli.py, bot/commands/, bot/wiring.py), which wires it; its SDK is imported only inside its
own package. Its `bot/<name>/adapter.py` exposes `PLATFORM`, an object satisfying `Platform` (`ServedPlatform`
when it takes events from a server or a socket); bot/wiring.py lists it, and that line is all the wiring a new
platform needs.

Inbound (`ServedPlatform.attach`):
  - attach its routes or listeners to aiom's aiohttp server, checking the platform's signature or token before
    reading anything else;
  - register its deliverer (`host.add_deliverer`), where review-group memberships are read
    (`host.group_sources[name]`) and the replay of an unfinished inbound journal entry
    (`host.replay_handlers[name]`, bot/journal.py);
  - build the neutral `Inbound` from each event (the actor, with an email only when the platform vouches for
    it; where it happened; the text, the clicked action or the submitted form);
  - hand it to `host.engine.handle` and carry out the returned ops in the same conversation
    (`OpRunner.carry_out` in ops.py); a send that still fails after the SDK's retries goes to the outbox
    (requeue.py), so nothing the person should see is lost.

Outbound: `Deliverer` (notifications/delivery.py): post to a channel or thread, update a message in place,
message a person directly.

Capabilities: `Capabilities` (vocabulary/platforms.py), plain data the layers below read without importing
bot/: the app collects them from the deliverers into the `Platforms` it passes down.

The same role has the same file name in every adapter (docs/DEVELOPERS.md, "Adding a platform"):
  adapter.py   `PLATFORM` and `attach()`
  runtime.py   what the listeners share, built once by `attach()`
  listeners/   one module per kind of event; module-level callbacks registered by `register(...)`
  identity.py  platform users as aiom actors and person hints
  ops.py       `OpRunner.carry_out`: an outcome's ops in the conversation
  requeue.py   a send that failed inside a turn, written to the outbox
  render/      neutral messages and forms in the platform's own format
  deliverer.py the `Deliverer` and the platform's `CAPABILITIES`
  refs.py      the platform's conversation and message references
"""
from __future__ import annotations

from typing import Any, Callable, Protocol, runtime_checkable

from aiohttp import web

from notifications.delivery import Deliverer, DeliveryError, Recipient
from vocabulary.platforms import Capabilities

__all__ = ["Capabilities", "Deliverer", "DeliveryError", "Host", "Platform", "Recipient", "ServedPlatform"]


class Host(Protocol):
    """What the composition root (bot/app.py's `App`) offers a platform adapter."""

    settings: Any  # bot.config.Settings: the adapter reads its own credentials and switches
    policy: Any  # vocabulary.policy.Policy
    db: Any  # storage.db.Database
    clock: Callable
    engine: Any  # conversations.engine.Engine, built by App.start() after attach: reach it when a request comes
    dispatcher: Any  # notifications.dispatcher.Dispatcher (its wake()), once started
    metrics: Any  # bot.metrics.Metrics when served, else None
    deliverers: dict[str, Deliverer]
    group_sources: dict[str, Any]  # platform -> conversations.groups.sources.GroupSource
    replay_handlers: dict[str, Callable]  # platform -> replay of an unfinished inbound journal entry

    def add_deliverer(self, deliverer: Deliverer) -> None:
        """Register the platform's deliverer with the outbox's dispatcher."""


@runtime_checkable
class Platform(Protocol):
    """A chat platform: its name (carried by identities, outbox rows and references) and what it can do."""

    name: str
    capabilities: Capabilities


@runtime_checkable
class ServedPlatform(Platform, Protocol):
    """A platform whose events reach aiom through its server (a webhook) or a socket it opens."""

    def enabled(self, settings: Any) -> bool:
        """Whether its credentials are configured."""

    def attach(self, host: Host, web_app: web.Application, *, listen: bool = True) -> Any:
        """Register the deliverer and mount the inbound routes or listeners on `web_app`, once, before
        `host.start()`; returns the adapter's runtime. `listen=False` (`aiom worker`): deliver only, opening no
        socket that would take events (routes mounted on an application that is never served stay idle)."""
