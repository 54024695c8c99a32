"""The board-ready quarterly report: a short PDF with the executive update's ten areas and the three charts.

`aiom report --period 2026-Q4 --out q4.pdf` and `report` in a leader's private chat write it. The text is the
digest's, as leadership's channel sees it (restricted use cases named), for the quarter: "since the last
review" is since the quarter began, "next-period priorities" run to the end of the next quarter. The charts
are drawn from the figures kept per digest period up to the quarter's end. The PDF is written with matplotlib's
PdfPages (already the charts' library: no second PDF dependency), with TrueType fonts embedded so that its
text can be searched and copied.
"""
from __future__ import annotations

import asyncio
import io
import re
import textwrap
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from vocabulary.messages import Context, Facts, Header, Image, Message, Strong, Text, plain
from vocabulary.policy import DigestSchedule, Policy
from notifications.digest import charts, content, history
from notifications.digest.data import Times, collect
from notifications.services import Services

PERIOD = re.compile(r"^(\d{4})-?Q([1-4])$", re.I)
SECTIONS = ("Portfolio by stage", "Business value", "What moved and what stalled", "Top risks",
            "Decisions required from leadership", "Resourcing pressure", "Readiness to scale",
            "Cross-functional alignment", "Incidents and exceptions", "Next-period priorities")
A4 = (8.27, 11.69)
WRAP = 100
LATE_REPORT = timedelta(days=45)  # the last quarter's report is still written this long after it ended
BOTTOM = 0.05  # the lowest line on a page, as a share of its height


class BadPeriod(ValueError):
    pass


@dataclass(frozen=True)
class Quarter:
    label: str
    start: datetime
    end: datetime  # the next quarter's start

    @property
    def next_end(self) -> datetime:
        return parse_period(next_label(self.label)).end


def next_label(label: str) -> str:
    y, q = int(label[:4]), int(label[-1])
    return f"{y + (q == 4)}-Q{q % 4 + 1}"


def parse_period(text: str, tz: str = "UTC") -> Quarter:
    m = PERIOD.match((text or "").strip())
    if not m:
        raise BadPeriod(f"{text!r} is not a quarter: write it like 2026-Q4.")
    y, q = int(m.group(1)), int(m.group(2))
    zone = ZoneInfo(tz)
    start = datetime(y, 3 * q - 2, 1, tzinfo=zone)
    end = datetime(y + (q == 4), 1 if q == 4 else 3 * q + 1, 1, tzinfo=zone)
    return Quarter(f"{y}-Q{q}", start.astimezone(timezone.utc), end.astimezone(timezone.utc))


def schedule_for(policy: Policy) -> DigestSchedule:
    """The policy's first digest (its time zone, top-N and history), or a quarterly one when it has none."""
    if policy.digests:
        return policy.digests[0]
    return DigestSchedule(key="quarterly", name="Quarterly report", cron="0 8 1 1,4,7,10 *", timezone="UTC")


async def build(services: Services, period: str, now: datetime) -> tuple[bytes, str]:
    """(the PDF, its title) for quarter `period`, e.g. "2026-Q4". Raises BadPeriod for a quarter not begun."""
    sched = schedule_for(services.policy)
    q = parse_period(period, sched.timezone)
    if q.start > now:
        raise BadPeriod(f"{q.label} has not begun yet: there is nothing to report.")
    if now - q.end > LATE_REPORT:
        raise BadPeriod(f"{q.label} ended more than {LATE_REPORT.days} days ago: the report's lists are the "
                        "portfolio as it stands, so it is written for the current or the last quarter only.")
    as_of = min(now, q.end)
    async with services.db.read() as s:
        earlier = await history.past(s, sched.key, as_of)
    before = [snap for snap in earlier if history._at(snap) <= q.start]
    times = Times(period_at=as_of, since=q.start, next_at=q.next_end if as_of == q.end else q.end, now=now)
    data = (await collect(services.db, services.policy, sched, times, {True}, before[-1] if before else None))[True]
    title = f"AI portfolio: quarterly report {q.label}"
    message = content.build(services.policy, data)
    tz = ZoneInfo(sched.timezone)
    snaps = [*earlier, history.snapshot(services.policy, data)]
    drawn = await asyncio.to_thread(history.all_charts, services.policy, snaps, tz, True, last_quarter=q.label)
    note = (f"{services.policy.organisation} · figures as of {now.astimezone(tz):%d %b %Y %H:%M} ({sched.timezone}); "
            f"changes since {q.start.astimezone(tz):%d %b %Y}")
    return await asyncio.to_thread(write_pdf, title, note, message, drawn), title


def text_lines(message: Message) -> list[tuple[str, str]]:
    """(style, line) of the digest's text: "h" section titles, "t" text, "s" small print."""
    out: list[tuple[str, str]] = []
    for b in message.blocks:
        if isinstance(b, Header):
            continue
        if isinstance(b, Text):
            first, *rest = plain(b.parts).split("\n")
            out.append(("h" if b.parts and isinstance(b.parts[0], Strong) else "t", first))
            for line in rest:
                out += [("t", w) for w in textwrap.wrap(line, WRAP, subsequent_indent="   ") or [""]]
        elif isinstance(b, Facts):
            out += [("t", w) for w in textwrap.wrap(" · ".join(f"{k} {v}" for k, v in b.items), WRAP)]
        elif isinstance(b, Context):
            out += [("s", w) for w in textwrap.wrap(b.text, WRAP + 10)]
        elif isinstance(b, Image):
            continue
    return out


def write_pdf(title: str, note: str, message: Message, drawn: list[charts.Chart]) -> bytes:
    import matplotlib
    from matplotlib.backends.backend_pdf import PdfPages
    from matplotlib.figure import Figure
    from PIL import Image as PILImage

    lines = text_lines(message)
    buf = io.BytesIO()
    with charts._lock, matplotlib.rc_context({"font.family": list(charts.font_families()), "pdf.fonttype": 42}):
        with PdfPages(buf, metadata={"Title": title, "Creator": "aiom"}) as pdf:
            fig, y = Figure(figsize=A4), 0.95
            fig.text(0.07, y, title, fontsize=15, fontweight="bold", color=charts.INK)
            fig.text(0.07, y - 0.022, note, fontsize=8, color=charts.MUTED)
            y -= 0.05
            for style, line in lines:
                if y < BOTTOM or (style == "h" and y < BOTTOM + 0.05):  # no title alone at a page's foot
                    pdf.savefig(fig)
                    fig, y = Figure(figsize=A4), 0.95
                if style == "h":
                    y -= 0.006
                fig.text(0.07, y, line, fontsize=10 if style == "h" else 8,
                         fontweight="bold" if style == "h" else "normal",
                         color=charts.MUTED if style == "s" else charts.INK)
                y -= 0.0145
            pdf.savefig(fig)
            for pair in (drawn[:2], drawn[2:]):
                fig = Figure(figsize=A4)
                top = 0.94
                for chart in pair:
                    img = PILImage.open(io.BytesIO(chart.png)).convert("RGB")
                    h = 0.86 * A4[0] * img.height / img.width / A4[1]  # the picture's height, as a share
                    ax = fig.add_axes((0.07, top - h, 0.86, h))
                    ax.imshow(img, interpolation="none")  # embedded as drawn, not resampled
                    ax.set_axis_off()
                    fig.text(0.07, top - h - 0.012, textwrap.fill(chart.alt[:1200], 150), fontsize=5.5, va="top",
                             color=charts.MUTED)
                    top -= h + 0.08
                pdf.savefig(fig)
    return buf.getvalue()
