"""Running the real `aiom` command in a subprocess."""
from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
AIOM = [sys.executable, "-m", "bot.cli"]


def clean_env(**overrides: str) -> dict[str, str]:
    """The environment minus any aiom/platform setting of the developer's shell, plus `overrides`."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SLACK_", "MICROSOFT_", "AIOM_", "DATABASE_URL"))}
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env.update(overrides)
    return env
