"""The portfolio pictures, drawn with matplotlib (Agg, no display): what leaders see at a glance.

1. `stages`: live use cases by stage now, with the change since the last digest;
2. `trend`: live use cases per stage over the last 12 digests (stacked bars);
3. `health`: the operating model's health: share of pilots that reached scale, median days from idea to value
   and median days in each stage over the last four quarters; overdue reviews and pilots in limbo over time.

Each chart is a small palette PNG (a few tens of KB at most, so it fits inline in a Teams card) and an alt
text that states the same numbers. Colours are the Okabe-Ito palette (safe for the common colour-vision
deficiencies), and series are told apart by hatching and markers as well as colour. Labels may be in any
script: the font list falls back to an installed CJK font (WenQuanYi Micro Hei, Noto Sans CJK, Droid Sans
Fallback) for characters DejaVu Sans lacks.
"""
from __future__ import annotations

import contextlib
import contextvars
import io
import logging
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

from matplotlib import font_manager, ticker  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from PIL import Image as PILImage  # noqa: E402

from vocabulary.text import clip  # noqa: E402

log = logging.getLogger(__name__)
logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)  # "no bold in this CJK font" is expected
logging.getLogger("fontTools").setLevel(logging.WARNING)  # the PDF's font subsetting reports every step at INFO

# Okabe & Ito (2008): distinguishable with protanopia, deuteranopia and tritanopia.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
HATCHES = ("", "//", "..", "xx", "\\\\", "oo", "--", "++")
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
INK, MUTED, GRID = "#1f2328", "#57606a", "#d0d7de"
SIZE = (8.0, 4.5)  # inches at DPI: 800 × 450 pixels, as wide as a Slack preview and a Teams card show
HEALTH_SIZE = (8.0, 6.0)
DPI = 100
COLOURS = 96  # the palette PNG's colours: plenty for flat fills and anti-aliased text
# A picture goes inline in a Teams card as base64 (4/3 of its size), within the 28 KB message limit.
MAX_PNG = 18_000
QUANTIZE = PILImage.Quantize.FASTOCTREE  # as good as median cut for flat charts, in a third of the time
SMALLER = ((COLOURS, 1.0), (48, 1.0), (32, 0.9), (24, 0.8), (16, 0.7))  # (colours, share of the pixels)
NOT_ENOUGH = "Not enough history yet"
CJK_FAMILIES = ("WenQuanYi Micro Hei", "Noto Sans CJK JP", "Noto Sans CJK SC", "Noto Sans CJK KR",
                "Droid Sans Fallback", "Source Han Sans")
CJK_FILES = ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",  # fonts-wqy-microhei
             "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",  # fonts-noto-cjk
             "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf")  # fonts-droid-fallback
_lock = threading.Lock()  # matplotlib's font cache and text layout are not thread-safe


@dataclass(frozen=True)
class Chart:
    name: str
    title: str
    png: bytes
    alt: str
    enough: bool = True  # False: the picture only says there is not enough history yet

    @property
    def filename(self) -> str:
        return f"aiom-{self.name}.png"


@lru_cache(maxsize=1)
def font_families() -> tuple[str, ...]:
    """DejaVu Sans first, then the CJK fonts installed here (matplotlib falls back glyph by glyph). A font
    installed after matplotlib cached its font list is added from where Debian puts it."""
    have = {f.name for f in font_manager.fontManager.ttflist}
    for path in CJK_FILES:
        if not have.intersection(CJK_FAMILIES) and Path(path).exists():
            try:
                font_manager.fontManager.addfont(path)
            except (OSError, RuntimeError, ValueError):  # pragma: no cover - an unreadable font file
                continue
            have = {f.name for f in font_manager.fontManager.ttflist}
    return ("DejaVu Sans", *(f for f in CJK_FAMILIES if f in have))


def cjk_font() -> str | None:
    return next((f for f in font_families()[1:]), None)


def _figure(size=SIZE) -> Figure:
    fig = Figure(figsize=size, dpi=DPI, facecolor="white")
    return fig


def _style(ax) -> None:
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_color(GRID)
    ax.tick_params(colors=MUTED, labelsize=9)
    ax.title.set_color(INK)


