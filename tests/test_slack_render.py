"""Neutral messages and forms as Block Kit: user text escaped, limits kept with a note, clicks map back."""
from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.slack import text_in
from bot.slack.pacing import Pacer
from bot.slack.render import decode_action, payload_of, render
from bot.slack.render import forms
from vocabulary.messages import (
    Button,
    Buttons,
    Confirm,
    Context,
    Divider,
    Facts,
    Form,
    FormField,
    Header,
    Image,
    Link,
    Mention,
    Message,
    Strong,
    Text,
)
from tests.support.block_kit import _strings, check_message, check_view, mrkdwn_strings

NASTY = "<!channel> <!here> <@U123> <http://evil.example|click me> & <#C1|general>"


def all_text(r) -> str:
    out: list[str] = []
    _strings({"blocks": r.blocks, "text": r.text}, out)
    return "\n".join(out)


def test_user_text_is_escaped_everywhere_it_can_appear():
    msg = Message([Header(NASTY), Text([NASTY, Strong(NASTY)]), Facts([(NASTY, NASTY)]), Context(NASTY),
                   Buttons([Button(NASTY, "x.y", {"id": 1}, confirm=Confirm(NASTY, NASTY))])], fallback=NASTY)
    r = render(msg)
    parsed = "\n".join(mrkdwn_strings(r.kwargs()))  # what Slack reads for mentions and links
    for raw in ("<!channel>", "<!here>", "<@U123>", "<http://evil.example|click me>", "<#C1|general>", "<", ">"):
        assert raw not in parsed
    assert parsed.count("&lt;!channel&gt;") == 5  # text and bold, field label and value, fallback
    # plain_text (header, context, button, dialog) is shown as typed, never parsed: no entities to show literally
    assert r.blocks[0]["text"]["text"].startswith("<!channel>")
    assert r.blocks[3]["elements"][0] == {"type": "plain_text", "text": NASTY, "emoji": True}
    assert "&lt;!channel&gt;" in r.blocks[1]["text"]["text"] and "&amp;" in r.blocks[1]["text"]["text"]
    assert check_message(r.kwargs()) == []


def test_mentions_and_links_are_the_only_markup():
    msg = Message([Text(["Owner: ", Mention(7, "Anna <Owner>"), " and ", Mention(8, "Bob"), " see ",
                         Link("https://aiom.example/uc/1?a=1&b=2", "UC-1 <details>")])])
    r = render(msg, {7: "U222"})
    t = r.blocks[0]["text"]["text"]
    assert "<@U222>" in t  # a real Slack mention for someone with a Slack identity
    assert "Bob" in t and "<@" not in t.replace("<@U222>", "")  # a name for someone without one
    assert "<https://aiom.example/uc/1?a=1&amp;b=2|UC-1 &lt;details&gt;>" in t


def test_oversized_messages_are_cut_to_slacks_limits_with_a_note():
    big = "word " * 4000  # 20,000 characters
    msg = Message([Header("h" * 400)] + [Text([big]) for _ in range(30)] +
                  [Facts([(f"label {i}" * 50, "v" * 5000) for i in range(25)])] +
                  [Buttons([Button("b" * 200, f"act.{i}", {"i": i}) for i in range(60)])] +
                  [Buttons([Button("too big", "x", {"blob": "z" * 3000})])])
    r = render(msg)
    assert check_message(r.kwargs()) == []
    assert len(r.blocks) == 50
    assert any("more items were left out" in b["elements"][0]["text"] for b in r.blocks if b["type"] == "context")
    # every button row survived the cut, even the button whose payload is not ids-only (it carries a key)
    actions = [b for b in r.blocks if b["type"] == "actions"]
    assert sum(len(a["elements"]) for a in actions) == 61
    assert r.blocks[-1]["type"] == "actions"
    kept = r.blocks[-1]["elements"][-1]
    assert kept["text"]["text"] == "too big" and decode_action(kept["action_id"]) == "slack.ref"
    assert r.stash[payload_of(kept["value"])["k"]] == {"a": "x", "p": {"blob": "z" * 3000}}


