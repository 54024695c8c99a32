"""Reading an import file (CSV or XLSX) into a header and numbered rows of text values.

Row numbers are the file's own line numbers as a spreadsheet shows them: the header is row 1, the first
use case row 2. Blank rows are skipped (but keep their numbers).
"""
from __future__ import annotations

import csv
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Iterator


class ImportFileError(Exception):
    """The file cannot be read at all (wrong type, not a spreadsheet, not UTF-8)."""


def _text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() else f"{v:g}"
    if isinstance(v, datetime):
        at = v if v.tzinfo else v.replace(tzinfo=timezone.utc)
        return at.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
    if isinstance(v, date):
        return v.isoformat()
    return str(v).strip()


def read(path: str | Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """(header, [(row number, values)]) of a .csv or .xlsx file."""
    p = Path(path)
    if not p.is_file():
        raise ImportFileError(f"There is no file at {p}.")
    suffix = p.suffix.lower()
    if suffix == ".csv":
        rows = _csv(p)
    elif suffix == ".xlsx":
        rows = _xlsx(p)
    else:
        raise ImportFileError(f"{p.name}: aiom imports .csv and .xlsx files (the export's layout).")
    try:
        first = next(rows)
    except StopIteration:
        raise ImportFileError(f"{p.name} is empty: it needs a header row and one row per use case.") from None
    header = [_text(h).strip().lower() for h in first[1]]
    while header and header[-1] == "":
        header.pop()
    body = [(n, [_text(v) for v in values]) for n, values in rows if any(_text(v) for v in values)]
    return header, body


def _unneutralise(v: str) -> str:
    """The export's apostrophe before a cell that would start a formula (writers.neutralise), taken off."""
    return v[1:] if v[:1] == "'" and v[1:2] in ("=", "+", "-", "@", "\t", "\r") else v


def _csv(p: Path) -> Iterator[tuple[int, list[Any]]]:
    try:
        with p.open(encoding="utf-8-sig", newline="") as f:
            for n, values in enumerate(csv.reader(f), start=1):
                yield n, [_unneutralise(v) for v in values]
    except UnicodeDecodeError:
        raise ImportFileError(f"{p.name} is not UTF-8 text. Save it as “CSV UTF-8” and try again.") from None
    except csv.Error as e:
        raise ImportFileError(f"{p.name} is not a readable CSV file: {e}.") from None


def _xlsx(p: Path) -> Iterator[tuple[int, list[Any]]]:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(p, read_only=True, data_only=True)
    except Exception as e:  # zipfile.BadZipFile, KeyError, InvalidFileException...
        raise ImportFileError(f"{p.name} is not a readable .xlsx workbook ({type(e).__name__}).") from None
    try:
        ws = wb["Portfolio"] if "Portfolio" in wb.sheetnames else wb.worksheets[0]
        for n, values in enumerate(ws.iter_rows(values_only=True), start=1):
            yield n, list(values)
    finally:
        wb.close()
