"""The owners answer a reviewer's question (button, form, or `answer 5 <text>`); the review clock runs again."""
from __future__ import annotations

from conversations.context import Ctx, Refusal, form_errors, open_form
from conversations.engine import Engine
from vocabulary.labels import uc_ref
from vocabulary.messages import Button, Buttons, Form, FormField, Message, Text
from conversations.reviews import questions
from storage.repo import reviews, use_cases

ANSWER_MIN = 2


def answer_form(info) -> Form:
    return Form(form_id="info.answer", title="Answer the reviewers",
                intro=f"The question: {info.question[:1500]}",
                fields=[FormField("answer", "Your answer", type="multiline", max_length=3000)],
                submit_label="Send the answer", payload={"i": info.id})


def _iid(payload: dict) -> int:
    try:
        return int(payload.get("i"))
    except (TypeError, ValueError):
        raise Refusal("I could not read that button.") from None


async def _answer(ctx: Ctx, info_id: int, text: str) -> None:
    info = await questions.answer(ctx, info_id, text, ctx.person.id)
    rr = await reviews.get_review(ctx.session, info.review_id)
    uc = await use_cases.get(ctx.session, rr.use_case_id)
    ctx.say(f"Thanks, your answer is on the review card for {uc_ref(uc)} and the review clock runs again.")


def register(engine: Engine) -> None:
    @engine.action("info.answer")
    async def answer_button(ctx: Ctx, payload: dict) -> None:
        info = await reviews.get_info(ctx.session, _iid(payload))
        if info is None:
            raise Refusal("I could not find that question any more.")
        if info.answer is not None:
            raise Refusal("That question has already been answered; the reviewers have the answer.")
        open_form(ctx, answer_form(info))

    @engine.form("info.answer")
    async def answer_submit(ctx: Ctx, values: dict) -> None:
        iid = _iid(ctx.inbound.payload)
        text = values.get("answer")
        text = text.strip() if isinstance(text, str) else ""
        if len(text) < ANSWER_MIN:
            info = await reviews.get_info(ctx.session, iid)
            if info is None:
                raise Refusal("I could not find that question any more.")
            form_errors(ctx, answer_form(info), {"answer": "Please write your answer."})
            return
        await _answer(ctx, iid, text)

    @engine.command("answer", help="answer a reviewer's question: answer 5 <your answer>")
    async def answer_command(ctx: Ctx, args: str) -> None:
        first, _, rest = args.strip().partition(" ")
        if first.lstrip("#").isdigit() and len(rest.strip()) >= ANSWER_MIN:
            await _answer(ctx, int(first.lstrip("#")), rest.strip())
            return
        waiting = await questions.open_questions_for(ctx, ctx.person.id)
        if not waiting:
            ctx.say("No reviewer is waiting for an answer from you.")
            return
        for info, uc in waiting[:10]:
            ctx.say(Message([Text([f"Question #{info.id} about {uc_ref(uc)} “{uc.title}”: {info.question}"]),
                             Buttons([Button("Answer", "info.answer", {"i": info.id}, style="primary")])]))
        ctx.say("Click Answer, or type “answer <number> <your answer>”.")
