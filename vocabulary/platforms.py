"""What each chat platform can do, as plain data every layer may read.

A platform adapter under bot/ declares its `Capabilities` (bot/platform.py is the contract); the composition
root collects them into `Platforms`, the set of platforms aiom runs on, and passes that down to the engine,
the flows, the sweeps and the outbox's write side. Code below bot/ asks a `Platforms` what a platform can do
instead of knowing platforms by name.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping


@dataclass(frozen=True)
class Capabilities:
    """What a platform can do beyond posting, updating and messaging people it knows.

    finds_people_by_email: it can reach a person it has never seen, from their email alone (Slack looks the
    address up; the console prints for anyone). A platform that cannot (Teams: a bot can only message someone
    who has talked to it or shares a team with it) is chosen for a person only once they have an identity on it.
    """

    finds_people_by_email: bool = False


NOTHING_EXTRA = Capabilities()


class Platforms(frozenset):
    """The names of the platforms aiom runs on (a frozenset of str), each with its `Capabilities`.

    Taking a subset (`-`, `&`) keeps the capabilities. A plain set of names may be given wherever a `Platforms`
    is expected: its platforms are then taken to have no extra capabilities.
    """

    capabilities: Mapping[str, Capabilities]

    def __new__(cls, capabilities: Mapping[str, Capabilities] | Iterable[str] = ()):
        caps = dict(capabilities) if isinstance(capabilities, Mapping) else {n: NOTHING_EXTRA for n in capabilities}
        self = super().__new__(cls, caps)
        self.capabilities = caps
        return self

    @classmethod
    def of(cls, deliverers: Mapping[str, Any]) -> "Platforms":
        """From the registered deliverers (platform -> deliverer), each declaring its `capabilities`."""
        return cls({name: getattr(d, "capabilities", None) or NOTHING_EXTRA for name, d in deliverers.items()})

    def can(self, name: str) -> Capabilities:
        return self.capabilities.get(name, NOTHING_EXTRA)

    def __sub__(self, other) -> "Platforms":
        return Platforms({n: c for n, c in self.capabilities.items() if n not in other})

    def __and__(self, other) -> "Platforms":
        return Platforms({n: c for n, c in self.capabilities.items() if n in other})

    def __reduce__(self):
        return Platforms, (dict(self.capabilities),)

    def __repr__(self) -> str:
        return f"Platforms({sorted(self)!r})"


def as_platforms(platforms: Iterable[str] | None) -> Platforms:
    """`platforms` as a `Platforms` (kept as it is when it already is one)."""
    return platforms if isinstance(platforms, Platforms) else Platforms(platforms or ())


def finds_people_by_email(platforms: Iterable[str], name: str) -> bool:
    """Whether `name` is among `platforms` and can reach a person from their email alone."""
    return name in platforms and as_platforms(platforms).can(name).finds_people_by_email
