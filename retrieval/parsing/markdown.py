"""Markdown: headings give heading paths; the text is kept readable without its markup.

markdown-it-py (CommonMark plus GFM tables) gives a token stream. Emphasis and link
syntax are dropped, link and image texts are kept, code blocks keep their text, tables
become tables of " | "-joined rows (the head row their header) and raw HTML blocks go
through the HTML text extractor.
"""

from __future__ import annotations

import re

from markdown_it import MarkdownIt
from markdown_it.token import Token

from retrieval.document import ParsedDocument
from retrieval.parsing.builder import DocumentBuilder
from retrieval.parsing.decoding import decode_text
from retrieval.parsing.html import add_html_fragment
from retrieval.parsing.titles import first_real_title

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)
_FRONT_MATTER_TITLE = re.compile(r"^title:[ \t]*(.+?)[ \t]*$", re.MULTILINE)
_TEXT_TOKENS = frozenset({"inline", "fence", "code_block", "html_block", "tr_open"})
_WORDS = re.compile(r"\w")
# "[label]: https://..." lines are link targets, consumed by markdown-it, not prose.
_LINK_DEFINITION = re.compile(r"^ {0,3}\[[^\]]+\]:\s*\S+")
_MARKERS = re.compile(r"^(?:\s*(?:>|[-*+]\s|\d+[.)]\s))+\s*")  # quote and list markers


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
    _emit(parser.parse(source), source.split("\n"), builder)
    return builder.build(title=first_real_title(title, builder.first_h1))


def _emit(tokens: list[Token], lines: list[str], builder: DocumentBuilder) -> None:
    dropped = _dropped_lines(tokens, lines)
    list_markers: list[str] = []  # for list items: "- " until their first paragraph is out
    table_rows: list[list[str]] = []
    header_rows = 0  # rows of the table's head (a pipe table's first line)
    in_head = False
    heading_level = 0
    for token in tokens:
        kind = token.type
        if dropped and token.map and token.nesting >= 0:
            while dropped and dropped[0] < token.map[0]:
                builder.add_paragraph(_MARKERS.sub("", lines[dropped.pop(0)]))
        if kind == "heading_open":
            heading_level = int(token.tag[1])
        elif kind == "heading_close":
            heading_level = 0
        elif kind == "list_item_open":
            number = token.info  # the item's number in an ordered list, "" for bullets
            list_markers.append(f"{number}. " if number else "- ")
        elif kind == "list_item_close":
            list_markers.pop()
        elif kind in {"thead_open", "thead_close"}:
            in_head = kind == "thead_open"
        elif kind == "tr_open":
            table_rows.append([])
            header_rows += in_head
        elif kind == "table_close":
            builder.add_table(table_rows, header_rows=header_rows)
            table_rows, header_rows = [], 0
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
    for index in dropped:
        builder.add_paragraph(_MARKERS.sub("", lines[index]))


def _dropped_lines(tokens: list[Token], lines: list[str]) -> list[int]:
    """Source lines with words that no token holds.

    markdown-it stops building blocks nested deeper than its maxNesting (20) and drops
    their text without a word; those lines, and any other line it let fall, are kept as
    plain paragraphs in their place. Pure markup lines (rules, fences, table rules) have
    no words and are not counted, nor are link definitions.
    """
    covered = [False] * len(lines)
    for token in tokens:
        if token.map and token.type in _TEXT_TOKENS:
            for index in range(token.map[0], min(token.map[1], len(lines))):
                covered[index] = True
    return [
        i
        for i, line in enumerate(lines)
        if not covered[i] and _WORDS.search(line) and not _LINK_DEFINITION.match(line)
    ]


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
