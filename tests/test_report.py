"""`aiom report --period 2026-Q4 --out q4.pdf`: a PDF that opens, with the executive update's ten areas, the
figures of the quarter and the three charts; a wrong period is a clear error, not a stack trace."""
from __future__ import annotations

import asyncio
import shutil
import subprocess

import pytest
from pypdf import PdfReader

from notifications.digest.report import SECTIONS
from tests.support import portfolio
from tests.test_scheduler import _run


async def seeded(db_url, policy) -> None:
    from storage.db import Database

    db = Database(db_url)
    try:
        async with db.write() as s:
            await portfolio.seed(s, policy)
    finally:
        await db.dispose()


async def test_the_quarterly_report_is_a_pdf_with_the_ten_areas_and_the_charts(db_url, policy, tmp_path):
    await seeded(db_url, policy)
    out = tmp_path / "q4.pdf"
    done = await asyncio.to_thread(_run, ["report", "--period", "2026-Q4", "--out", str(out),
                                          "--now", "2026-11-30T08:05:00Z"], db_url)
    assert done.returncode == 0, done.stderr
    assert f"to {out}" in done.stdout
    assert "fontTools" not in done.stderr  # no font-subsetting chatter around the one line it prints
    reader = PdfReader(str(out))
    assert reader.metadata.title == "AI portfolio: quarterly report 2026-Q4"
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert 3 <= len(reader.pages) <= 6  # short: the ten areas, then two pages of charts
    for section in SECTIONS:
        assert section in text, section
    assert "changes since 01 Oct 2026" in text
    assert "Secret HR screening" in text  # leadership's report names restricted use cases
    images = [img for page in reader.pages for img in page.images]
    assert len({img.data for img in images}) == 3 and all(img.image.width >= 560 for img in images)
    # the charts' numbers are in the text too, for whoever cannot see the pictures
    assert "Live use cases by stage: Exploration 2" in " ".join(text.split())
    if shutil.which("pdftotext"):
        plain = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True, check=True).stdout
        assert all(section in plain for section in SECTIONS)


@pytest.mark.parametrize("period,says", [("Q4 2026", "is not a quarter: write it like 2026-Q4"),
                                         ("2027-Q3", "2027-Q3 has not begun yet")])
async def test_a_wrong_period_is_a_clear_error(db_url, policy, tmp_path, period, says):
    out = tmp_path / "x.pdf"
    done = await asyncio.to_thread(_run, ["report", "--period", period, "--out", str(out),
                                          "--now", "2026-11-30T08:05:00Z"], db_url)
    assert done.returncode != 0 and says in done.stderr and "Traceback" not in done.stderr
    assert not out.exists()
