"""Plain text: paragraphs are separated by blank lines; there are no headings or pages."""

from __future__ import annotations

from retrieval.document import ParsedDocument
from retrieval.parsing.builder import DocumentBuilder
from retrieval.parsing.decoding import decode_text


def parse_text(data: bytes) -> ParsedDocument:
    builder = DocumentBuilder("txt")
    builder.add_paragraph(decode_text(data))
    return builder.build(title=None)
