"""The built wheel carries what the commands need at run time: `aiom teams-package` from an installed wheel,
far from the source tree, writes the package (the manifest template and icons are package data)."""
from __future__ import annotations

import io
import json
import subprocess
import sys
import zipfile

import pytest

from tests.support.proc import ROOT, clean_env

APP_ID = "3F1A2B4C-5D6E-4F70-8192-A3B4C5D6E7F8"


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    r = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", str(ROOT), "-w", str(out)],
                       capture_output=True, text=True, timeout=600)
    if r.returncode:
        pytest.skip(f"could not build the wheel (pip needs setuptools from the package registry): "
                    f"{r.stderr.strip()[-300:]}")
    (wheel,) = out.glob("aiom-*.whl")
    site = out / "site"
    zipfile.ZipFile(wheel).extractall(site)
    return site


def _run(site, cwd, *args):
    env = clean_env()
    env["PYTHONPATH"] = str(site)  # the installed wheel only, not the source folder
    return subprocess.run([sys.executable, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=120)


def test_teams_package_from_the_installed_wheel(installed, tmp_path):
    r = _run(installed, tmp_path, "-c", "import bot; print(bot.__file__)")
    assert r.stdout.strip().startswith(str(installed)), r.stdout + r.stderr
    r = _run(installed, tmp_path, "-m", "bot.cli", "teams-package", "--app-id", APP_ID, "--out", "aiom-teams.zip")
    assert r.returncode == 0, r.stderr
    z = zipfile.ZipFile(io.BytesIO((tmp_path / "aiom-teams.zip").read_bytes()))
    assert sorted(z.namelist()) == ["color.png", "manifest.json", "outline.png"]
    assert json.loads(z.read("manifest.json"))["bots"][0]["botId"] == APP_ID.lower()

