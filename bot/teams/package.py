"""The Teams app package: manifest.json (schema 1.29) with the bot's app id filled in, and the two icons."""
from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path
from typing import Any

from bot.teams import icons

MANIFEST_DIR = Path(__file__).resolve().parent / "manifest"  # package data; manifest/teams links here
GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
HOST = re.compile(r"^(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+"
                  r"(:\d{1,5})?$")
DEFAULTS = {"DEVELOPER_NAME": "aiom", "WEBSITE_URL": "https://www.example.com/aiom",
            "PRIVACY_URL": "https://www.example.com/aiom/privacy", "TERMS_URL": "https://www.example.com/aiom/terms"}


class PackageError(ValueError):
    pass


def _fill(node: Any, values: dict[str, str]) -> Any:
    if isinstance(node, str):
        for k, v in values.items():
            node = node.replace("{{" + k + "}}", v)
        return node
    if isinstance(node, list):
        return [_fill(n, values) for n in node]
    if isinstance(node, dict):
        return {k: _fill(v, values) for k, v in node.items()}
    return node


def manifest(app_id: str, *, domain: str | None = None, **urls: str | None) -> dict:
    if not GUID.match(app_id or ""):
        raise PackageError(f"--app-id must be the Azure bot's Microsoft App ID, a GUID like "
                           f"3f1a2b4c-5d6e-4f70-8192-a3b4c5d6e7f8 (got {app_id!r})")
    host = None
    if domain:
        host = re.sub(r"^https?://", "", domain.strip()).rstrip("/")
        if not HOST.match(host):
            raise PackageError(f"--domain must be a host name such as aiom.example.com (got {domain!r})")
    values = {**DEFAULTS, **{k.upper(): v for k, v in urls.items() if v}, "APP_ID": app_id.lower(),
              "BOT_DOMAIN": host or ""}
    for key in ("WEBSITE_URL", "PRIVACY_URL", "TERMS_URL"):
        if not values[key].startswith("https://"):
            raise PackageError(f"--{key.lower().replace('_', '-')} must be an https:// address")
    source = MANIFEST_DIR / "manifest.json"
    if not source.is_file():
        raise PackageError(f"the manifest template {source} is missing: this aiom installation is "
                           "incomplete (reinstall it)")
    template = json.loads(source.read_text(encoding="utf-8"))
    out = _fill(template, values)
    out["validDomains"] = [d for d in out.get("validDomains", []) if d]
    return out


def _icon(name: str) -> bytes:
    path = MANIFEST_DIR / name
    if path.is_file():
        return path.read_bytes()
    return icons.color_icon() if name == "color.png" else icons.outline_icon()


def build(app_id: str, **kw: str | None) -> bytes:
    """The zip Teams accepts for upload (Apps > Manage your apps > Upload an app)."""
    doc = manifest(app_id, **kw)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("manifest.json", json.dumps(doc, indent=2, ensure_ascii=False))
        z.writestr("color.png", _icon("color.png"))
        z.writestr("outline.png", _icon("outline.png"))
    return buf.getvalue()
