"""Markdown: headings give heading paths; the text is kept readable without its markup.

markdown-it-py (CommonMark plus GFM tables) gives a token stream. Emphasis and link
syntax are dropped, link and image texts are kept, code blocks keep their text, tables
become " | "-joined rows and raw HTML blocks go through the HTML text extractor.
"""

from __future__ import annotations

import re

from markdown_it import MarkdownIt
from markdown_it.token import Token

from retrieval.document import ParsedDocument
from retrieval.parsing.builder import DocumentBuilder
from retrieval.parsing.decoding import decode_text
from retrieval.parsing.html import add_html_fragment

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)
_FRONT_MATTER_TITLE = re.compile(r"^title:[ \t]*(.+?)[ \t]*$", re.MULTILINE)


def parse_markdown(data: bytes) -> ParsedDocument:
    source = decode_text(data)
    builder = DocumentBuilder("md")
    title = None
    front_matter = _FRONT_MATTER.match(source)
    if front_matter:
        # YAML front matter is metadata, not prose: keep it as one plain paragraph
        # (nothing is lost) and take its title.
        found = _FRONT_MATTER_TITLE.search(front_matter.group(1))
        title = found.group(1).strip("\"'") if found else None
        builder.add_paragraph(front_matter.group(1))
        source = source[front_matter.end() :]
    parser = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
    _emit(parser.parse(source), builder)
    return builder.build(title=title or builder.first_h1)


def _emit(tokens: list[Token], builder: DocumentBuilder) -> None:
    list_markers: list[str] = []  # for list items: "- " until their first paragraph is out
    table_rows: list[list[str]] = []
    heading_level = 0
    for token in tokens:
        kind = token.type
        if kind == "heading_open":
            heading_level = int(token.tag[1])
        elif kind == "heading_close":
            heading_level = 0
        elif kind == "list_item_open":
            number = token.info  # the item's number in an ordered list, "" for bullets
            list_markers.append(f"{number}. " if number else "- ")
        elif kind == "list_item_close":
            list_markers.pop()
        elif kind == "tr_open":
            table_rows.append([])
        elif kind == "table_close":
            builder.add_paragraph("\n".join(" | ".join(row) for row in table_rows))
            table_rows = []
        elif kind == "inline":
            text = _plain_inline(token)
            if heading_level:
                builder.add_heading(heading_level, text)
            elif table_rows:
                table_rows[-1].append(" ".join(text.split()))
            else:
                if list_markers and list_markers[-1]:
                    text = list_markers[-1] + text
                    list_markers[-1] = ""
                builder.add_paragraph(text)
        elif kind in {"fence", "code_block"}:
            builder.add_paragraph(token.content, preformatted=True)
        elif kind == "html_block":
            add_html_fragment(builder, token.content)


def _plain_inline(token: Token) -> str:
    parts = []
    for child in token.children or ():
        if child.type in {"text", "code_inline"}:
            parts.append(child.content)
        elif child.type == "image":
            parts.append(child.content)  # the alt text
        elif child.type == "softbreak":
            parts.append(" ")
        elif child.type == "hardbreak":
            parts.append("\n")
        # Markup (emphasis, link brackets) and inline HTML tags carry no text of their own.
    return "".join(parts)