def _png(fig: Figure) -> bytes:
    """A palette PNG of at most MAX_PNG bytes: drawn once, then fewer colours and fewer pixels only while it is
    larger."""
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    img = PILImage.frombuffer("RGBA", canvas.get_width_height(), canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
    img = img.convert("RGB")
    out = b""
    for colours, scale in SMALLER:
        sized = img if scale == 1 else img.resize((round(img.width * scale), round(img.height * scale)),
                                                  PILImage.Resampling.LANCZOS)
        small = sized.quantize(colors=colours, method=QUANTIZE, dither=PILImage.Dither.NONE)
        png = io.BytesIO()
        small.save(png, format="PNG", optimize=True)
        out = png.getvalue()
        if len(out) <= MAX_PNG:
            break
    return out


_drawing: contextvars.ContextVar[bool] = contextvars.ContextVar("aiom_charts_drawing", default=True)


@contextlib.contextmanager
def words_only():
    """Within it, charts state their alt text but draw nothing (png is b""): where only the words are needed."""
    token = _drawing.set(False)
    try:
        yield
    finally:
        _drawing.reset(token)


def _render(draw, size=SIZE) -> bytes:
    if not _drawing.get():
        return b""
    with _lock, matplotlib.rc_context({"font.family": list(font_families()), "font.size": 10,
                                       "axes.titlesize": 12, "axes.titleweight": "bold",
                                       "axes.unicode_minus": False, "svg.fonttype": "none"}):
        fig = _figure(size)
        draw(fig)
        return _png(fig)


def _notice(fig: Figure, title: str, text: str) -> None:
    ax = fig.add_subplot()
    ax.set_axis_off()
    ax.set_title(title, loc="left")
    ax.text(0.5, 0.5, text, ha="center", va="center", fontsize=14, color=MUTED, wrap=True,
            transform=ax.transAxes)


def n(v: float | int) -> str:
    """12345 -> '12,345'."""
    return f"{int(round(v)):,}"


def _change(now: int, before: int | None) -> str:
    if before is None or before == now:
        return ""
    return f"{'+' if now > before else '−'}{n(abs(now - before))}"


def _short(label: str, limit: int = 28) -> str:
    return clip(" ".join(label.split()), limit)


# -- 1. the portfolio by stage now -------------------------------------------------------------
def stages(rows: list[tuple[str, int, int | None]], *, since: str = "") -> Chart:
    """`rows`: (stage label, live now, live at the last digest or None) in funnel order."""
    title = "Live use cases by stage"
    total = sum(now for _, now, _ in rows)
    before_known = any(b is not None for _, _, b in rows)
    parts = []
    for label, now, before in rows:
        ch = _change(now, before)
        parts.append(f"{label} {n(now)}" + (f" ({ch})" if ch else ""))
    alt = f"{title}: " + ", ".join(parts) + f"; {n(total)} in all"
    if before_known:
        alt += f"; changes are since the last digest{(' on ' + since) if since else ''}"
    alt += "."

    def draw(fig: Figure) -> None:
        if not rows or total == 0:
            _notice(fig, title, "No live use cases yet")
            return
        ax = fig.add_subplot()
        _style(ax)
        labels = [_short(label) for label, _, _ in rows]
        values = [now for _, now, _ in rows]
        y = list(range(len(rows)))[::-1]
        ax.barh(y, values, color=[PALETTE[i % len(PALETTE)] for i in range(len(rows))], height=0.62,
                edgecolor="white")
        prev = [b for _, _, b in rows]
        if before_known:
            ax.scatter([b if b is not None else 0 for b in prev], y, marker="|", s=320, color=INK, zorder=3)
        top = max(values + [b or 0 for b in prev]) or 1
        for yi, (label, now, before) in zip(y, rows):
            ch = _change(now, before)
            ax.text(now + top * 0.01, yi, n(now) + (f"  ({ch})" if ch else ""), va="center", fontsize=10,
                    color=INK)
        ax.set_yticks(y, labels)
        ax.set_xlim(0, top * 1.22)
        ax.xaxis.set_major_locator(ticker.MaxNLocator(integer=True))
        ax.xaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: n(v)))
        ax.set_title(title + (f" · change since {since or 'the last digest'} (ticks: then)" if before_known
                              else ""), loc="left")
        fig.tight_layout()

    return Chart("stages", title, _render(draw), alt)


