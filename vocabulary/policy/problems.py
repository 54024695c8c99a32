"""What is wrong with a policy file, and where."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    location: str  # e.g. "review.groups[2].quorum" or "policy.yaml line 12"
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"


class PolicyReferenceError(ValueError):
    """Raised by `Policy` validation: one (location, message) per problem."""

    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = problems
        super().__init__("; ".join(f"{loc}: {msg}" for loc, msg in problems))


class PolicyError(Exception):
    """The policy could not be loaded; `.problems` says every reason and where."""

    def __init__(self, problems: list[Problem], source: str | None = None):
        self.problems = list(problems)
        self.source = source
        super().__init__(str(self))

    def __str__(self) -> str:
        n = len(self.problems)
        head = f"{n} problem{'s' if n != 1 else ''} in the policy" + (f" {self.source}" if self.source else "")
        return "\n".join([head + ":", *(f"  {p}" for p in self.problems)])
