"""The local chat as a platform (bot/platform.py): it reads a terminal, not a server, so `aiom chat` and
`aiom worker --console` wire it themselves (bot/commands/); its deliverer prints for anyone."""
from __future__ import annotations

from bot.console.deliverer import CAPABILITIES


class ConsolePlatform:
    name = "console"
    capabilities = CAPABILITIES


PLATFORM = ConsolePlatform()
