"""Naming the line of an organisation's policy file for problems found after merging.

Framework problems carry a location such as `frameworks[my-fw].controls[C-1].evidence[2]`; the merged list
index means nothing in the file, so the line is found in the file's text: the first line quoting the control's
key, then the first line after it that holds the offending evidence key."""
from __future__ import annotations

import re
from pathlib import Path

from vocabulary.policy.problems import Problem

_FRAMEWORK = re.compile(r"^frameworks\[(?P<fw>[^\]]+)\]\.controls\[(?P<c>[^\]]+)\](?:\.evidence\[(?P<i>\d+)\])?")
_QUOTED = re.compile(r"'([^']*)'")


def with_lines(problems: list, path: Path) -> list:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return problems
    out = []
    for p in problems:
        m = _FRAMEWORK.match(p.location)
        line = _find(lines, m.group("c"), _evidence_of(p.message)) if m else None
        out.append(Problem(f"{path.name} line {line} ({p.location})", p.message) if line else p)
    return out


def _evidence_of(message: str) -> str | None:
    quoted = _QUOTED.findall(message)
    return quoted[-1] if quoted else None


def _find(lines: list[str], control: str, evidence: str | None) -> int | None:
    start = next((i for i, text in enumerate(lines) if control in text), None)
    if start is None:
        return None
    if evidence:
        for i in range(start, len(lines)):
            if evidence in lines[i].replace(" ", "") or evidence in lines[i]:
                return i + 1
    return start + 1