# -- 2. the trend -------------------------------------------------------------------------------
def trend(periods: list[str], series: list[tuple[str, list[int]]]) -> Chart:
    """`periods`: labels oldest first (at most 12); `series`: (stage label, live count per period)."""
    title = "Live use cases by stage, last digests"
    if len(periods) < 2:
        alt = f"{title}: {NOT_ENOUGH.lower()} (a trend needs at least two digests; there "\
              f"{'is' if len(periods) == 1 else 'are'} {len(periods)})."
        return Chart("trend", title, _render(lambda fig: _notice(fig, title, NOT_ENOUGH + "\n(a trend needs two "
                                                                        "digests)")), alt, enough=False)
    totals = [sum(vals[i] for _, vals in series) for i in range(len(periods))]
    alt = (f"{title}: {periods[0]} to {periods[-1]} ({len(periods)} digests), "
           + "; ".join(f"{label} {' → '.join(n(v) for v in vals)}" for label, vals in series)
           + f"; in all {' → '.join(n(t) for t in totals)}.")

    def draw(fig: Figure) -> None:
        ax = fig.add_subplot()
        _style(ax)
        x = list(range(len(periods)))
        bottom = [0] * len(periods)
        for i, (label, vals) in enumerate(series):
            ax.bar(x, vals, bottom=bottom, color=PALETTE[i % len(PALETTE)], hatch=HATCHES[(i // len(PALETTE))
                   % len(HATCHES)] if i >= len(PALETTE) else None, label=_short(label, 22), width=0.7,
                   edgecolor="white", linewidth=0.6)
            bottom = [b + v for b, v in zip(bottom, vals)]
        top = max(totals) or 1
        for xi, t in zip(x, totals):
            ax.text(xi, t + top * 0.01, n(t), ha="center", va="bottom", fontsize=8, color=MUTED)
        ax.set_xticks(x, periods, rotation=0 if len(periods) <= 8 else 45, ha="center" if len(periods) <= 8
                      else "right")
        ax.set_ylim(0, top * 1.12)
        ax.yaxis.set_major_locator(ticker.MaxNLocator(integer=True))
        ax.yaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: n(v)))
        ax.set_title(title, loc="left")
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, fontsize=8, reverse=True)
        fig.tight_layout()

    return Chart("trend", title, _render(draw), alt)


# -- 3. operating-model health -------------------------------------------------------------------
@dataclass(frozen=True)
class Quarter:
    label: str  # "2026-Q3"
    scaled: int
    entered: int  # use cases that ever entered pilot
    to_value: float | None  # median days from idea to value
    stage_days: dict[str, float]  # stage label -> median days in it (completed stays)


