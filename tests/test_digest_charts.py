"""The portfolio charts: drawn for an empty portfolio, one use case, 100,000 use cases and stage names in any
script; their alt text states the numbers drawn; a trend needs history and survives a renamed stage; pictures
outside leadership's channels leave restricted use cases out."""
from __future__ import annotations

import io
import warnings
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from PIL import Image as PILImage

from notifications.digest import charts, history

UTC = ZoneInfo("UTC")
STAGES = ["Idea", "Exploration", "Pilot", "Controlled rollout", "Scale decision", "Ongoing operation"]
ACCENTED = ["Idée", "Évaluation", "Prüfung", "Piloto en acción", "Décision d'échelle", "Opération courante"]
CJK = ["构想", "探索阶段", "試験運用", "段階的展開", "拡大の決定", "운영 중"]


def picture(png: bytes) -> PILImage.Image:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    img = PILImage.open(io.BytesIO(png))
    img.load()
    return img.convert("RGB")


def inked(img: PILImage.Image) -> float:
    """Share of pixels that are not (nearly) white."""
    grey = img.convert("L")
    dark = sum(n for v, n in enumerate(grey.histogram()) if v < 235)
    return dark / (img.width * img.height)


def colours(img: PILImage.Image) -> set[tuple[int, int, int]]:
    return {c for _, c in img.getcolors(1 << 16)}


def check_size(chart: charts.Chart) -> PILImage.Image:
    img = picture(chart.png)
    # reads in a Slack preview and a Teams card (a busy chart is drawn with fewer pixels to fit in the card)
    assert 560 <= img.width <= 800 and 300 <= img.height <= 600
    assert len(chart.png) <= charts.MAX_PNG  # fits inline in a Teams card as base64
    return img


def draw_without_missing_glyphs(fn, *args, **kw) -> charts.Chart:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        chart = fn(*args, **kw)
    missing = [str(w.message) for w in caught if "missing from" in str(w.message).lower()]
    assert missing == []  # every character has a glyph: nothing drawn as an empty box
    return chart


PORTFOLIOS = {
    "one use case": [0, 0, 1, 0, 0, 0],
    "100,000 use cases": [40_000, 25_000, 15_000, 10_000, 2_000, 8_000],
}


@pytest.mark.parametrize("name", list(PORTFOLIOS))
@pytest.mark.parametrize("labels", [STAGES, ACCENTED, CJK], ids=["english", "accented", "cjk"])
def test_portfolio_by_stage_draws_every_count_and_says_it(name, labels):
    if labels is CJK and charts.cjk_font() is None:
        pytest.skip("no CJK font installed (apt-get install fonts-wqy-microhei, see .ci/install-fonts)")
    counts = PORTFOLIOS[name]
    before = [max(0, c - 3) for c in counts]
    rows = list(zip(labels, counts, before))
    chart = draw_without_missing_glyphs(charts.stages, rows, since="23 Nov")
    img = check_size(chart)
    assert inked(img) > 0.02 and len(colours(img)) >= 4  # bars in several colours, labels: not blank
    for label, now, was in rows:  # the alt text states each stage's count and change
        change = f" (+{now - was:,})" if now > was else ""
        assert f"{label} {now:,}{change}" in chart.alt
    assert f"{sum(counts):,} in all" in chart.alt


def test_an_empty_portfolio_says_so_instead_of_empty_bars():
    chart = charts.stages([(s, 0, None) for s in STAGES])
    img = check_size(chart)
    assert 0 < inked(img) < 0.05  # a title and one sentence, no bars
    assert chart.alt.endswith("0 in all.") and all(f"{s} 0" in chart.alt for s in STAGES)


