"""Policy checks that span sections: references between groups, stages and gates, instrument
ranges, band tiling, duplicate keys. Each problem carries its own location."""
from __future__ import annotations

from vocabulary.policy.fields import TIERS
from vocabulary.policy.problems import PolicyReferenceError


def check_references(self) -> None:
    """Checks that span sections of `self`, the `Policy` being validated (its validator runs this). Every
    problem is reported, each with its own location, through one `PolicyReferenceError`."""
    problems: list[tuple[str, str]] = []
    add = lambda loc, msg: problems.append((loc, msg))  # noqa: E731
    stages = self.stage_keys
    groups = {g.key for g in self.review.groups}

    def group_ref(loc: str, key: str | None) -> None:
        if key not in groups:
            add(loc, f"unknown review group {key!r} (known: {', '.join(sorted(groups))})")

    for where, entries in _keyed_lists(self):
        seen: set[str] = set()
        for i, e in enumerate(entries):
            if e.key in seen:
                add(f"{where}[{i}].key", f"duplicate key {e.key!r}")
            seen.add(e.key)
    for i, g in enumerate(self.gates):
        if g.from_stage not in stages or g.to_stage not in stages:
            add(f"gates[{i}]", f"unknown stage {g.from_stage!r} -> {g.to_stage!r}")
        elif stages.index(g.to_stage) != stages.index(g.from_stage) + 1:
            add(f"gates[{i}]", "a gate must move to the next stage")
        for tier in TIERS:
            if tier not in g.groups:
                add(f"gates[{i}].groups", f"no groups for tier {tier!r}")
        for tier, keys in g.groups.items():
            for j, k in enumerate(keys):
                group_ref(f"gates[{i}].groups.{tier}[{j}]", k)
        for j, k in enumerate(g.with_vendor):
            group_ref(f"gates[{i}].with_vendor[{j}]", k)
    for i, grp in enumerate(self.review.groups):
        if grp.escalates_to is not None:
            group_ref(f"review.groups[{i}].escalates_to", grp.escalates_to)
            if grp.escalates_to == grp.key:
                add(f"review.groups[{i}].escalates_to", "a group cannot escalate to itself")
        if grp.quorum < 1:
            add(f"review.groups[{i}].quorum", "must be at least 1")
    group_ref("review.leadership_group", self.review.leadership_group)
    for where, keys in (("review.leadership_actions_groups", self.review.leadership_actions_groups),
                        ("incidents.rollback_groups", self.incidents.rollback_groups),
                        ("export_groups", self.export_groups)):
        for j, k in enumerate(keys):
            group_ref(f"{where}[{j}]", k)
    for i, sev in enumerate(self.incidents.severities):
        for j, k in enumerate(sev.notify_groups):
            group_ref(f"incidents.severities[{i}].notify_groups[{j}]", k)
    for tier in TIERS:
        if tier not in self.review.deadline_days:
            add("review.deadline_days", f"no deadline for tier {tier!r}")
    for tier, days in self.review.deadline_days.items():
        if days < 1:
            add(f"review.deadline_days.{tier}", "must be at least 1 day")
    for i, esc in enumerate(self.intake.tier_rule.escalations):
        if esc.count < 1:
            add(f"intake.tier_rule.escalations[{i}].count", "must be at least 1")
    _check_instruments(self, add)
    for i, layer in enumerate(self.kpis.layers):
        if layer.default_cadence not in self.kpis.cadence_days:
            add(f"kpis.layers[{i}].default_cadence", f"unknown cadence {layer.default_cadence!r} "
                f"(known: {', '.join(self.kpis.cadence_days)})")
    if problems:
        raise PolicyReferenceError(problems)


def _keyed_lists(self) -> list[tuple[str, list]]:
    lists: list[tuple[str, list]] = [
        ("stages", self.stages), ("readiness.bands", self.readiness.bands),
        ("risk_register.areas", self.risk_register.areas), ("review.groups", self.review.groups),
        ("intake.themes", self.intake.themes), ("intake.timelines", self.intake.timelines),
        ("intake.risk_questions", self.intake.risk_questions), ("digests", self.digests),
        ("kpis.layers", self.kpis.layers), ("incidents.severities", self.incidents.severities),
        ("incidents.rollback_actions", self.incidents.rollback_actions)]
    for name in ("pilot_selection", "readiness", "rollout_checklist", "vendor_checklist"):
        lists.append((f"{name}.items", getattr(self, name).items))
    for name in ("likelihood", "impact", "statuses"):
        lists.append((f"risk_register.{name}", getattr(self.risk_register, name)))
    for i, q in enumerate(self.intake.risk_questions):
        lists.append((f"intake.risk_questions[{i}].options", q.options))
    return lists


def _check_instruments(self, add) -> None:
    for name in ("pilot_selection", "readiness", "rollout_checklist", "vendor_checklist"):
        if not getattr(self, name).items:
            add(f"{name}.items", "needs at least one item")
    for name in ("pilot_selection", "readiness"):
        inst = getattr(self, name)  # a ScoredInstrument
        if inst.scale_min >= inst.scale_max:
            add(f"{name}.scale_max", "must be greater than scale_min")
        for score in inst.scale_labels:
            if not inst.scale_min <= score <= inst.scale_max:
                add(f"{name}.scale_labels.{score}", f"score outside the scale {inst.scale_min}-{inst.scale_max}")
    ps, rd = self.pilot_selection, self.readiness
    if not ps.total_min <= ps.strong_above < ps.total_max:
        add("pilot_selection.strong_above", f"must lie within the total range {ps.total_min}-{ps.total_max}")
    for field in ("hard_gate_min", "explicit_review_at"):
        if not rd.scale_min <= getattr(rd, field) <= rd.scale_max:
            add(f"readiness.{field}", f"must lie within the scale {rd.scale_min}-{rd.scale_max}")
    band_keys = [b.key for b in rd.bands]
    if rd.gate_min_band not in band_keys:
        add("readiness.gate_min_band", f"unknown band {rd.gate_min_band!r}")
    for j, key in enumerate(rd.conditional_bands):
        if key not in band_keys:
            add(f"readiness.conditional_bands[{j}]", f"unknown band {key!r}")
    # Bands must tile the whole total range without gaps or overlaps.
    expect = rd.total_min
    for i, b in sorted(enumerate(rd.bands), key=lambda ib: (ib[1].min_total, ib[1].max_total)):
        if b.min_total != expect or b.max_total < b.min_total:
            add(f"readiness.bands[{i}]", f"band {b.key!r} covers {b.min_total}-{b.max_total}, but totals must be "
                f"covered from {rd.total_min} to {rd.total_max} without gaps or overlaps (next expected "
                f"total: {expect})")
            break
        expect = b.max_total + 1
    else:
        if expect != rd.total_max + 1:
            add("readiness.bands", f"totals {expect}-{rd.total_max} are not in any band")
