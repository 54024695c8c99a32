"""Small readers for the parts of a Bot Framework activity aiom needs (tenant, conversation, card data)."""
from __future__ import annotations

from typing import Any

from botbuilder.schema import Activity

CHANNEL_ID = "msteams"
THREAD_MARK = ";messageid="


def _extra(obj: Any, key: str) -> Any:
    return (getattr(obj, "additional_properties", None) or {}).get(key)


def channel_data(activity: Activity) -> dict:
    data = activity.channel_data
    return data if isinstance(data, dict) else {}


def tenant_of(activity: Activity) -> str:
    """The tenant of the conversation (channelData.tenant.id, else conversation.tenantId)."""
    tenant = (channel_data(activity).get("tenant") or {}).get("id")
    conv = activity.conversation
    if not tenant and conv is not None:
        tenant = conv.tenant_id or _extra(conv, "tenantId")
    return str(tenant or "")


def split_conversation(conversation_id: str) -> tuple[str, str]:
    """'19:x@thread.tacv2;messageid=17' -> ('19:x@thread.tacv2', '17')."""
    base, _, thread = conversation_id.partition(THREAD_MARK)
    return base, thread


def kind_of(activity: Activity) -> str:
    conv = activity.conversation
    ctype = (getattr(conv, "conversation_type", None) or "").lower() if conv else ""
    if ctype == "channel" or channel_data(activity).get("channel"):
        return "channel"
    if ctype == "groupchat" or (conv is not None and conv.is_group):
        return "group"
    return "personal"


def timezone_of(activity: Activity) -> str | None:
    if activity.local_timezone:
        return activity.local_timezone
    for e in activity.entities or []:
        if getattr(e, "type", None) == "clientInfo":
            tz = _extra(e, "timezone")
            if tz:
                return str(tz)
    return None


def card_data(activity: Activity) -> dict | None:
    """The data of a clicked card action: Action.Execute (invoke) or Action.Submit (message value)."""
    value = activity.value
    if not isinstance(value, dict):
        return None
    if activity.type == "invoke":
        action = value.get("action")
        data = action.get("data") if isinstance(action, dict) else None
        return data if isinstance(data, dict) else None
    return value if "aiom" in value else None


def mentions_bot(activity: Activity) -> bool:
    """Whether the message @mentions the bot itself (a mention entity naming the recipient)."""
    bot_id = activity.recipient.id if activity.recipient else None
    if not bot_id:
        return False
    for e in activity.entities or []:
        if getattr(e, "type", None) == "mention" and (_extra(e, "mentioned") or {}).get("id") == bot_id:
            return True
    return False
