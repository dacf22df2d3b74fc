"""A mail message as the document reads it, whatever file held it (EML, Outlook MSG): who wrote
to whom and when, then the body.

- A paragraph of the headers a reader wants, one a line: From, To, Cc, Date, Subject (so
  "who sent…" and "when…" questions find them), and the attachments' names;
- the body: its plain text, else its HTML read as a page is (``html.add_html_document``:
  headings, lists and tables kept). A plain body's paragraphs are its blank-line-separated
  blocks; quoted lines ("> …") are kept as written.

Attachments are named, not read: a warning says so (upload them on their own).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from retrieval.parsing.builder import DocumentBuilder, clean_inline
from retrieval.parsing.html import add_html_document

HEADERS = ("From", "To", "Cc", "Date", "Subject")


def add_message(
    builder: DocumentBuilder, headers: Mapping[str, str], attachments: Sequence[str], plain: str, html: str
) -> None:
    """The message into `builder`: `headers` (by the names in HEADERS; others are not shown),
    the attachments' names, and the body, `plain` unless it is blank, else `html`."""
    lines = [
        f"{name}: {clean_inline(headers[name])}" for name in HEADERS if clean_inline(headers.get(name, ""))
    ]
    if attachments:
        lines.append(f"Attachments: {', '.join(attachments)}")
    builder.add_paragraph("\n".join(lines))
    if plain.strip():
        builder.add_paragraph(plain)
    elif html.strip():
        add_html_document(builder, b'<meta charset="utf-8">' + html.encode("utf-8", "replace"))
    if attachments:
        shown = ", ".join(attachments[:5]) + (", …" if len(attachments) > 5 else "")
        builder.warnings.append(
            f"{len(attachments)} attachment(s) not read ({shown}): upload them on their own"
        )
