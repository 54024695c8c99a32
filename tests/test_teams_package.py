"""`aiom teams-package`: a zip Teams accepts - manifest valid against schema 1.29, the icons Teams requires."""
from __future__ import annotations

import io
import json
import struct
import subprocess
import zipfile
import zlib

from bot.teams.icons import png
from tests.support.proc import AIOM, clean_env
from tests.support.teams_activities import schema

APP_ID = "3F1A2B4C-5D6E-4F70-8192-A3B4C5D6E7F8"


def read_png(data: bytes) -> tuple[int, int, list[tuple[int, int, int, int]]]:
    """(width, height, RGBA pixels) of an 8-bit RGBA, non-interlaced PNG (what aiom writes)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width, height = 8, b"", 0, 0
    while pos < len(data):
        n = struct.unpack(">I", data[pos:pos + 4])[0]
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            width, height, depth, color = struct.unpack(">IIBB", body[:10])
            assert (depth, color) == (8, 6), "8-bit RGBA"
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    raw = zlib.decompress(idat)
    stride = width * 4 + 1
    pixels = []
    for y in range(height):
        row = raw[y * stride:(y + 1) * stride]
        assert row[0] == 0, "aiom writes unfiltered rows"
        pixels += [tuple(row[1 + x * 4:5 + x * 4]) for x in range(width)]
    return width, height, pixels


def _package(tmp_path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*AIOM, "teams-package", *args], env=clean_env(), cwd=tmp_path, capture_output=True,
                          text=True, timeout=60)


def test_package_is_ready_to_upload(tmp_path):
    validator = schema("teams-app-manifest-v1.29.schema.json")
    out = tmp_path / "dist" / "aiom.zip"
    r = _package(tmp_path, "--app-id", APP_ID, "--out", str(out), "--domain", "https://aiom.example.com/")
    assert r.returncode == 0, r.stderr
    with zipfile.ZipFile(out) as z:
        assert sorted(z.namelist()) == ["color.png", "manifest.json", "outline.png"]
        doc = json.loads(z.read("manifest.json"))
        color, outline = z.read("color.png"), z.read("outline.png")
    problems = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(doc)]
    assert problems == []
    assert doc["manifestVersion"] == "1.29" and doc["id"] == doc["bots"][0]["botId"] == APP_ID.lower()
    assert "{{" not in json.dumps(doc)
    bot = doc["bots"][0]
    assert set(bot["scopes"]) == {"personal", "team"}
    for cl in bot["commandLists"]:
        assert [c["title"] for c in cl["commands"]] == ["propose", "status", "my", "portfolio", "help"]
    assert {tuple(cl["scopes"]) for cl in bot["commandLists"]} == {("personal",), ("team",)}
    assert doc["validDomains"] == ["aiom.example.com", "token.botframework.com"]
    # Teams delivers channel replies without an @mention (a decision typed under a review card gets its nudge)
    assert doc["authorization"]["permissions"]["resourceSpecific"] == [
        {"name": "ChannelMessage.Read.Group", "type": "Application"}]
    assert doc["webApplicationInfo"]["id"] == APP_ID.lower()  # resource-specific consent needs the app's id

    w, h, px = read_png(color)
    assert (w, h) == (192, 192) and all(a == 255 for *_, a in px)
    w, h, px = read_png(outline)
    assert (w, h) == (32, 32)
    assert any(a == 0 for *_, a in px), "the outline icon has a transparent background"
    assert any(a == 255 for *_, a in px)
    assert all((r_, g, b) == (255, 255, 255) for r_, g, b, a in px if a > 0), "the outline is white only"


def test_bad_app_id_or_domain_is_refused_clearly(tmp_path):
    r = _package(tmp_path, "--app-id", "my-bot")
    assert r.returncode == 2 and "GUID" in r.stderr and not (tmp_path / "aiom-teams.zip").exists()
    r = _package(tmp_path, "--app-id", APP_ID, "--domain", "not a host")
    assert r.returncode == 2 and "--domain" in r.stderr


def test_png_writer_round_trips():
    pixels = bytes([10, 20, 30, 40] * 6)
    w, h, px = read_png(png(3, 2, pixels))
    assert (w, h) == (3, 2) and px == [(10, 20, 30, 40)] * 6
    committed = io.BytesIO()  # the committed icons are the ones the code draws
    from bot.teams import icons
    from bot.teams.package import MANIFEST_DIR

    committed.write((MANIFEST_DIR / "outline.png").read_bytes())
    assert committed.getvalue() == icons.outline_icon()
