"""The policy a run serves with: the tests' policy (groups with members and channels) plus the members the
scenarios add (the review scenario's reviewers), written to the run's temporary folder."""
from __future__ import annotations

from pathlib import Path

import yaml

from bench.common import ROOT

BASE = ROOT / "tests" / "policies" / "test-policy.yaml"


def write(folder: Path, members: dict[str, list[str]]) -> Path:
    data = yaml.safe_load(BASE.read_text())
    for group in data["review"]["groups"]:
        group["members"] = list(group.get("members", [])) + list(members.get(group["key"], []))
    path = folder / "bench-policy.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path
