"""A submitted modal. Field errors must be shown in the modal itself, and Slack only accepts them in the
acknowledgement, so this is the one listener that runs the engine before `ack()`, within a time budget
(BUDGET, well inside the 3 seconds Slack waits): past it, the modal is closed and the answer (errors included)
arrives as a message instead. When Slack cannot say who someone is within the budget, the modal stays open with
a note on its first field; after it, the modal has closed, so the apology goes to the person's DM."""
from __future__ import annotations

import asyncio
import dataclasses
import logging

from bot import journal
from bot.slack import identity
from bot.slack.inbound import submission_turn
from bot.slack.directory import SlackUnavailable
from bot.slack.listeners.common import SLACK_UNAVAILABLE, apologise, guarded
from bot.slack.render import forms
from bot.slack.runtime import SlackRuntime
from bot.slack.turn import Turn
from vocabulary.interaction import FormErrors, OpenForm, Outcome

log = logging.getLogger(__name__)

BUDGET = 2.5  # seconds; Slack waits 3 for the acknowledgement


async def on_submit(rt: SlackRuntime, ack, body: dict, view: dict) -> None:
    await guarded(rt, "view submission", handle(rt, ack, body, view))


async def _process(rt: SlackRuntime, body: dict, view: dict) -> tuple[Outcome, Turn]:
    meta = forms.read_metadata(view.get("private_metadata"))
    values, user_fields = forms.submitted_values((view.get("state") or {}).get("values") or {})
    for name, uid in user_fields.items():
        h = await identity.hint(rt.directory, uid)
        values[name] = dataclasses.asdict(h)
    turn = await submission_turn(rt, body, meta, values)
    outcome = await rt.engine.handle(turn.inbound)
    if outcome.failed:
        journal.turn_failed()
    return outcome, turn


async def handle(rt: SlackRuntime, ack, body: dict, view: dict) -> None:
    work = asyncio.ensure_future(_process(rt, body, view))
    try:
        outcome, turn = await asyncio.wait_for(asyncio.shield(work), BUDGET)
    except asyncio.TimeoutError:
        await ack()
        try:
            outcome, turn = await work
        except SlackUnavailable as e:  # the modal has closed: say so in the DM
            log.warning("Slack view submission not handled: %s", e)
            await apologise(rt, body)
            return
        if not outcome.duplicate:
            await rt.ops.carry_out(outcome, turn)
            await journal.replied(rt.app)
        return
    except SlackUnavailable:
        names = forms.field_names(view)
        if names:  # keep the modal and its answers open: submitting again in a moment will work
            await ack(response_action="errors", errors={forms.block_id(names[0]): SLACK_UNAVAILABLE[:300]})
        else:
            await ack()
        raise
    except Exception:
        await ack()
        raise
    if outcome.duplicate:
        await ack()
        return
    ops = list(outcome.ops)
    errors = next((op for op in ops if isinstance(op, FormErrors)), None)
    reopen = next((op for op in ops if isinstance(op, OpenForm)), None)
    if errors is not None:
        await ack(response_action="errors", errors=forms.errors_for(forms.field_names(view), errors.errors))
        ops.remove(errors)
    elif reopen is not None:
        try:
            next_view = forms.modal(reopen.form, channel=turn.channel, thread=turn.thread_ts)
        except forms.MetadataTooLong:
            await ack()
        else:
            await ack(response_action="update", view=next_view)
            ops.remove(reopen)
    else:
        await ack()
    await rt.ops.carry_out(dataclasses.replace(outcome, ops=ops), turn)
    await journal.replied(rt.app)
