"""The KPI rules: at target, trend, moving away, missed cadences, the due-date schedule, time to value."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from vocabulary.rules import kpis as r

T0 = datetime(2026, 11, 23, 9, tzinfo=timezone.utc)


@pytest.mark.parametrize("value,target,direction,expected", [
    (20, 20, "higher", True), (21, 20, "higher", True), (19.99, 20, "higher", False),
    (20, 20, "lower", True), (19, 20, "lower", True), (20.01, 20, "lower", False),
])
def test_at_target_respects_direction(value, target, direction, expected):
    assert r.at_target(value, target, direction) is expected


def test_unknown_direction_is_refused():
    with pytest.raises(ValueError):
        r.at_target(1, 2, "up")


@pytest.mark.parametrize("baseline,values,direction,expected", [
    (10, [], "higher", r.NO_VALUES),
    (10, [12], "higher", r.IMPROVING),  # the first value is compared with the baseline
    (10, [8], "higher", r.WORSENING),
    (10, [12, 12], "higher", r.STEADY),
    (30, [25, 27], "lower", r.WORSENING),
    (30, [25, 22], "lower", r.IMPROVING),
])
def test_trend_is_the_last_step(baseline, values, direction, expected):
    assert r.trend(baseline, values, direction) == expected


@pytest.mark.parametrize("baseline,values,expected", [
    (10, [], None), (10, [12], r.UP), (10, [8], r.DOWN), (30, [25, 22], r.DOWN), (30, [25, 25], r.FLAT),
    (30, [22, 25], r.UP),
])
def test_movement_is_which_way_the_value_went_whatever_the_direction(baseline, values, expected):
    assert r.movement(baseline, values) == expected
    assert r.standing(baseline, 20, "lower", values).movement == expected


@pytest.mark.parametrize("baseline,target,direction,values,expected", [
    # no values: nothing to judge
    (30, 20, "lower", [], False),
    # one step the wrong way but still better than the baseline: not yet
    (30, 20, "lower", [25, 27], False),
    # two consecutive values the wrong way (25 -> 27 -> 28)
    (30, 20, "lower", [25, 27, 28], True),
    # the first value is compared with the baseline: 31 is further from 20 than 30 was
    (30, 20, "lower", [31], True),
    # 30 -> 29 improves, 29 -> 29.5 worsens: one wrong step only
    (30, 20, "lower", [29, 29.5], False),
    # at target is never moving away, whatever the steps
    (30, 20, "lower", [18, 19, 20], False),
    # higher is better: 0.80 -> 0.84 -> 0.83 -> 0.82 (two wrong steps)
    (0.80, 0.90, "higher", [0.84, 0.83, 0.82], True),
    # higher is better: below the baseline is further than the baseline was
    (0.80, 0.90, "higher", [0.79], True),
    # equal values are not a wrong step
    (0.80, 0.90, "higher", [0.85, 0.85, 0.85], False),
    # a baseline already at target: any value short of it is further away
    (0.95, 0.90, "higher", [0.89], True),
])
def test_moving_away(baseline, target, direction, values, expected):
    assert r.moving_away(baseline, target, direction, values) is expected


def test_missed_cadences_counts_whole_cadences():
    assert r.missed_cadences(T0, 7, T0 + timedelta(days=13, hours=23)) == 1
    assert r.missed_cadences(T0, 7, T0 + timedelta(days=14)) == 2
    assert r.missed_cadences(T0, 7, T0 - timedelta(days=1)) == 0
    assert r.not_reported(T0, 7, T0 + timedelta(days=14), 2)
    assert not r.not_reported(T0, 7, T0 + timedelta(days=13), 2)


def test_schedule_moves_in_whole_cadences():
    due = r.first_due(T0, 7)
    assert due == T0 + timedelta(days=7)
    assert r.next_slot_after(due, 7, T0) == due  # not yet due: unchanged
    assert r.next_slot_after(due, 7, due) == due + timedelta(days=7)  # answered at the due time
    assert r.next_slot_after(due, 7, due + timedelta(days=16)) == due + timedelta(days=21)
    assert r.current_slot(due, 7, due + timedelta(days=16)) == due + timedelta(days=14)
    assert r.current_slot(due, 7, due - timedelta(days=1)) == due


def test_time_to_value_and_standing():
    assert r.time_to_value_days(T0, None) is None
    assert r.time_to_value_days(T0, T0 + timedelta(days=35, hours=5)) == 35
    st = r.standing(30, 20, "lower", [25, 19])
    assert (st.at_target, st.trend, st.moving_away, st.latest) == (True, r.IMPROVING, False, 19)
    assert r.standing(30, 20, "lower", []).at_target is None


def test_numbers_are_shown_plainly():
    assert r.fmt_number(None) == "none yet"
    assert r.fmt_number(12.5, "min") == "12.5 min"
    assert r.fmt_number(97, "%") == "97%"
    assert r.fmt_number(120000) == "120,000"
