"""Pictures that travel inside a message (data: addresses, notifications/digest/pictures.py) reach Slack as
files uploaded to the conversation (files.getUploadURLExternal, the upload, files.completeUploadExternal),
each with its alt text, so no public URL is needed. Small print beside the pictures becomes the upload's
comment; anything else in the message is posted first as usual."""
from __future__ import annotations

from dataclasses import dataclass, field

from vocabulary.messages import Context, Message
from notifications.digest.pictures import files, inline_images


@dataclass
class Split:
    rest: Message | None  # what to post as a message (None: nothing but the pictures)
    uploads: list[tuple[str, bytes, str, str]] = field(default_factory=list)  # filename, PNG, title, alt text
    comment: str = ""


def split(message: Message) -> Split:
    found = inline_images(message)
    if not found:
        return Split(message)
    ids = {id(b) for b, _ in found}
    rest = [b for b in message.blocks if id(b) not in ids]
    uploads = files(message)
    if all(isinstance(b, Context) for b in rest):
        return Split(None, uploads, " ".join(b.text for b in rest))
    return Split(Message(rest, fallback=message.fallback), uploads)


def without(message: Message) -> Message | None:
    """The message without its inline pictures (and their small print); None when nothing else is left."""
    parts = split(message)
    return parts.rest if parts.uploads else message


async def post(rt, channel: str, message: Message, thread_ts: str = "", post_rest=None) -> str | None:
    """Upload the message's inline pictures to `channel` (after posting the rest with `post_rest`); returns the
    posted message's ts, or the first file's id when there was only pictures. None: no inline pictures."""
    parts = split(message)
    if not parts.uploads:
        return None
    ts = await post_rest(parts.rest) if parts.rest is not None and post_rest is not None else ""
    fid = await rt.api.upload_pictures(channel=channel, pictures=parts.uploads, comment=parts.comment,
                                       thread_ts=thread_ts or None)
    return ts or fid or "file"
