"""DOC (Word 97-2003 binary): the body text in order, with headings, list items and tables.

The structures are read by `doc_structures` (the FIB, the piece table, paragraph and
character properties, the stylesheet); this module walks the stories paragraph by paragraph
into the builder, as the DOCX and RTF readers do:

- The body first; then the text boxes' text, under no heading; then the footnotes and
  endnotes under a level-1 "Notes" heading, a paragraph each. An automatic note mark reads
  "[n]" at its anchor and at the start of its note (footnotes numbered first, then endnotes,
  as RTF reads them). Page headers and footers and comments are not read.
- A paragraph is a heading when it, or else its style, has an outline level (0-8: level N+1),
  or its style is a built-in "heading N" (by its identifier or its name); a "- " list item
  when it or its style has numbering or bullets. The first paragraph in the "Title" style is
  the title unless the document's properties name one (SummaryInformation).
- Fields read as their result, never their instructions ("HYPERLINK …", "PAGE"). Hidden text
  and text deleted with tracked changes are not read; inserted text is.
- Tables: a cell ends with mark 7, a row with a mark 7 whose paragraph ends the row (fTtp).
  Header rows are those marked to repeat, else guessed (`table_header`). A nested table's
  cells read inside the outer cell.

Refusals say what the file is: Word 6.0/95 (an older binary format), password-protected (or
XOR-obfuscated), an OLE2 file holding an Excel or PowerPoint file or an encrypted Office
2007+ one, or a file that is no OLE2 compound file at all; else "not a readable Word 97-2003
document (…)" with the reason. RTF, HTML and renamed DOCX files named .doc never reach this
reader (`parsing._disguised`).

Bounds: at most MAX_BYTES of file; the work is linear in the text (each character is read
once), and every offset read from the file is checked against the stream it points into.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from xlrd import compdoc  # type: ignore[import-untyped]

from retrieval.document import ParsedDocument, ParseError
from retrieval.parsing.builder import DocumentBuilder, clean_inline
from retrieval.parsing.doc_structures import (
    NFIB_WORD97,
    PAIR_END_REF,
    PAIR_FND_REF,
    Fib,
    Paragraph,
    Style,
    Text,
    read_fib,
    read_paragraphs,
    read_pieces,
    read_skipped_text,
    read_styles,
    reference_cps,
    story_ranges,
)
from retrieval.parsing.ole import DAMAGE, OLE2_MAGIC, damage, holds, open_compound, summary_title
from retrieval.parsing.table_header import header_rows
from retrieval.parsing.titles import first_real_title

MAX_BYTES = 64 * 2**20  # above the default upload limit (50 MB); pictures make a .doc large
_UNREADABLE = "not a readable Word 97-2003 document"
_PROTECTED = (
    "the document is password-protected: open it in Word, remove the password (File › Info › "
    "Protect Document) and upload it again"
)
_HEADING_STYLE = re.compile(r"^heading\s*(\d)$", re.IGNORECASE)
_STI_TITLE = 62  # the built-in "Title" style
_BODY_TEXT_OUTLINE_LEVEL = 9
# What a character of the text reads as; those not here are text (control characters the
# builder drops). 0x02 is an automatic note mark, numbered where it is read.
_CHARACTERS = {
    "\x0b": "\n",  # a line break
    "\x0c": "\n\n",  # a page or section break
    "\x0e": "\n",  # a column break
    "\x1e": "-",  # a non-breaking hyphen
    "\x1f": "",  # an optional hyphen
    "\x01": "",  # a picture
    "\x08": "",  # a drawn object
    "\x05": "",  # a comment's anchor
    "\x03": "",  # the notes' separators
    "\x04": "",
}
_FIELD_BEGIN, _FIELD_SEPARATOR, _FIELD_END = "\x13", "\x14", "\x15"
_PARAGRAPH_END, _CELL_END = "\r", "\x07"


def parse_doc(data: bytes) -> ParsedDocument:
    if len(data) > MAX_BYTES:
        raise ParseError(
            f"DOC is larger than the server's limit of {MAX_BYTES // 2**20} MiB for Word 97-2003 "
            "documents: save it as .docx"
        )
    if not data.startswith(OLE2_MAGIC):
        raise ParseError(not_a_doc(data))
    try:
        ole = open_compound(data)
        stream = ole.get_named_stream("WordDocument")
        if stream is None:
            raise ParseError(_other_ole2(ole))
        fib = read_fib(stream)
        if fib.version < NFIB_WORD97 - 1:  # Word 97 itself wrote 0xC0 to 0xC2
            raise ParseError(
                "this is a Word 6.0/95 document, an older binary format that is not read: "
                "open it in Word or LibreOffice and save it as .docx"
            )
        if fib.encrypted:
            raise ParseError(_PROTECTED)
        table = ole.get_named_stream(fib.table_stream)
        if table is None:
            raise ParseError(f"{_UNREADABLE} (its {fib.table_stream} stream is missing)")
        reader = _Reader(stream, table, fib)
        builder = DocumentBuilder("doc")
        title_paragraph = reader.read(builder)
        title = summary_title(ole)
    except DAMAGE as error:
        raise ParseError(f"{_UNREADABLE} ({damage(error)})") from error
    if builder.is_empty:
        raise ParseError("no extractable text: the document is empty or holds only images")
    return builder.build(title=first_real_title(title, title_paragraph, builder.first_h1))


def not_a_doc(head: bytes) -> str:
    """Why a file named .doc that is not an OLE2 compound file is refused, from its first bytes
    (RTF, HTML and ZIP files named .doc are read as what they are before this)."""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith(b"<?xml") and b"wordDocument" in text:
        return "this is a Word 2003 XML document named .doc: open it in Word and save it as .docx"
    if text and b"\x00" not in text and text.decode("utf-8", "replace").count("\ufffd") <= len(text) // 50:
        return "this is a text file named .doc: rename it to .txt"
    return (
        f"{_UNREADABLE}: it is not an OLE2 compound file, as Word 97-2003 documents are "
        "(an older Word format?): open it in Word or LibreOffice and save it as .docx"
    )


def _other_ole2(ole: compdoc.CompDoc) -> str:
    """Why an OLE2 file with no WordDocument stream is refused: what it holds instead."""
    kind = holds(ole)
    if kind == "encrypted":
        return "the document is a password-protected Word 2007+ file: remove the password and upload it again"
    if kind == "xls":
        return "this is an Excel 97-2003 workbook named .doc: rename it to .xls"
    if kind == "ppt":
        return "this is a PowerPoint 97-2003 presentation named .doc: rename it to .ppt"
    return f"{_UNREADABLE}: the file holds no WordDocument stream"


class _Reader:
    def __init__(self, stream: bytes, table: bytes, fib: Fib) -> None:
        self.text = Text(stream, read_pieces(table, fib))
        self.paragraphs = read_paragraphs(stream, table, fib)
        self.skipped = read_skipped_text(stream, table, fib)
        self.styles = read_styles(table, fib)
        self.stories = story_ranges(fib)
        footnotes = reference_cps(table, fib.pair(PAIR_FND_REF))
        endnotes = reference_cps(table, fib.pair(PAIR_END_REF))
        # The number an automatic note mark in the body reads, by its CP.
        self.note_numbers = {cp: i + 1 for i, cp in enumerate(footnotes)}
        self.note_numbers.update({cp: len(footnotes) + i + 1 for i, cp in enumerate(endnotes)})
        self.notes_read = 0  # automatic marks read in the notes' stories so far

    def read(self, builder: DocumentBuilder) -> str | None:
        """Every story read into `builder`; the first Title-style paragraph, if any."""
        title = self._body(builder, "text")
        if self.stories["textboxes"][1] > self.stories["textboxes"][0]:
            builder.clear_headings()
            self._body(builder, "textboxes")
        notes = [text for name in ("footnotes", "endnotes") for text, _, _ in self._paragraphs(name)]
        notes = [text for text in notes if text.strip()]
        if notes:
            builder.add_heading(1, "Notes")
            for note in notes:
                builder.add_paragraph(note)
        return title

    def _body(self, builder: DocumentBuilder, story: str) -> str | None:
        title: str | None = None
        rows: list[tuple[list[str], bool]] = []
        cells: list[str] = []
        cell = ""
        for text, mark, paragraph in self._paragraphs(story):
            if mark == _CELL_END and paragraph.row_end:
                rows.append((cells, paragraph.header_row))
                cells, cell = [], ""
                continue
            if mark == _CELL_END:
                cells.append(clean_inline(cell + text))
                cell = ""
                continue
            if paragraph.in_table:
                cell += text + "\n"
                continue
            if rows or cells:
                _add_table(builder, rows + ([(cells, False)] if cells else []))
                rows, cells, cell = [], [], ""
            style = self.styles.get(paragraph.style)
            level = _heading_level(paragraph, style)
            listed = (
                paragraph.listed if paragraph.listed is not None else bool(style and style.paragraph.listed)
            )
            if level:
                builder.add_heading(level, text)
            elif style is not None and style.sti == _STI_TITLE and text.strip():
                title = title or clean_inline(text)
                builder.add_paragraph(text)
            elif listed and text.strip():
                builder.add_paragraph("- " + text.strip())
            else:
                builder.add_paragraph(text)
        if rows or cells:
            _add_table(builder, rows + ([(cells, False)] if cells else []))
        return title

    def _paragraphs(self, story: str) -> Iterator[tuple[str, str, Paragraph]]:
        """Each paragraph of a story: its visible text, its mark (paragraph or cell end) and
        its properties."""
        start, end = self.stories[story]
        raw = self.text.read(start, end)
        fields: list[bool] = []  # each open field: in its result (True) or its instructions
        parts: list[str] = []
        for offset, character in enumerate(raw):
            cp = start + offset
            if character == _FIELD_BEGIN:
                fields.append(False)
            elif character == _FIELD_SEPARATOR:
                if fields:
                    fields[-1] = True
            elif character == _FIELD_END:
                if fields:
                    fields.pop()
            elif character in (_PARAGRAPH_END, _CELL_END):
                yield "".join(parts), character, self._paragraph_at(cp)
                parts = []
            elif all(fields) and not (self.skipped.runs and self.skipped.at(self.text.fc(cp))):
                parts.append(self._character(character, cp, story))

    def _paragraph_at(self, cp: int) -> Paragraph:
        return self.paragraphs.at(self.text.fc(cp)) or Paragraph()

    def _character(self, character: str, cp: int, story: str) -> str:
        if character != "\x02":
            return _CHARACTERS.get(character, character)
        if story in ("footnotes", "endnotes"):
            self.notes_read += 1
            return f"[{self.notes_read}] "
        number = self.note_numbers.get(cp)
        return f"[{number}]" if number else ""


def _heading_level(paragraph: Paragraph, style: Style | None) -> int:
    outline = paragraph.outline_level
    if outline is None and style is not None:
        outline = style.paragraph.outline_level
    if outline is not None:  # 9 is body text, whatever the style
        return outline + 1 if 0 <= outline < _BODY_TEXT_OUTLINE_LEVEL else 0
    if style is None:
        return 0
    if 1 <= style.sti <= 9:
        return style.sti
    named = _HEADING_STYLE.match(style.name.strip())
    return int(named.group(1)) if named else 0


def _add_table(builder: DocumentBuilder, rows: list[tuple[list[str], bool]]) -> None:
    cells = [row for row, _ in rows]
    builder.add_table(cells, header_rows=header_rows(cells, [header for _, header in rows]))
