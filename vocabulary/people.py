"""What an email address looks like, for every layer that reads one."""
from __future__ import annotations

import re

EMAIL_RE = re.compile(r"^[A-Za-z0-9._%+'-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")
