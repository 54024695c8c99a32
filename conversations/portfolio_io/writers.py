"""Writing the portfolio as CSV, XLSX or JSON, streamed: rows are written as the batches arrive.

CSV: one header row, then one row per use case (csv module, row by row); text that would start a formula is
neutralised with a leading apostrophe (`neutralise`). XLSX: an openpyxl write-only
workbook (rows go to a temporary file as they are appended), a "Portfolio" sheet in the CSV's layout and an
"About" sheet. JSON: one object, its "use_cases" array written one record at a time.
"""
from __future__ import annotations

import csv
import io
import json
import re
from datetime import datetime
from typing import IO, AsyncIterator, Callable

from vocabulary.policy import Policy
from storage.db import Database
from vocabulary.portfolio_columns import FORMAT, FORMAT_VERSION, NAMES
from conversations.portfolio_io.records import flat, iso, record
from storage.repo import portfolio_export

FORMATS = ("csv", "xlsx", "json")
CONTENT_TYPES = {"csv": "text/csv", "json": "application/json",
                 "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}

Progress = Callable[[int, int], None]


async def records(db: Database, policy: Policy, now: datetime, *, batch_size: int = 500,
                  progress: Progress | None = None) -> AsyncIterator[dict]:
    """Every use case's record, in id order, read a batch at a time."""
    readiness = policy.readiness
    async with db.read() as s:
        total = await portfolio_export.count(s)
        done = 0
        if progress:
            progress(0, total)
        async for batch in portfolio_export.batches(s, batch_size=batch_size,
                                                    hard_gate_keys=tuple(readiness.hard_gate_keys),
                                                    hard_gate_min=readiness.hard_gate_min):
            for bundle in batch:
                yield record(policy, bundle, now)
            done += len(batch)
            if progress:
                progress(min(done, total), total)
            s.expunge_all()


def header(policy: Policy, now: datetime) -> dict:
    return {"format": FORMAT, "format_version": FORMAT_VERSION, "generated_at": iso(now),
            "organisation": policy.organisation, "review_groups": review_groups(policy)}


def review_groups(policy: Policy) -> list[dict]:
    """The review groups in effect (the policy file with the changes made in chat over it)."""
    return [{"key": g.key, "name": g.name, "members": sorted({m.strip().lower() for m in g.members}),
             "channels": {p: list(c) for p, c in sorted(g.channels.items()) if c}, "quorum": g.quorum}
            for g in policy.review.groups]


NUMBER = re.compile(r"[-+]?\d+(\.\d+)?([eE][-+]?\d+)?")  # a plain signed number is no formula
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(text: str) -> str:
    """A CSV cell a spreadsheet would run as a formula (it begins with = + - @, a tab or a carriage return) gets
    a leading apostrophe, so Excel, LibreOffice and Google Sheets show it as text; aiom import removes it."""
    if not text.startswith(FORMULA_START) or NUMBER.fullmatch(text):
        return text
    return "'" + text


def _cell(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:g}"
    if isinstance(v, (int, bool)):
        return str(v)
    return neutralise(str(v))


async def write(fmt: str, db: Database, policy: Policy, out: IO[bytes], now: datetime, *,
                progress: Progress | None = None, batch_size: int = 500) -> int:
    """Write the whole portfolio to the binary stream `out`; returns the number of use cases."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    rows = records(db, policy, now, progress=progress, batch_size=batch_size)
    if fmt == "csv":
        return await _csv(rows, out)
    if fmt == "json":
        return await _json(rows, out, header(policy, now))
    return await _xlsx(rows, out, header(policy, now))


async def _csv(rows: AsyncIterator[dict], out: IO[bytes]) -> int:
    text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
    try:
        w = csv.writer(text)
        w.writerow(NAMES)
        n = 0
        async for rec in rows:
            w.writerow([_cell(v) for v in flat(rec)])
            n += 1
        text.flush()
        return n
    finally:
        text.detach()


async def _json(rows: AsyncIterator[dict], out: IO[bytes], head: dict) -> int:
    opening = json.dumps(head, ensure_ascii=False)[:-1] + ', "use_cases": ['
    out.write(opening.encode())
    n = 0
    async for rec in rows:
        out.write((",\n" if n else "\n").encode() + json.dumps(rec, ensure_ascii=False).encode())
        n += 1
    out.write(b"\n]}\n")
    return n


def _xlsx_cell(ws, v):
    """Text stays text: never a formula (a value starting with "="), never a character XLSX forbids."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if v is None:
        return ""
    if not isinstance(v, str):
        return v
    v = ILLEGAL_CHARACTERS_RE.sub("", v)
    if v.startswith("="):
        cell = WriteOnlyCell(ws, value=v)
        cell.data_type = "s"
        return cell
    return v


async def _xlsx(rows: AsyncIterator[dict], out: IO[bytes], head: dict) -> int:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Portfolio")
    ws.append(NAMES)
    n = 0
    async for rec in rows:
        ws.append([_xlsx_cell(ws, v) for v in flat(rec)])
        n += 1
    about = wb.create_sheet("About")
    for k, v in head.items():
        if k != "review_groups":
            about.append([k, v])
    about.append(["use_cases", n])
    about.append(["note", "Columns are documented in aiom's docs/live-operation.md; aiom import reads the "
                          "Portfolio sheet."])
    groups = wb.create_sheet("Review groups")
    groups.append(["key", "name", "members", "channels", "quorum"])
    for g in head.get("review_groups", []):
        chans = "; ".join(f"{p}: {', '.join(c)}" for p, c in g["channels"].items())
        groups.append([_xlsx_cell(groups, v) for v in (g["key"], g["name"], ", ".join(g["members"]), chans,
                                                         g["quorum"])])
    wb.save(out)
    return n


class FileTooLarge(Exception):
    """The file would be larger than the limit given to `to_bytes`."""

    def __init__(self, limit: int):
        super().__init__(f"the file is larger than {limit:,} bytes")
        self.limit = limit


class _Capped(io.BytesIO):
    """A buffer that refuses to grow past `limit` bytes, so an oversized file is given up early."""

    def __init__(self, limit: int | None):
        super().__init__()
        self.limit = limit

    def write(self, b) -> int:
        if self.limit is not None and self.tell() + len(b) > self.limit:
            raise FileTooLarge(self.limit)
        return super().write(b)


async def to_bytes(fmt: str, db: Database, policy: Policy, now: datetime, *, limit: int | None = None) -> bytes:
    """The whole file in memory (for a chat request), read from read sessions; FileTooLarge past `limit`."""
    buf = _Capped(limit)
    await write(fmt, db, policy, buf, now)
    return buf.getvalue()
