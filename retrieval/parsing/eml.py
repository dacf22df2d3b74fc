"""EML (an email saved as a MIME message, RFC 5322): who wrote to whom and when, then the body.

Python's ``email`` package parses the message (its default policy: encoded words in headers,
transfer encodings and charsets decoded). The document reads as:

- a paragraph of the headers a reader wants, one a line: From, To, Cc, Date, Subject (so "who
  sent…" and "when…" questions find them), and the attachments' names;
- the body: its text/plain part, else its text/html part read as an HTML page is
  (``html.add_html_document``: headings, lists and tables kept). A plain body's paragraphs
  are its blank-line-separated blocks; quoted lines ("> …") are kept as written.

Title: the Subject. Attachments are named, not read (a warning says so: upload them on their
own). A message with no body but attachments reads as its headers. A file that is no message
(no header line before the body), or a binary one, is refused; a part whose charset Python
does not know is decoded as Latin-1 rather than lost. Bound: the upload limit; the work is
linear in the message.
"""

from __future__ import annotations

import email
import email.policy
import re
from email.message import EmailMessage, Message

from retrieval.document import ParsedDocument, ParseError
from retrieval.parsing.builder import DocumentBuilder, clean_inline
from retrieval.parsing.html import add_html_document

MAX_BYTES = 64 * 2**20  # above the default upload limit (50 MB); attachments make mail large
_HEADERS = ("From", "To", "Cc", "Date", "Subject")
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
    attachments = _attachment_names(message)
    lines = [f"{name}: {clean_inline(str(message[name]))}" for name in _HEADERS if message[name]]
    if attachments:
        lines.append(f"Attachments: {', '.join(attachments)}")
    builder.add_paragraph("\n".join(lines))
    _add_body(builder, message)
    if attachments:
        builder.warnings.append(
            f"{len(attachments)} attachment(s) not read ({', '.join(attachments[:5])}"
            f"{', …' if len(attachments) > 5 else ''}): upload them on their own"
        )
    if builder.is_empty:
        raise ParseError("no extractable text: the message has no headers and no body")
    subject = clean_inline(str(message["Subject"] or ""))
    return builder.build(title=subject or None)


def _add_body(builder: DocumentBuilder, message: Message) -> None:
    """The message's body: its plain text, else its HTML."""
    if not isinstance(message, EmailMessage):
        return
    plain = message.get_body(preferencelist=("plain",))
    text = _content(plain) if plain is not None else ""
    if text.strip():
        builder.add_paragraph(text)
        return
    html = message.get_body(preferencelist=("html",))
    markup = _content(html) if html is not None else ""
    if markup.strip():
        add_html_document(builder, b'<meta charset="utf-8">' + markup.encode("utf-8", "replace"))


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
