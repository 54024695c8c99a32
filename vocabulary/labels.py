"""Short, consistent names for things the bot mentions often."""
from __future__ import annotations

import re

from vocabulary.policy import Policy

UC_ID = re.compile(r"^(?:uc-?)?(\d{1,9})$", re.I)


def uc_ref(uc) -> str:
    return f"UC-{uc.id}"


def parse_uc_id(text: str) -> int | None:
    m = UC_ID.match(text.strip().lstrip("#"))
    return int(m.group(1)) if m else None


def stage_label(policy: Policy, key: str) -> str:
    try:
        return policy.stage(key).label
    except KeyError:
        return key.replace("_", " ").capitalize()


def tier_label(tier: str) -> str:
    return f"{tier.capitalize()} risk"


def plural(n: int, word: str, many: str | None = None) -> str:
    """“1 condition”, “3 conditions”: the count with the right form of the word."""
    return f"{n} {word if n == 1 else (many or word + 's')}"


def group_name(policy: Policy, key: str) -> str:
    """A review group's name; a key the policy no longer has, capitalised."""
    try:
        return policy.review.group(key).name
    except KeyError:
        return key.capitalize()
