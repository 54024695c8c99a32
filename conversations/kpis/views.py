"""How KPIs look in chat: one line per KPI against baseline and target with its trend.

The status view (instruments) and the digest call `kpi_lines` + `kpi_blocks`; the KPI commands use the rest.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from vocabulary.messages import Block, Button, Buttons, Context, Facts, Header, Message, Text
from vocabulary.policy import Policy
from vocabulary.rules import kpis as rules
from storage.repo import kpis as repo
from storage.repo import people
from storage.tables import Kpi, UseCase

ARROW = {rules.UP: "↑", rules.DOWN: "↓", rules.FLAT: "→"}
TREND_WORD = {rules.IMPROVING: "improving", rules.WORSENING: "worsening", rules.STEADY: "steady",
              rules.NO_VALUES: "no values yet"}
FLAG_TEXT = {rules.MOVING_AWAY: "moving away from target", rules.NOT_REPORTED: "not reported"}


@dataclass(frozen=True)
class KpiLine:
    kpi_id: int
    name: str
    layer: str
    layer_label: str
    unit: str
    baseline: float
    target: float
    direction: str
    cadence: str
    owner_id: int | None
    owner_name: str
    last_value: float | None
    last_value_at: datetime | None
    next_due_at: datetime | None
    trend: str
    movement: str | None  # which way the value went: up | down | flat
    at_target: bool | None
    moving_away: bool
    flagged_at: datetime | None
    flag_reason: str

    @property
    def label(self) -> str:
        return f"{self.name} ({self.layer_label.lower()})"

    @property
    def trend_text(self) -> str:
        """The arrow follows the value ('↓' when it went down), the word the KPI's direction: a lower-is-better
        KPI going down is '↓ improving', a higher-is-better one going down '↓ worsening'."""
        word = TREND_WORD.get(self.trend, self.trend)
        arrow = ARROW.get(self.movement or "")
        return f"{arrow} {word}" if arrow else word

    @property
    def value_text(self) -> str:
        """'12 min → target 8 min (lower is better; baseline 15 min) · ↓ improving · at target'."""
        fmt = rules.fmt_number
        better = "higher" if self.direction == rules.HIGHER else "lower"
        parts = [f"{fmt(self.last_value, self.unit)} → target {fmt(self.target, self.unit)} "
                 f"({better} is better; baseline {fmt(self.baseline, self.unit)})", self.trend_text]
        if self.at_target:
            parts.append("at target")
        if self.flagged_at is not None:
            parts.append("⚠ " + FLAG_TEXT.get(self.flag_reason, "flagged"))
        return " · ".join(parts)


def layer_label(policy: Policy | None, key: str) -> str:
    if policy is not None:
        for layer in policy.kpis.layers:
            if layer.key == key:
                return layer.label
    return key.replace("_", " ").capitalize()


def line_for(kpi: Kpi, values: list[float], owner_name: str = "", policy: Policy | None = None) -> KpiLine:
    st = rules.standing(kpi.baseline, kpi.target, kpi.direction, values)
    return KpiLine(kpi_id=kpi.id, name=kpi.name, layer=kpi.layer, layer_label=layer_label(policy, kpi.layer),
                   unit=kpi.unit, baseline=kpi.baseline, target=kpi.target, direction=kpi.direction,
                   cadence=kpi.cadence, owner_id=kpi.owner_id, owner_name=owner_name,
                   last_value=kpi.last_value, last_value_at=kpi.last_value_at, next_due_at=kpi.next_due_at,
                   trend=st.trend, movement=st.movement, at_target=st.at_target, moving_away=st.moving_away,
                   flagged_at=kpi.flagged_at, flag_reason=kpi.flag_reason)


async def kpi_lines(session: AsyncSession, use_case_id: int, policy: Policy | None = None) -> list[KpiLine]:
    """Every active KPI of a use case against baseline and target, with its trend (layer order, then id)."""
    items = await repo.for_use_case(session, use_case_id)
    values = await repo.recent_values(session, [k.id for k in items])
    owners = await people.get_many(session, [k.owner_id for k in items if k.owner_id])
    order = {layer.key: i for i, layer in enumerate(policy.kpis.layers)} if policy else {}
    items.sort(key=lambda k: (order.get(k.layer, 99), k.id))
    return [line_for(k, values.get(k.id, []),
                     owner_name=(owners[k.owner_id].display_name or owners[k.owner_id].email or "")
                     if k.owner_id in owners else "", policy=policy) for k in items]


def kpi_blocks(lines: list[KpiLine], *, empty: str = "No KPIs defined yet.") -> list[Block]:
    """A neutral block list for any view: one fact per KPI, and a note on flagged ones."""
    if not lines:
        return [Context(empty)]
    blocks: list[Block] = [Facts([(ln.label, ln.value_text) for ln in lines])]
    flagged = [ln for ln in lines if ln.flagged_at is not None]
    at = sum(1 for ln in lines if ln.at_target)
    note = f"{at} of {len(lines)} at target"
    if flagged:
        note += f" · {len(flagged)} flagged to the owners"
    blocks.append(Context(note))
    return blocks


def list_message(uc: UseCase, lines: list[KpiLine], *, can_edit: bool) -> Message:
    blocks: list[Block] = [Header(f"KPIs of UC-{uc.id}: {uc.title}"[:150])]
    blocks.extend(kpi_blocks(lines, empty="No KPIs defined yet. Owners define them in three layers: business "
                                          "outcome, model quality and operational health."))
    if can_edit:
        buttons = [Button("Add KPI", "kpi.add", {"uc": uc.id}, style="primary")]
        buttons += [Button(f"Record: {ln.name}"[:70], "kpi.record", {"k": ln.kpi_id}) for ln in lines[:4]]
        if lines:
            buttons.append(Button("Change a KPI", "kpi.change_list", {"uc": uc.id}))
        blocks.append(Buttons(buttons))
    return Message(blocks, fallback=f"KPIs of UC-{uc.id}: {len(lines)} defined")


def prompt_item(uc_id: int, kpi: Kpi, layer: str) -> list[Block]:
    fmt = rules.fmt_number
    last = fmt(kpi.last_value, kpi.unit)
    return [Facts([(f"UC-{uc_id} · {kpi.name} ({layer.lower()})",
                    f"last {last} · target {fmt(kpi.target, kpi.unit)} · baseline {fmt(kpi.baseline, kpi.unit)}")]),
            Buttons([Button("Record the value", "kpi.record", {"k": kpi.id}, style="primary"),
                     Button("Skip this time", "kpi.skip", {"k": kpi.id})])]


def prompt_message(items: list[tuple[int, Kpi, str]], *, typed: bool) -> Message:
    """The cadence prompt: one KPI or several for the same owner; `typed` when a typed reply will be read."""
    first = items[0][1]
    many = len(items) > 1
    blocks: list[Block] = [Header("Time for a KPI update" if not many else f"Time for {len(items)} KPI updates")]
    for uc_id, kpi, layer in items:
        blocks.extend(prompt_item(uc_id, kpi, layer))
    if typed:
        again = " I will then ask for the next one." if many else ""
        blocks.append(Text([f"Just reply with the current value of “{first.name}” as a number, for example 42."
                            + again]))
    else:
        blocks.append(Context("Click Record the value to enter it, or Skip this time if there is nothing new."))
    return Message(blocks, fallback=f"Time for a KPI update: {first.name}", expects="text" if typed else "")


def value_question(uc_id: int, kpi: Kpi) -> Message:
    fmt = rules.fmt_number
    return Message([Text([f"Next: what is the current value of “{kpi.name}” (UC-{uc_id})? Last "
                          f"{fmt(kpi.last_value, kpi.unit)}, target {fmt(kpi.target, kpi.unit)}."]),
                    Context("Reply with a number, or type skip or cancel.")],
                   fallback=f"Current value of {kpi.name}?", expects="text")