def trend_series(labels, periods: int, scale: int) -> list[tuple[str, list[int]]]:
    return [(label, [scale * (i + 1) + k * scale // 7 for k in range(periods)]) for i, label in enumerate(labels)]


@pytest.mark.parametrize("labels", [STAGES, ACCENTED, CJK], ids=["english", "accented", "cjk"])
@pytest.mark.parametrize("scale", [0, 1, 16_000], ids=["empty", "small", "100k"])
def test_the_trend_states_each_stage_over_twelve_periods(labels, scale):
    if labels is CJK and charts.cjk_font() is None:
        pytest.skip("no CJK font installed (apt-get install fonts-wqy-microhei, see .ci/install-fonts)")
    periods = [f"{d:02d} Sep" for d in range(1, 13)]
    series = trend_series(labels, 12, scale)
    chart = draw_without_missing_glyphs(charts.trend, periods, series)
    img = check_size(chart)
    assert chart.enough and inked(img) > 0.01
    for label, vals in series:
        assert f"{label} {' → '.join(f'{v:,}' for v in vals)}" in chart.alt
    totals = [sum(v[i] for _, v in series) for i in range(12)]
    assert f"in all {' → '.join(f'{t:,}' for t in totals)}" in chart.alt
    if scale == 16_000:
        assert max(totals) > 100_000


def test_a_trend_without_history_says_not_enough_history_yet():
    for periods in ([], ["30 Nov"]):
        chart = charts.trend(periods, [(s, [1] * len(periods)) for s in STAGES])
        check_size(chart)
        assert not chart.enough and "not enough history yet" in chart.alt


@pytest.mark.parametrize("labels", [STAGES, ACCENTED, CJK], ids=["english", "accented", "cjk"])
def test_operating_model_health_states_its_figures(labels):
    if labels is CJK and charts.cjk_font() is None:
        pytest.skip("no CJK font installed (apt-get install fonts-wqy-microhei, see .ci/install-fonts)")
    quarters = [charts.Quarter("2026-Q1", 1, 4, 120.0, {labels[1]: 30.0, labels[2]: 61.0}),
                charts.Quarter("2026-Q2", 0, 0, None, {}),
                charts.Quarter("2026-Q3", 2, 5, 98.4, {labels[1]: 21.0}),
                charts.Quarter("2026-Q4", 30_000, 60_000, 75.0, {labels[1]: 12.0, labels[2]: 44.0})]
    periods = [f"{d:02d} Oct" for d in range(1, 13)]
    overdue, limbo = list(range(12)), [k % 3 for k in range(12)]
    chart = draw_without_missing_glyphs(charts.health, quarters, periods, overdue, limbo)
    img = check_size(chart)
    assert chart.enough and inked(img) > 0.02
    assert "2026-Q1 1 of 4 (25%)" in chart.alt and "2026-Q2 no pilots" in chart.alt
    assert "2026-Q4 30,000 of 60,000 (50%)" in chart.alt
    assert "2026-Q1 120, 2026-Q2 none yet, 2026-Q3 98, 2026-Q4 75" in chart.alt
    assert f"2026-Q1 {labels[1]} 30, {labels[2]} 61" in chart.alt
    assert "overdue reviews 01 Oct to 12 Oct: " + " → ".join(map(str, overdue)) in chart.alt
    assert "pilots in limbo: " + " → ".join(map(str, limbo)) in chart.alt


def test_health_without_history_says_not_enough_history_yet():
    chart = charts.health([], [], [], [])
    check_size(chart)
    assert not chart.enough and "not enough history yet" in chart.alt


# -- history: kept per period, renamed stages, restricted use cases -------------------------------------------
def snap(at: datetime, stages: dict, labels: dict, restricted: dict | None = None, **health) -> dict:
    out = {"at": at.isoformat(), "stages": stages, "labels": labels, "overdue_reviews": 1, "limbo": 0,
           "restricted": restricted or {}}
    if health:
        out["health"] = health
    return out


def test_a_trend_survives_a_renamed_stage_label_and_a_stage_the_policy_dropped(policy):
    start = datetime(2026, 9, 7, 8, tzinfo=timezone.utc)
    old = {"exploration": "Discovery", "pilot": "Pilot", "sandbox": "Sandbox"}
    snaps = [snap(start + timedelta(weeks=k), {"exploration": 2 + k, "pilot": 1, "sandbox": 3 - k}, old)
             for k in range(3)]
    chart = history.trend_chart(policy, snaps, UTC, True)
    explo = next(s.label for s in policy.stages if s.key == "exploration")
    # the stage still in the policy is shown under today's label, with its whole history
    assert f"{explo} 2 → 3 → 4" in chart.alt and "Discovery" not in chart.alt
    # the stage the policy no longer has keeps its last label
    assert "Sandbox 3 → 2 → 1" in chart.alt


def test_pictures_outside_leadership_leave_restricted_use_cases_out(policy):
    at = datetime(2026, 11, 30, 8, tzinfo=timezone.utc)
    now = snap(at, {"exploration": 3, "pilot": 2}, {}, restricted={"pilot": 1})
    before = snap(at - timedelta(weeks=1), {"exploration": 3, "pilot": 1}, {}, restricted={"pilot": 1})
    pilot = next(s.label for s in policy.stages if s.key == "pilot")
    lead = history.stages_chart(policy, now, before, UTC, True)
    others = history.stages_chart(policy, now, before, UTC, False)
    assert f"{pilot} 2 (+1)" in lead.alt and "5 in all" in lead.alt
    assert f"{pilot} 1 (+1)" in others.alt and "4 in all" in others.alt
    trend = history.trend_chart(policy, [before, now], UTC, False)
    assert f"{pilot} 0 → 1" in trend.alt


def test_health_takes_the_last_figures_of_each_of_the_last_four_quarters(policy):
    snaps = []
    for month, scaled in ((2, 1), (3, 2), (5, 3), (8, 4), (9, 5), (11, 6), (12, 7)):
        snaps.append(snap(datetime(2026 if month > 2 else 2026, month, 1, 8, tzinfo=timezone.utc), {"pilot": 1}, {},
                          scaled=scaled, entered=10, to_value=float(100 - scaled), stage_days={"pilot": 30.0}))
    qs = history.quarters(policy, snaps, UTC)
    assert [(q.label, q.scaled) for q in qs] == [("2026-Q1", 2), ("2026-Q2", 3), ("2026-Q3", 5), ("2026-Q4", 7)]
    assert [q.label for q in history.quarters(policy, snaps, UTC, last="2026-Q3")] == ["2026-Q1", "2026-Q2",
                                                                                         "2026-Q3"]