def test_typed_formatting_characters_show_as_typed_and_format_nothing():
    typed = "*bold* _it_ ~s~ `code` and ```block``` \n> quoted"
    # only plain text: a plain_text section, which Slack shows as typed and never parses
    r = render(Message([Text([typed]), Context(typed)]))
    assert r.blocks[0]["text"] == {"type": "plain_text", "text": typed, "emoji": True}
    assert r.blocks[1]["elements"][0]["text"] == typed
    # next to real markup (bold, a mention), in fields and in the notification text: mrkdwn, made inert
    r = render(Message([Text(["You wrote: ", typed, " for ", Strong(typed)]), Facts([("Title", typed)])],
                       fallback=typed))
    for t in mrkdwn_strings(r.kwargs()):
        visible = t.replace("\u200b", "")
        assert "*bold* _it_ ~s~ `code`" in visible  # shown as typed (the zero-width spaces are invisible)
        for run in ("*bold*", "_it_", "~s~", "`code`", "```", "\n&gt;"):
            assert run not in t  # ... but no formatting run can open or close
    section = r.blocks[0]["text"]["text"]
    assert section.startswith("You wrote: ") and section.count("*") - section.count("\u200b*\u200b") == 2  # Strong


def test_a_clipped_text_or_cut_message_says_how_to_see_the_rest():
    huge = "A very long review note. " * 1000  # 25,000 characters
    r = render(Message([Header("UC-4 · Claims triage: review"), Text([huge]),
                        Buttons([Button("Approve", "review.approve", {"r": 9, "uc": 4})])]))
    assert check_message(r.kwargs()) == []
    assert [b["type"] for b in r.blocks] == ["header", "section", "section", "section", "context", "actions"]
    assert "shortened" in r.blocks[4]["elements"][0]["text"] and "*status UC-4*" in r.blocks[4]["elements"][0]["text"]
    # the status of UC-4 cut short does not send the person back to it: its registers in full
    status = Message([Header("UC-4 · Claims triage")] + [Text([f"Risk {i}"]) for i in range(80)]
                     + [Buttons([Button("Refresh", "status.show", {"uc": 4})])])
    note = next(b for b in render(status).blocks if b["type"] == "context")["elements"][0]["text"]
    assert "*risks UC-4*" in note and "*status UC-4*" not in note
    # several use cases: any one of them, and the export for those who may
    many = Message([Header("AI portfolio")] + [Text([f"UC-{i} · Idea"]) for i in range(80)])
    lines = {who: next(b for b in render(many, can_export=who).blocks if b["type"] == "context")["elements"][0]["text"]
             for who in (True, False, None)}
    assert "*export*" in lines[True] and "*export*" not in lines[False] and "Leaders can" in lines[None]
    assert all("*status UC-n*" in t for t in lines.values())


def test_a_long_text_is_split_over_sections_without_breaking_escapes():
    text = ("&<>" * 1500) + " tail"
    r = render(Message([Text([text, Strong("!")])]))  # markup too, so it goes out as mrkdwn
    assert check_message(r.kwargs()) == []
    for b in r.blocks[:-1]:  # the sections, then the note saying the text was shortened
        t = b["text"]["text"]
        assert not t.rstrip("…").endswith(("&", "&a", "&am", "&amp", "&l", "&lt", "&g", "&gt"))


def test_action_ids_map_back_and_payloads_are_compact_json():
    msg = Message([Buttons([Button("Approve", "review.approve", {"r": 12}),
                            Button("Docs", "docs", url="https://aiom.example/docs")]),
                   Buttons([Button("Approve again", "review.approve", {"r": 13}, style="primary")])])
    r = render(msg)
    els = [e for b in r.blocks for e in b["elements"]]
    ids = [e["action_id"] for e in els]
    assert len(set(ids)) == 3
    assert [decode_action(i) for i in ids] == ["review.approve", "_link", "review.approve"]
    assert payload_of(els[0]["value"]) == {"r": 12} and els[0]["value"] == '{"r":12}'
    assert els[1]["url"] == "https://aiom.example/docs" and "value" not in els[1]
    assert els[2]["style"] == "primary"