def health(quarters: list[Quarter], periods: list[str], overdue: list[int], limbo: list[int]) -> Chart:
    """`quarters`: the last four quarters that have figures, oldest first; `periods`/`overdue`/`limbo`: the
    last digests' counts of overdue reviews and pilots in limbo, oldest first."""
    title = "Operating-model health"
    if not quarters and len(periods) < 2:
        alt = f"{title}: {NOT_ENOUGH.lower()} (no quarter has figures yet)."
        return Chart("health", title, _render(lambda fig: _notice(fig, title, NOT_ENOUGH)), alt, enough=False)

    def share(q: Quarter) -> str:
        return f"{n(q.scaled)} of {n(q.entered)} ({round(100 * q.scaled / q.entered)}%)" if q.entered else "no pilots"

    stage_labels = list(dict.fromkeys(s for q in quarters for s in q.stage_days))
    alt_parts = []
    if quarters:
        alt_parts.append("pilots that reached scale: " + ", ".join(f"{q.label} {share(q)}" for q in quarters))
        alt_parts.append("median days from idea to value: " + ", ".join(
            f"{q.label} {n(q.to_value) if q.to_value is not None else 'none yet'}" for q in quarters))
        if stage_labels:
            alt_parts.append("median days in each stage: " + "; ".join(
                f"{q.label} " + ", ".join(f"{s} {n(q.stage_days[s])}" for s in stage_labels if s in q.stage_days)
                for q in quarters if q.stage_days))
    if len(periods) >= 2:
        alt_parts.append(f"overdue reviews {periods[0]} to {periods[-1]}: {' → '.join(n(v) for v in overdue)}")
        alt_parts.append(f"pilots in limbo: {' → '.join(n(v) for v in limbo)}")
    else:
        alt_parts.append("overdue reviews and pilots in limbo over time: " + NOT_ENOUGH.lower())
    alt = f"{title}: " + "; ".join(alt_parts) + "."

    def draw(fig: Figure) -> None:
        axes = fig.subplots(2, 2)
        labels = [q.label for q in quarters]
        x = list(range(len(quarters)))
        a, b, c, d = axes[0][0], axes[0][1], axes[1][0], axes[1][1]
        for ax in (a, b, c, d):
            _style(ax)
        # share of pilots that scaled
        pct = [100 * q.scaled / q.entered if q.entered else 0 for q in quarters]
        a.bar(x, pct, color=PALETTE[2], width=0.6)
        for xi, q, p in zip(x, quarters, pct):
            a.text(xi, p + 2, f"{round(p)}%\n{n(q.scaled)}/{n(q.entered)}" if q.entered else "–", ha="center",
                   va="bottom", fontsize=8, color=INK)
        a.set_ylim(0, 125)
        a.set_yticks([0, 25, 50, 75, 100])
        a.yaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: f"{v:.0f}%"))
        a.set_xticks(x, labels)
        a.set_title("Pilots that reached scale", loc="left", fontsize=10)
        if quarters and not any(q.entered for q in quarters):
            a.text(0.5, 0.5, "No pilots yet", ha="center", va="center", color=MUTED, transform=a.transAxes)
        # median days idea -> value
        vals = [q.to_value or 0 for q in quarters]
        b.bar(x, vals, color=PALETTE[0], width=0.6)
        topb = max(vals) or 1
        for xi, q in zip(x, quarters):
            b.text(xi, (q.to_value or 0) + topb * 0.02, n(q.to_value) if q.to_value is not None else "–",
                   ha="center", va="bottom", fontsize=8, color=INK)
        b.set_ylim(0, topb * 1.25)
        b.set_xticks(x, labels)
        b.set_title("Median days from idea to value", loc="left", fontsize=10)
        if quarters and all(q.to_value is None for q in quarters):
            b.text(0.5, 0.5, "No use case has reached its value yet", ha="center", va="center", color=MUTED,
                   transform=b.transAxes)
        # median days in each stage, grouped by quarter
        width = 0.8 / max(len(stage_labels), 1)
        for i, s in enumerate(stage_labels):
            c.bar([xi - 0.4 + width * (i + 0.5) for xi in x], [q.stage_days.get(s, 0) for q in quarters],
                  width=width, color=PALETTE[i % len(PALETTE)], label=_short(s, 18), edgecolor="white",
                  linewidth=0.4)
        c.set_xticks(x, labels)
        c.set_title("Median days in each stage", loc="left", fontsize=10)
        if stage_labels:
            topc = max([v for q in quarters for v in q.stage_days.values()] + [1])
            c.set_ylim(0, topc * 1.5)  # room for the legend above the bars
            c.legend(fontsize=7, frameon=False, ncols=3, loc="upper left")
        else:
            c.text(0.5, 0.5, "No completed stays yet", ha="center", va="center", color=MUTED,
                   transform=c.transAxes)
        # overdue reviews and pilots in limbo over time
        if len(periods) >= 2:
            px = list(range(len(periods)))
            d.plot(px, overdue, color=PALETTE[5], marker=MARKERS[0], linewidth=3, markersize=8, label="Overdue reviews")
            d.plot(px, limbo, color=PALETTE[0], marker=MARKERS[1], linestyle="--", label="Pilots in limbo")
            d.set_xticks(px, periods, rotation=45, ha="right", fontsize=7)
            d.set_ylim(0, max(overdue + limbo + [1]) * 1.3)
            d.yaxis.set_major_locator(ticker.MaxNLocator(integer=True))
            d.legend(fontsize=7, frameon=False, loc="upper left")
        else:
            d.text(0.5, 0.5, NOT_ENOUGH, ha="center", va="center", color=MUTED, transform=d.transAxes)
            d.set_xticks([])
        d.set_title("Overdue reviews and pilots in limbo", loc="left", fontsize=10)
        if not quarters:
            for ax in (a, b, c):
                ax.cla()
                ax.set_axis_off()
                ax.text(0.5, 0.5, NOT_ENOUGH, ha="center", va="center", color=MUTED, transform=ax.transAxes)
        fig.suptitle(title, x=0.01, ha="left", fontweight="bold", color=INK)
        fig.tight_layout()

    return Chart("health", title, _render(draw, HEALTH_SIZE), alt)
