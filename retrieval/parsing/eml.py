"""EML (an email saved as a MIME message, RFC 5322), read as `mail.add_message` reads a message.

Python's ``email`` package parses it (its default policy: encoded words in headers, transfer
encodings and charsets decoded). The body is the text/plain part, else the text/html one;
attachments are the parts ``iter_attachments`` gives. Title: the Subject. A file that is no
message (no header line before the body), or a binary one, is refused; an mbox "From " line
first is read past; a part whose charset Python does not know is decoded as Latin-1 rather
than lost. Bound: MAX_BYTES; the work is linear in the message.
"""

from __future__ import annotations

import email
import email.policy
import re
from email.message import EmailMessage, Message

from retrieval.document import ParsedDocument, ParseError
from retrieval.parsing.builder import DocumentBuilder, clean_inline
from retrieval.parsing.mail import HEADERS, add_message

MAX_BYTES = 64 * 2**20  # above the default upload limit (50 MB); attachments make mail large
_HEADER_LINE = re.compile(rb"^[!-9;-~]{1,76}:[ \t]?\S", re.MULTILINE)  # "Name: value"


def parse_eml(data: bytes) -> ParsedDocument:
    if len(data) > MAX_BYTES:
        raise ParseError(f"EML is larger than the server's limit of {MAX_BYTES // 2**20} MiB")
    head = data[:4096].lstrip()
    if head.startswith(b"From "):  # an mbox "From sender date" line first, which email reads too
        head = head.partition(b"\n")[2]
    if b"\x00" in head or not _HEADER_LINE.match(head):
        raise ParseError("not an email message: the file does not start with header lines (From:, Subject:…)")
    message = email.message_from_bytes(data, policy=email.policy.default)
    builder = DocumentBuilder("eml")
    headers = {name: str(message[name]) for name in HEADERS if message[name]}
    plain = html = ""
    if isinstance(message, EmailMessage):
        plain_part = message.get_body(preferencelist=("plain",))
        plain = _content(plain_part) if plain_part is not None else ""
        html_part = message.get_body(preferencelist=("html",)) if not plain.strip() else None
        html = _content(html_part) if html_part is not None else ""
    add_message(builder, headers, _attachment_names(message), plain, html)
    if builder.is_empty:
        raise ParseError("no extractable text: the message has no headers and no body")
    subject = clean_inline(str(message["Subject"] or ""))
    return builder.build(title=subject or None)


def _content(part: Message) -> str:
    """A text part decoded: its transfer encoding, then its charset (Latin-1 when Python does
    not know the charset, so no byte is lost)."""
    try:
        content = part.get_content() if isinstance(part, EmailMessage) else part.get_payload(decode=False)
    except (LookupError, UnicodeError):
        raw = part.get_payload(decode=True)
        content = raw.decode("latin-1") if isinstance(raw, bytes) else ""
    return content if isinstance(content, str) else ""


def _attachment_names(message: Message) -> list[str]:
    names = []
    if isinstance(message, EmailMessage):
        for part in message.iter_attachments():
            name = part.get_filename() or part.get_content_type()
            names.append(clean_inline(str(name)))
    return names
