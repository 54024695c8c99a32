"""Giving a user a file in Teams: the file-consent flow of personal chats.

1. aiom sends a FileConsentCard (name, size, a token in accept/decline context)
   and keeps the file's bytes in the database (message_ref `file:<token>`, the
   consent card being a message aiom will update) - not in process memory, so
   any process can finish the upload after a restart.
2. The user accepts: Teams sends `fileConsent/invoke` with an `uploadUrl` in the
   user's OneDrive; aiom PUTs the bytes there (in ranges), posts a FileInfoCard
   linking to the file, and updates the consent card so nothing is left to click.
   A decline updates the card too. The stored bytes are dropped either way.
"""
from __future__ import annotations

import base64
import logging
import uuid

from botbuilder.core import TurnContext
from botbuilder.schema import Activity, Attachment, ConversationReference

from bot.teams.activity import split_conversation
from bot.teams.render import render
from bot.teams.connector import ConnectorPool
from bot.teams.proactive import Proactive, card_activity
from conversations.portfolio_io.chat_export import MAX_CHAT_FILE_BYTES
from vocabulary.interaction import SendFile
from vocabulary.messages import Context, Message, Text
from storage.db import Database
from storage.repo import message_refs

log = logging.getLogger(__name__)

CONSENT_TYPE = "application/vnd.microsoft.teams.card.file.consent"
INFO_TYPE = "application/vnd.microsoft.teams.card.file.info"
PLATFORM = "teams"
CHUNK = 10 * 320 * 1024  # OneDrive upload ranges must be multiples of 320 KiB
MAX_BYTES = MAX_CHAT_FILE_BYTES  # the chat export checks the same limit before it audits and sends


def consent_body(op: SendFile, token: str) -> dict:
    content = {"description": (op.title or op.filename)[:200], "sizeInBytes": len(op.content),
               "acceptContext": {"aiom_file": token}, "declineContext": {"aiom_file": token}}
    return {"type": "message", "summary": f"File: {op.filename}",
            "attachments": [{"contentType": CONSENT_TYPE, "name": op.filename, "content": content}]}


class Files:
    def __init__(self, db: Database, pool: ConnectorPool, proactive: Proactive):
        self.db = db
        self.pool = pool
        self.proactive = proactive

    async def offer(self, reference: ConversationReference, op: SendFile) -> str:
        """Send the consent card into the personal conversation of `reference`; returns the card's id."""
        if len(op.content) > MAX_BYTES:
            raise ValueError(f"{op.filename} is larger than {MAX_BYTES // (1024 * 1024)} MB")
        token = uuid.uuid4().hex
        conv = reference.conversation.id
        async with self.db.write() as s:
            await message_refs.remember(s, platform=PLATFORM, purpose=f"file:{token}", channel=conv,
                                        message_id="pending",
                                        extra={"filename": op.filename, "title": op.title,
                                               "content": base64.b64encode(op.content).decode("ascii")})
        card_id = await self.proactive.send(reference, conv, consent_body(op, token))
        async with self.db.write() as s:
            ref = await message_refs.find(s, PLATFORM, f"file:{token}", conv)
            if ref is not None:
                await message_refs.remember(s, platform=PLATFORM, purpose=f"file:{token}", channel=conv,
                                            message_id=card_id or "", extra=dict(ref.extra))
        return card_id

    async def on_consent(self, turn: TurnContext) -> None:
        """`fileConsent/invoke`: upload on accept, then replace the consent card either way."""
        a = turn.activity
        value = a.value if isinstance(a.value, dict) else {}
        context = value.get("context") if isinstance(value.get("context"), dict) else {}
        token = str(context.get("aiom_file", ""))[:64]
        conv = split_conversation(a.conversation.id)[0]
        async with self.db.read() as s:
            stored = await message_refs.find(s, PLATFORM, f"file:{token}", conv) if token else None
        if stored is None or not stored.extra.get("content"):
            await self._replace_card(turn, "That file is no longer available; please ask for it again.")
            return
        name = stored.extra.get("filename") or "file"
        if value.get("action") != "accept":
            await self._forget(token, conv)
            await self._replace_card(turn, f"You declined {name}; nothing was saved.")
            return
        info = value.get("uploadInfo") if isinstance(value.get("uploadInfo"), dict) else {}
        data = base64.b64decode(stored.extra["content"])
        await self._upload(str(info.get("uploadUrl", "")), data)
        await turn.send_activity(Activity(type="message", attachments=[Attachment(
            content_type=INFO_TYPE, name=info.get("name") or name, content_url=info.get("contentUrl"),
            content={"uniqueId": info.get("uniqueId"), "fileType": info.get("fileType")})]))
        await self._forget(token, conv)
        await self._replace_card(turn, f"Saved {info.get('name') or name} to your OneDrive.")

    async def _upload(self, url: str, data: bytes) -> None:
        if not url.startswith(("https://", "http://")):
            raise ValueError("Teams gave no upload address")
        session = await self.pool.session()
        total = len(data)
        start = 0
        while True:
            chunk = data[start:start + CHUNK]
            end = start + len(chunk) - 1
            headers = {"Content-Length": str(len(chunk))}
            if total:
                headers["Content-Range"] = f"bytes {start}-{end}/{total}"
            async with session.put(url, data=chunk, headers=headers) as r:
                if r.status >= 300:
                    raise RuntimeError(f"the file upload was refused ({r.status})")
            start += len(chunk)
            if start >= total:
                return

    async def _forget(self, token: str, conv: str) -> None:
        async with self.db.write() as s:
            await message_refs.remember(s, platform=PLATFORM, purpose=f"file:{token}", channel=conv,
                                        message_id="done", extra={})

    async def _replace_card(self, turn: TurnContext, text: str) -> None:
        card_id = turn.activity.reply_to_id
        if not card_id:
            await turn.send_activity(text)
            return
        activity = card_activity(render(Message([Text([text]), Context("File transfer")])), text)
        activity.id = card_id
        activity.conversation = turn.activity.conversation
        await turn.update_activity(activity)