def test_forms_become_modals_and_submissions_come_back():
    form = Form("review.conditions", "Approve with conditions for a very long title", [
        FormField("text", "Condition", type="multiline", max_length=10_000, hint="What must be true"),
        FormField("owner", "Owner", type="person"),
        FormField("due", "Due date", type="date", initial="2027-01-31"),
        FormField("score", "Score", type="number", min_value=1, max_value=5),
        FormField("kind", "Kind", type="select", options=[("a", "A" * 100), ("b", "B")], initial="b"),
        FormField("mail", "Email", type="email", optional=True),
    ], payload={"r": 4}, intro="Intro <b>")
    view = forms.modal(form, channel="C1", thread="1.2")
    assert check_view(view) == []
    assert len(view["title"]["text"]) <= 24
    meta = forms.read_metadata(view["private_metadata"])
    assert meta == {"f": "review.conditions", "p": {"r": 4}, "c": "C1", "t": "1.2"}
    kind = next(b for b in view["blocks"] if b.get("block_id") == "f:kind")
    assert kind["element"]["initial_option"]["value"] == "b"
    state = {"f:text": {"v": {"type": "plain_text_input", "value": "Pen test"}},
             "f:owner": {"v": {"type": "users_select", "selected_user": "U222"}},
             "f:due": {"v": {"type": "datepicker", "selected_date": "2027-02-01"}},
             "f:score": {"v": {"type": "number_input", "value": "4"}},
             "f:kind": {"v": {"type": "static_select", "selected_option": {"value": "a"}}},
             "f:mail": {"v": {"type": "email_text_input", "value": None}}}
    values, users = forms.submitted_values(state)
    assert values == {"text": "Pen test", "owner": None, "due": "2027-02-01", "score": "4", "kind": "a", "mail": None}
    assert users == {"owner": "U222"}
    assert forms.errors_for(forms.field_names(view), {"due": "In the past", "nope": "x"}) == {
        "f:due": "In the past", "f:text": "nope: x"}


def test_slack_text_is_read_as_plain_text():
    raw = ("&lt;!channel&gt; typed, <!here> used, <@U222|anna> named, <mailto:a@b.co|a@b.co>, "
           "<https://x.example/a?b=1&amp;c=2|docs>, <https://y.example>, <#C9|general> &amp; done")
    parsed = text_in.parse(raw, {"U222": "Anna Owner"})
    assert parsed.text == ("<!channel> typed, @here used, @Anna Owner named, a@b.co, docs (https://x.example/a?b=1&c=2), "
                           "https://y.example, #general & done")
    assert parsed.mentions == [("U222", "@Anna Owner")]
    assert text_in.parse("<@UBOT> propose", drop_user="UBOT").text == "propose"
    assert text_in.mentioned_users("&lt;@U1&gt; <@U2>") == ["U2"]  # a typed token is not a mention


def test_the_pacer_allows_a_short_burst_then_one_message_a_second_per_channel():
    now = [100.0]
    p = Pacer(rate=1.0, burst=3.0, clock=lambda: now[0])
    waits = [p._take("C1") for _ in range(5)]
    assert waits[:3] == [0.0, 0.0, 0.0] and waits[3] == 1.0 and waits[4] == 2.0
    assert p._take("C2") == 0.0  # another channel has its own pace
    now[0] += 10
    assert p._take("C1") == 0.0
    p.pause("chat.postMessage", 5)
    assert p.paused_for("chat.postMessage") == 5 and p.paused_for("chat.update") == 0


inline = st.one_of(st.text(max_size=400), st.builds(Strong, st.text(max_size=80)),
                   st.builds(Mention, st.integers(1, 5), st.text(max_size=40)),
                   st.builds(Link, st.sampled_from(["https://a.example/x", "ftp://nope"]), st.text(max_size=60)))
blocks = st.one_of(
    st.builds(Header, st.text(max_size=300)),
    st.builds(Text, st.lists(inline, max_size=6), st.booleans()),
    st.builds(Facts, st.lists(st.tuples(st.text(max_size=100), st.text(max_size=3000)), max_size=14)),
    st.builds(Buttons, st.lists(st.builds(Button, st.text(max_size=120), st.text(min_size=1, max_size=300),
                                          st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
                                          st.sampled_from([None, "primary", "danger"])), max_size=30)),
    st.builds(Context, st.text(max_size=4000)),
    st.builds(Divider),
    st.builds(Image, st.sampled_from(["https://a.example/i.png", "javascript:x"]), st.text(max_size=50)),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(blocks, max_size=70), st.text(max_size=100))
def test_any_message_renders_within_slacks_limits(bs, fallback):
    r = render(Message(bs, fallback=fallback), {1: "U1"})
    assert check_message(r.kwargs()) == [], json.dumps(r.blocks)[:500]
