"""`python -m bot.healthcheck`: exit 0 when this container's aiom answers /livez (the image's HEALTHCHECK).

Tries `aiom serve`'s port (AIOM_PORT, default 3978), then `aiom worker`'s (AIOM_WORKER_PORT, default 3979):
one image runs either. Standard library only, two-second timeout.
"""
from __future__ import annotations

import os
import sys
import urllib.request


def main() -> int:
    for port in (os.environ.get("AIOM_PORT") or "3978", os.environ.get("AIOM_WORKER_PORT") or "3979"):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/livez", timeout=2) as r:  # noqa: S310
                if r.status == 200:
                    return 0
        except OSError:
            continue
    print("aiom does not answer /livez", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
