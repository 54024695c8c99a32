"""Keeping an Adaptive Card under Teams' message size limit (28 KB for the whole activity).

`fit` measures the card's JSON (UTF-8 bytes, as Teams counts them) and, only while it is too big, takes
ever stronger steps, each of which keeps the card usable:

1. halve the longest fact list ("… and N more") or text (" …"), largest first;
2. shorten every text, fact and choice title anywhere in the card (nested cards too) to 1000, then 400,
   then 160, then 60 characters; then, only if still needed, answers typed into a form's inputs, with a
   note on the card asking the person to check them;
3. leave out rows of buttons from the end, saying how many were left out (a form's submit row stays);
4. leave out the largest remaining parts (never the title, an input, an error under it, or a form's submit
   row), saying that some of the message was left out.

Limits no useful card reaches are applied first (60 facts, 6000 characters of text, 1500 of a fact).
Texts are cut so that no markdown escape is left half-written.
"""
from __future__ import annotations

import json
from typing import Any, Iterator

# Teams refuses messages over 28 KB; the activity around the card needs a little room too.
CARD_BUDGET = 26 * 1024
MAX_TEXT = 6000
MAX_FACTS = 60
MAX_FACT = 1500
SHORTER = (1000, 400, 160, 60)
MORE_BUTTONS = "… and {n} more button{s}, left out to fit in Teams."
LEFT_OUT = "Some of this message was left out to fit in Teams."
TYPED_CUT = ("Some long answers were shortened to fit in Teams: please check them before you send the form "
             "again.")


