"""The EU AI Act classification as plain functions over plain data.

`classify(act, risk_answers, act_answers)` reads the intake's risk answers and the AI Act answers (question key
→ option key) and returns the classification (prohibited / high_risk / transparency / minimal, the strongest any
asked answer gives; minimal when none), the role, whether a general-purpose model is placed on the market, and
the reasons with their articles. A question counts only when it was asked: its `ask_when` holds on the answers
before it. `obligations_for` lists the obligations the result brings (by class, role and extra conditions).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from vocabulary.policy.regulation import CLASSES, AskWhen, EuAiAct, Obligation


@dataclass(frozen=True)
class Classification:
    classification: str  # prohibited | high_risk | transparency | minimal
    role: str = ""  # provider | deployer | both | "" (not asked)
    gpai: bool = False
    answers: dict[str, str] = field(default_factory=dict)  # the asked questions' answers only
    # (question label, answer label, articles) for every answer that set or shaped the classification.
    reasons: tuple[tuple[str, str, tuple[str, ...]], ...] = ()
    # Transparency duties apply as well (a high-risk use case may carry them too).
    transparency: bool = False

    def as_data(self) -> dict:
        return {"class": self.classification, "role": self.role, "gpai": self.gpai, "answers": self.answers,
                "reasons": [[q, a, list(arts)] for q, a, arts in self.reasons], "transparency": self.transparency}


def _strongest(results: list[str]) -> str:
    for c in CLASSES:
        if c in results:
            return c
    return "minimal"


def _holds(cond: AskWhen, view: dict[str, str]) -> bool:
    return view.get(cond.answer) in cond.one_of


def _unanswered(cond: AskWhen, view: dict[str, str]) -> bool:
    return cond.answer.startswith("ai_act.") and cond.answer != "ai_act.class" and cond.answer not in view


def _view(risk_answers: dict[str, str], act_answers: dict[str, str], results: list[str]) -> dict[str, str]:
    view = {f"risk.{k}": v for k, v in risk_answers.items()}
    view |= {f"ai_act.{k}": v for k, v in act_answers.items()}
    view["ai_act.class"] = _strongest(results)
    return view


def walk(act: EuAiAct, risk_answers: dict[str, str], act_answers: dict[str, str]) -> tuple[list[str], dict]:
    """(keys of the questions that are asked, in order; the view of the answers so far) — a question is asked
    when any of its conditions holds on the risk answers and the AI Act answers before it."""
    asked: list[str] = []
    kept: dict[str, str] = {}
    results: list[str] = []
    for q in act.questions:
        view = _view(risk_answers, kept, results)
        if not any(_holds(c, view) for c in q.ask_when):
            continue
        asked.append(q.key)
        answer = act_answers.get(q.key)
        if answer is None:
            continue
        kept[q.key] = answer
        opt = next((o for o in q.options if o.key == answer), None)
        if opt is not None and opt.result:
            results.append(opt.result)
    return asked, _view(risk_answers, kept, results)


def is_asked(act: EuAiAct, key: str, risk_answers: dict[str, str], act_answers: dict[str, str]) -> bool:
    earlier = {}
    for q in act.questions:
        if q.key == key:
            break
        if q.key in act_answers:
            earlier[q.key] = act_answers[q.key]
    asked, _ = walk(act, risk_answers, earlier)
    return key in asked


def classify(act: EuAiAct, risk_answers: dict[str, str], act_answers: dict[str, str]) -> Classification:
    asked, _ = walk(act, risk_answers, act_answers)
    answers = {k: act_answers[k] for k in asked if k in act_answers}
    results: list[str] = []
    reasons: list[tuple[str, str, tuple[str, ...]]] = []
    for key, answer in answers.items():
        q = act.question(key)
        opt = next((o for o in q.options if o.key == answer), None)
        if opt is None:
            continue
        if opt.result:
            results.append(opt.result)
        if opt.result or opt.articles or key == "role":
            reasons.append((q.label, opt.label, tuple(opt.articles)))
    role = answers.get("role", "")
    return Classification(classification=_strongest(results), role=role, gpai=answers.get("gpai") == "yes",
                          answers=answers, reasons=tuple(reasons), transparency="transparency" in results)


def applies_from(act: EuAiAct, answers: dict[str, str]) -> list:
    """The application dates of what the answers bring (policy data), earliest first."""
    out = {}
    for key, answer in answers.items():
        try:
            q = act.question(key)
        except KeyError:
            continue
        opt = next((o for o in q.options if o.key == answer), None)
        d = act.date(opt.applies_from) if opt is not None and opt.applies_from else None
        if d is not None:
            out[d.key] = d
    return sorted(out.values(), key=lambda d: d.date)


def roles_of(role: str) -> set[str]:
    return {"provider", "deployer"} if role == "both" else ({role} if role else set())


def obligations_for(act: EuAiAct, result: Classification, risk_answers: dict[str, str] | None = None, *,
                    assume_unanswered: bool = False) -> list[Obligation]:
    """The obligations the classification brings for its role, in the policy's order.

    `assume_unanswered`: a condition on an AI Act question nobody answered counts as holding (used when the risk
    reviewers set the classification by hand: the duty is tracked, and its owner may close it with the reason
    it does not apply, rather than it being silently left out)."""
    if result.classification == "prohibited":
        return []  # nothing to comply with: the use may not go ahead
    classes = {result.classification} | ({"transparency"} if result.transparency else set())
    roles = roles_of(result.role) or ({"deployer"} if result.classification != "minimal" else set())
    view = _view(risk_answers or {}, result.answers, [result.classification])
    out = []
    for ob in act.obligations:
        if not classes & set(ob.classes) or not roles & set(ob.roles):
            continue
        if ob.only_when and not any(_holds(c, view) or (assume_unanswered and _unanswered(c, view))
                                    for c in ob.only_when):
            continue
        out.append(ob)
    return out


def extra_groups(act: EuAiAct | None, classification: str) -> list[str]:
    """Review groups a high-risk classification adds to every gate (policy: `eu_ai_act.high_risk_groups`)."""
    if act is None or classification != "high_risk":
        return []
    return list(act.high_risk_groups)
