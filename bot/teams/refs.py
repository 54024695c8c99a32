"""Conversation references in the database, so any aiom process can reach a person or channel proactively.

Saved on install (installationUpdate), on conversationUpdate and on every
message or card action - but written only when something changed since this
process last wrote it (a small in-process fingerprint cache; the database is
the only store). Channel references are saved under the channel's own id
(without the `;messageid=` of a reply chain), the id the policy names.

Besides one row per conversation, each tenant gets a row `@tenant:<id>` holding
a reference with the tenant's serviceUrl and the bot account: enough to open a
new conversation in a channel, or a 1:1 chat, for which no reference is stored yet.
"""
from __future__ import annotations

from collections import OrderedDict

from botbuilder.schema import Activity, ChannelAccount, ConversationAccount, ConversationReference

from bot.teams.activity import CHANNEL_ID, kind_of, split_conversation, tenant_of
from storage.db import Database
from storage.repo import conversation_refs, people

PLATFORM = "teams"
TENANT_MARK = "@tenant:"


def reference_for(activity: Activity, conversation_id: str, kind: str, tenant: str) -> ConversationReference:
    """A reference that posts into `conversation_id` (never a reply to one particular activity)."""
    conv = ConversationAccount(id=conversation_id, conversation_type=kind if kind != "group" else "groupChat",
                               is_group=kind != "personal", tenant_id=tenant or None)
    user = activity.from_property if kind == "personal" else None
    return ConversationReference(activity_id=None, user=_account(user), bot=_account(activity.recipient),
                                 conversation=conv, channel_id=activity.channel_id or CHANNEL_ID,
                                 service_url=activity.service_url)


def _account(a: ChannelAccount | None) -> ChannelAccount | None:
    if a is None:
        return None
    return ChannelAccount(id=a.id, name=a.name, aad_object_id=getattr(a, "aad_object_id", None), role=a.role)


def load(row) -> ConversationReference | None:
    if row is None or not row.reference:
        return None
    return ConversationReference().deserialize(row.reference)


class References:
    def __init__(self, db: Database, *, max_cached: int = 50000):
        self.db = db
        self._written: OrderedDict[str, tuple] = OrderedDict()
        self._max = max_cached

    def _fresh(self, key: str, fingerprint: tuple) -> bool:
        if self._written.get(key) == fingerprint:
            self._written.move_to_end(key)
            return True
        return False

    def _mark(self, key: str, fingerprint: tuple) -> None:
        self._written[key] = fingerprint
        if len(self._written) > self._max:
            self._written.popitem(last=False)

    async def remember(self, activity: Activity, *, aad: str | None = None) -> None:
        """Store the reference of the conversation `activity` came from (and its tenant's), if changed."""
        if not activity.service_url or not activity.conversation or not activity.conversation.id:
            return
        kind = kind_of(activity)
        tenant = tenant_of(activity)
        base, _ = split_conversation(activity.conversation.id)
        bot_id = activity.recipient.id if activity.recipient else ""
        user_id = activity.from_property.id if (activity.from_property and kind == "personal") else ""
        fp = (activity.service_url, kind, tenant, bot_id, user_id, aad or "")
        tenant_key = TENANT_MARK + tenant
        tenant_fp = (activity.service_url, bot_id)
        need_conv = not self._fresh(base, fp)
        need_tenant = bool(tenant) and not self._fresh(tenant_key, tenant_fp)
        if not need_conv and not need_tenant:
            return
        async with self.db.write() as s:
            if need_conv:
                person_id = None
                if kind == "personal" and aad:
                    ident = await people.identity(s, PLATFORM, tenant, aad)
                    person_id = ident.person_id if ident is not None else None
                ref = reference_for(activity, base, kind, tenant)
                await conversation_refs.save(s, platform=PLATFORM, conversation_id=base, kind=kind, tenant=tenant,
                                             person_id=person_id, service_url=activity.service_url,
                                             reference=ref.serialize())
                if kind != "personal" or person_id is not None:
                    self._mark(base, fp)
            if need_tenant:
                ref = reference_for(activity, tenant_key, "channel", tenant)
                await conversation_refs.save(s, platform=PLATFORM, conversation_id=tenant_key, kind="tenant",
                                             tenant=tenant, service_url=activity.service_url,
                                             reference=ref.serialize())
                self._mark(tenant_key, tenant_fp)

    async def save_personal(self, reference: ConversationReference, person_id: int, tenant: str) -> None:
        async with self.db.write() as s:
            await conversation_refs.save(s, platform=PLATFORM, conversation_id=reference.conversation.id,
                                         kind="personal", tenant=tenant, person_id=person_id,
                                         service_url=reference.service_url, reference=reference.serialize())

    async def get(self, conversation_id: str) -> ConversationReference | None:
        async with self.db.read() as s:
            return load(await conversation_refs.get(s, PLATFORM, split_conversation(conversation_id)[0]))

    async def personal_for(self, person_id: int) -> ConversationReference | None:
        async with self.db.read() as s:
            return load(await conversation_refs.personal_for(s, PLATFORM, person_id))

    async def for_tenant(self, tenant: str) -> ConversationReference | None:
        async with self.db.read() as s:
            return load(await conversation_refs.get(s, PLATFORM, TENANT_MARK + tenant))

    async def channel(self, channel_id: str, home_tenant: str | None) -> ConversationReference | None:
        """A reference for posting in `channel_id`: its own, else one built from the tenant's."""
        ref = await self.get(channel_id)
        if ref is not None:
            return ref
        if not home_tenant:
            return None
        t = await self.for_tenant(home_tenant)
        if t is None:
            return None
        t.conversation = ConversationAccount(id=channel_id, conversation_type="channel", is_group=True,
                                             tenant_id=home_tenant)
        return t