def size_of(card_json: dict) -> int:
    return len(json.dumps(card_json, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


def fit(card_json: dict, budget: int = CARD_BUDGET) -> dict:
    """Trim `card_json` in place until its JSON is within `budget` bytes; returns it."""
    body = card_json["body"]
    for el in elements(card_json):
        _cap(el)
    if size_of(card_json) > budget:
        _halve_largest(card_json, budget)
    for limit in SHORTER:
        if size_of(card_json) <= budget:
            break
        for el in elements(card_json):
            _shorten(el, limit)
    typed_cut = False
    for limit in SHORTER:  # what someone typed into a form goes last, and the card says so
        if size_of(card_json) <= budget:
            break
        for el in elements(card_json):
            typed_cut = _shorten_typed(el, limit) or typed_cut
    if typed_cut:
        body.insert(1 if body else 0, _note(TYPED_CUT, attention=True))
    if size_of(card_json) > budget:
        _fewer_buttons(card_json, budget)
    if size_of(card_json) > budget:
        _leave_out(card_json, budget)
    _strip_private(body)
    return card_json


def elements(node: Any) -> Iterator[dict]:
    """Every card element (a dict with a type) under `node`, those of nested cards (Action.ShowCard) too."""
    if isinstance(node, dict):
        if "type" in node:
            yield node
        for k, v in node.items():
            if k != "data" and isinstance(v, (dict, list)):
                yield from elements(v)
    elif isinstance(node, list):
        for v in node:
            yield from elements(v)


# -- step 0: limits no useful card reaches -----------------------------------------------------------------
def _cap(el: dict) -> None:
    if el.get("type") == "FactSet":
        if len(el["facts"]) > MAX_FACTS:
            hidden = len(el["facts"]) - MAX_FACTS
            el["facts"] = el["facts"][:MAX_FACTS] + [{"title": "…", "value": f"and {hidden} more", "_more": True}]
            el["_hidden"] = hidden
        for f in el["facts"]:
            f["title"], f["value"] = cut_text(f["title"], MAX_FACT), cut_text(f["value"], MAX_FACT)
    elif el.get("type") == "TextBlock" and len(el["text"]) > MAX_TEXT:
        el["text"] = cut_text(el["text"], MAX_TEXT)


def cut_text(t: str, n: int) -> str:
    """`t` cut to about `n` characters, never in the middle of a markdown escape."""
    if len(t) <= n:
        return t
    cut = t[:n]
    while cut.endswith("\\"):
        cut = cut[:-1]
    return cut + " …"


# -- step 1: halve the largest list or text ----------------------------------------------------------------
def _halve_largest(card_json: dict, budget: int) -> None:
    while size_of(card_json) > budget:
        target = _largest(card_json)
        if target is None:
            return
        el, kind = target
        if kind == "facts":
            real = [f for f in el["facts"] if not f.get("_more")]
            keep = max(1, len(real) // 2)
            hidden = int(el.get("_hidden", 0)) + len(real) - keep
            el["facts"] = real[:keep] + [{"title": "…", "value": f"and {hidden} more", "_more": True}]
            el["_hidden"] = hidden
            if keep <= 1:
                el["_done"] = True
        else:
            t = el["text"]
            cut = max(200, len(t) // 2)
            if cut >= len(t):
                el["_done"] = True
            el["text"] = cut_text(t, cut)


def _largest(card_json: dict) -> tuple[dict, str] | None:
    best, best_size, kind = None, 0, ""
    for el in elements(card_json):
        if el.get("_done"):
            continue
        if el.get("type") == "FactSet" and len([f for f in el["facts"] if not f.get("_more")]) > 1:
            s = sum(len(f["title"]) + len(f["value"]) for f in el["facts"])
            if s > best_size:
                best, best_size, kind = el, s, "facts"
        elif el.get("type") == "TextBlock" and len(el["text"]) > 300 and len(el["text"]) > best_size:
            best, best_size, kind = el, len(el["text"]), "text"
    return (best, kind) if best is not None else None


# -- step 2: shorten everything ------------------------------------------------------------------------------
def _shorten(el: dict, limit: int) -> None:
    t = el.get("type", "")
    if t == "TextBlock" and not el.get("_note"):
        el["text"] = cut_text(el["text"], limit)
    elif t == "FactSet":
        for f in el["facts"]:
            f["title"], f["value"] = cut_text(f["title"], limit), cut_text(f["value"], limit)
    elif t.startswith("Input."):
        if isinstance(el.get("placeholder"), str):
            el["placeholder"] = el["placeholder"][:limit]
        for c in el.get("choices") or []:
            c["title"] = c["title"][:limit]


def _shorten_typed(el: dict, limit: int) -> bool:
    if el.get("type") == "Input.Text" and isinstance(el.get("value"), str) and len(el["value"]) > limit:
        el["value"] = el["value"][:limit]
        return True
    return False


def _note(text: str, *, attention: bool = False) -> dict:
    note = {"type": "TextBlock", "text": text, "wrap": True, "size": "Small", "_note": True}
    if attention:
        note.update(color="Attention", weight="Bolder")
    else:
        note["isSubtle"] = True
    return note


# -- step 3: fewer buttons ---------------------------------------------------------------------------------
def _submits_form(action_set: dict) -> bool:
    return any((a.get("data") or {}).get("aiom") == "form" for a in action_set.get("actions", []))


def _fewer_buttons(card_json: dict, budget: int) -> None:
    body = card_json["body"]
    left_out = 0
    note = None
    while size_of(card_json) > budget:
        rows = [i for i, el in enumerate(body) if el.get("type") == "ActionSet" and not _submits_form(el)]
        if len(rows) <= 1:  # the first row of buttons stays: step 4 may still make room
            return
        left_out += len(body.pop(rows[-1]).get("actions", []))
        if note is None:
            note = _note("")
            body.insert(rows[-1], note)
        note["text"] = MORE_BUTTONS.format(n=left_out, s="" if left_out == 1 else "s")


# -- step 4: leave parts out -------------------------------------------------------------------------------
def _keep(i: int, el: dict) -> bool:
    t = el.get("type", "")
    return (i == 0 or t.startswith("Input.") or el.get("color") == "Attention" or el.get("_note")
            or (t == "ActionSet" and _submits_form(el)))


def _leave_out(card_json: dict, budget: int) -> None:
    body = card_json["body"]
    body.insert(1 if body else 0, _note(LEFT_OUT))
    while size_of(card_json) > budget:
        droppable = [(size_of({"x": el}), i) for i, el in enumerate(body) if not _keep(i, el)]
        if not droppable:
            return
        _, i = max(droppable)
        body.pop(i)


def _strip_private(body: list[dict]) -> None:
    for el in elements(body):
        for k in [k for k in el if k.startswith("_")]:
            del el[k]
        if el.get("type") == "FactSet":
            for f in el["facts"]:
                f.pop("_more", None)
