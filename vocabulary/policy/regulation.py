"""Regulation and frameworks as typed policy data.

`eu_ai_act`: the EU AI Act classification asked at intake (questions, what each answer means, articles), the
obligations each classification brings for each role, the groups that must review high-risk use cases, and the
Act's application dates. `frameworks`: lists of controls, each mapped to aiom evidence keys (see
`vocabulary/rules/evidence.py` for the key grammar). Both are data: an organisation changes them in its own
policy file (merged by key like every other list) and `aiom policy check` validates them.
"""
from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

# The classification, strongest first. "minimal" is the Act's remaining case: no specific obligation.
Classification = Literal["prohibited", "high_risk", "transparency", "minimal"]
CLASSES: tuple[str, ...] = ("prohibited", "high_risk", "transparency", "minimal")
ROLES: tuple[str, ...] = ("provider", "deployer", "both")
CLASS_LABELS = {"prohibited": "Prohibited practice", "high_risk": "High-risk",
                "transparency": "Transparency obligations", "minimal": "Minimal risk"}
ROLE_LABELS = {"provider": "provider", "deployer": "deployer", "both": "provider and deployer", "": "role not set"}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AskWhen(_Strict):
    """Ask a question only when an earlier answer is one of `one_of`.

    `answer` names it: `risk.<intake risk question key>`, `ai_act.<earlier AI Act question key>`, or
    `ai_act.class` (the classification the earlier AI Act answers give)."""

    answer: str
    one_of: list[str]


class ActOption(_Strict):
    key: str
    label: str
    # What this answer makes the use case (None: it does not change the classification).
    result: Classification | None = None
    articles: list[str] = Field(default_factory=list)
    # The key of the application date (in `dates`) from which what this answer brings applies.
    applies_from: str = ""


class ActQuestion(_Strict):
    key: str
    label: str  # short, for summaries
    question: str
    help: str = ""
    # Asked when ANY of these holds (the questions appear only when relevant).
    ask_when: list[AskWhen]
    options: list[ActOption]


class ApplicationDate(_Strict):
    key: str
    date: date
    what: str
    articles: list[str] = Field(default_factory=list)


class Obligation(_Strict):
    key: str
    title: str
    articles: list[str] = Field(default_factory=list)
    # Which classifications and roles bring it ("both" counts as provider and as deployer).
    classes: list[Classification]
    roles: list[Literal["provider", "deployer"]]
    # Extra condition: brought only when one of these answers holds (empty: always for the classes and roles).
    only_when: list[AskWhen] = Field(default_factory=list)
    owner: Literal["business_owner", "delivery_owner"] = "delivery_owner"
    # Must be closed before the gate out of this stage may be requested.
    before_leaving: str = "pilot"
    # What counts as done, said to the owner.
    done_when: str = ""


class EuAiAct(_Strict):
    name: str = "EU AI Act"
    reference: str
    # The group told at once about a prohibited classification.
    legal_group: str
    # The group whose members may change a classification (with a reason).
    change_group: str
    # Groups added to every gate's review of a high-risk use case.
    high_risk_groups: list[str] = Field(default_factory=list)
    dates: list[ApplicationDate] = Field(default_factory=list)
    questions: list[ActQuestion]
    obligations: list[Obligation] = Field(default_factory=list)

    def date(self, key: str) -> ApplicationDate | None:
        return next((d for d in self.dates if d.key == key), None)

    def question(self, key: str) -> ActQuestion:
        for q in self.questions:
            if q.key == key:
                return q
        raise KeyError(key)


class Control(_Strict):
    key: str  # the framework's own identifier, e.g. "GOVERN 1.1" or "Art. 26(2)"
    title: str
    # Applies only to use cases with these classifications (empty: to every use case).
    applies_to: list[Classification] = Field(default_factory=list)
    # aiom evidence keys; all met → met, some → partly, none → missing.
    evidence: list[str]


class Framework(_Strict):
    key: str
    name: str
    source: str = ""
    note: str = ""
    controls: list[Control]
