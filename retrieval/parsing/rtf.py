r"""RTF: the body text in order, with headings, list items and tables; a small bounded reader.

The file is read token by token (groups ``{}``, control words ``\word-123``, control symbols,
``\'hh`` bytes, text), no recursion: group state (destination, ``\ucN``, hidden text,
paragraph properties) is a stack. Bytes, raw or ``\'hh``, are decoded through the document's
code page (``\ansicpgN``; ``\mac``, ``\pc``, ``\pca``; cp1252 by default), so double-byte code
pages (932, 936...) decode too; a font's own ``\fcharset`` is not followed (Word and LibreOffice
write characters outside the code page as ``\uN``). ``\uN`` is a UTF-16 unit (pairs joined), its
``\ucN`` stand-in bytes dropped. ``\par``/``\sect`` end a paragraph; ``\line``, ``\page``,
``\tab`` and the typographic symbols (``\emdash``, ``\~``...) are their characters.

Left out: groups starting ``\*`` (ignorable destinations: bookmarks, field instructions,
shapes' properties, Unicode copies in ``\upr``...) and the font, colour, list and revision
tables, document info, pictures, objects, page headers and footers, index and TOC entries,
and ``\v`` hidden text. Fields read as their result (``\fldrslt``, never ``\fldinst``).
A footnote's or endnote's text is read at the end, under a level-1 "Notes" heading, a
paragraph each; ``\chftn``, the automatic mark, reads "[n]" (n counting the notes in order,
endnotes too), at the anchor and at the start of the note alike.

A paragraph is a heading when it has ``\outlinelevelN`` (0-8: level N+1; 9 is body text), or
else when its style (``\sN``) is one the stylesheet names "heading N" or gives an outline
level; it is a "- " list item when it has a list (``\lsN``) or a list label (``\listtext``,
``\pntext``, whose text is the bullet or number and is not read). Table rows (``\trowd``...
``\cell``... ``\row``; paragraphs with ``\intbl``) read as one table until a paragraph outside
it; header rows are those marked ``\trhdr``, else guessed (``table_header``); nested tables'
cells stay inside their outer cell. No pages. Title: ``\title`` in ``\info``, else the first
level-1 heading (titles.py decides which are real).

Bounds: at most MAX_BYTES of file, MAX_DEPTH nested groups and MAX_TOKENS tokens (which
bounds the time), each refused with a reason naming the server's limit (never a RecursionError
or a hang). A file that ends inside a group (cut short) keeps what was read, with a warning.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from retrieval.document import ParsedDocument, ParseError
from retrieval.parsing.builder import DocumentBuilder, clean_inline
from retrieval.parsing.table_header import header_rows
from retrieval.parsing.titles import first_real_title

MAX_BYTES = 64 * 1024 * 1024  # above the default upload limit (50 MB); pictures make RTF large
MAX_DEPTH = 256  # nested groups; real files stay under a few dozen (libxml2's XML limit is 256 too)
# Tokens (control words, braces, runs of text) read: about 1 µs each, so at most ~10 s. Word
# writes about one per 10 bytes of text-heavy RTF; pictures' hex data is a few per line.
MAX_TOKENS = 10_000_000

# A control word and its parameter (the space after them belongs to them), a run of \'hh
# bytes, a control symbol, a brace, a run of text; line ends in the file are not text.
_TOKEN = re.compile(
    rb"\\([a-zA-Z]{1,32})(-?\d{1,10})? ?|((?:\\'[0-9a-fA-F]{2})+)|\\(.)|([{}])|([^\\{}\r\n]+)|[\r\n]+",
    re.DOTALL,
)
_BODY, _SKIP, _NOTE, _TITLE, _STYLE = range(5)  # where a group's text goes
# Destinations whose text is not the document's text (those starting \* are skipped too).
_SKIPPED = frozenset(
    b"fonttbl colortbl info pict object header headerl headerr headerf footer footerl footerr "
    b"footerf fldinst filetbl listtable listoverridetable revtbl rsidtbl pgdsctbl xe tc tcn txe rxe "
    b"pn pntxta pntxtb ftnsep ftnsepc ftncn aftnsep aftnsepc aftncn nonshppict template annotation "
    b"bkmkstart bkmkend listtext pntext".split()
)
_LIST_LABELS = frozenset({b"listtext", b"pntext"})  # a list paragraph's rendered bullet or number
_CHARACTERS = {
    b"tab": "\t",
    b"line": "\n",
    b"page": "\n",
    b"column": "\n",
    b"nestcell": " ",  # a nested table's cell: its text stays in the outer cell
    b"emdash": "\u2014",
    b"endash": "\u2013",
    b"emspace": " ",
    b"enspace": " ",
    b"qmspace": " ",
    b"bullet": "\u2022",
    b"lquote": "\u2018",
    b"rquote": "\u2019",
    b"ldblquote": "\u201c",
    b"rdblquote": "\u201d",
}
_SYMBOLS = {b"\\": "\\", b"{": "{", b"}": "}", b"~": "\u00a0", b"_": "-", b"\t": "\t"}
_CODE_PAGES = {b"ansi": "cp1252", b"mac": "mac_roman", b"pc": "cp437", b"pca": "cp850"}
_HEADING_STYLE = re.compile(r"^heading\s*(\d)$", re.IGNORECASE)
_BODY_TEXT_OUTLINE_LEVEL = 9  # \outlinelevel9 is "body text", not a heading


def parse_rtf(data: bytes) -> ParsedDocument:
    if len(data) > MAX_BYTES:
        raise ParseError(f"RTF is larger than the server's limit of {MAX_BYTES // 2**20} MiB")
    reader = _Reader()
    reader.read(data)
    builder = reader.builder
    if builder.is_empty:
        raise ParseError(
            "no extractable text: the document holds only pictures"
            if reader.pictures
            else "no extractable text: the document is empty"
        )
    return builder.build(title=first_real_title(reader.title, builder.first_h1))


@dataclass(slots=True)
class _State:
    """What a group sets and its inner groups inherit; ``}`` restores the outer group's."""

    destination: int = _BODY
    skip_after_unicode: int = 1  # \ucN: bytes of stand-in after each \uN
    hidden: bool = False  # \v
    outline_level: int | None = None  # \outlinelevelN: paragraph properties, reset by \pard
    style: int = 0
    in_table: bool = False
    listed: bool = False

    def copy(self) -> _State:
        # Spelled out: copy.copy costs as much as all the rest of a group's handling.
        return _State(
            self.destination,
            self.skip_after_unicode,
            self.hidden,
            self.outline_level,
            self.style,
            self.in_table,
            self.listed,
        )


class _Reader:
    def __init__(self) -> None:
        self.builder = DocumentBuilder("rtf")
        self.state = _State()
        self.stack: list[_State] = []
        self.code_page = "cp1252"
        self.explicit_code_page = False
        self.pending = bytearray()  # bytes of text not decoded yet (a character may take two)
        self.to_skip = 0  # stand-in bytes still to drop after a \uN
        self.sinks: dict[int, list[str]] = {_BODY: [], _NOTE: [], _TITLE: [], _STYLE: []}
        self.list_label = False  # the paragraph being read had a list label
        self.cells: list[str] = []
        self.rows: list[tuple[list[str], bool]] = []  # (cells, header) of the table being read
        self.row_header = False  # \trhdr in the row's definition
        self.notes: list[str] = []
        self.title: str | None = None
        self.style_levels: dict[int, int] = {}  # style number -> heading level
        self.style_entry: tuple[int, int | None] = (0, None)  # the stylesheet entry being read
        self.pictures = 0

    def read(self, data: bytes) -> None:
        position, end = 0, len(data)
        closed = False
        tokens = 0
        while position < end:
            tokens += 1
            if tokens > MAX_TOKENS:
                raise ParseError(
                    f"RTF holds more than {MAX_TOKENS:,} control words, groups and runs of text, "
                    "past the server's limit"
                )
            match = _TOKEN.match(data, position)
            if match is None:
                break  # a lone backslash at the very end
            position = match.end()
            word, parameter, hexes, symbol, brace, text = match.groups()
            if text is not None or hexes is not None:
                raw = text if hexes is None else bytes.fromhex(hexes.replace(b"\\'", b"").decode())
                if self.to_skip:
                    dropped = min(self.to_skip, len(raw))
                    raw, self.to_skip = raw[dropped:], self.to_skip - dropped
                self.pending += raw
                continue
            if self.pending:
                self._decode_pending()
            self.to_skip = 0  # anything but text ends a \uN's stand-in
            if word is not None:
                value = int(parameter) if parameter is not None else None
                if word == b"bin":  # binary data (in a picture): skipped unread, braces and all
                    position += max(value or 0, 0)
                else:
                    self._word(word, value)
            elif symbol is not None:
                self._symbol(symbol)
            elif brace == b"{":
                if len(self.stack) >= MAX_DEPTH:
                    raise ParseError(
                        f"RTF is nested more than {MAX_DEPTH} groups deep, past the server's limit"
                    )
                self.stack.append(self.state)
                self.state = self.state.copy()
            elif brace == b"}":
                if len(self.stack) <= 1:
                    closed = True  # the document's own group: nothing after it is read
                    break
                self._close_group()
        self._decode_pending()
        if not closed:
            self.builder.warnings.append(
                "the file ends before its last group closes (cut short?): the end of the text may be missing"
            )
        while len(self.stack) > 1:
            self._close_group()
        self.state.in_table = False  # the document's end ends its last paragraph and table
        self._end_paragraph()
        notes = [note for note in self.notes if note]
        if notes:
            self.builder.add_heading(1, "Notes")
            for note in notes:
                self.builder.add_paragraph(note)

    def _decode_pending(self) -> None:
        self._text(bytes(self.pending).decode(self.code_page, errors="replace"))
        self.pending.clear()

    def _text(self, text: str) -> None:
        if self.state.destination != _SKIP and not self.state.hidden:
            self.sinks[self.state.destination].append(text)

    def _word(self, word: bytes, value: int | None) -> None:
        state = self.state
        if word in _SKIPPED:
            state.destination = _SKIP
            self.pictures += word == b"pict"
            self.list_label = self.list_label or word in _LIST_LABELS
        elif word == b"footnote":
            state.destination = _NOTE if state.destination == _BODY else _SKIP
        elif word == b"title":
            state.destination = _TITLE  # inside \info, which is skipped otherwise
        elif word == b"stylesheet":
            state.destination = _STYLE
        elif word == b"u" and value is not None:
            self._text(chr(value & 0xFFFF))  # a signed 16-bit UTF-16 unit; pairs are joined later
            self.to_skip = state.skip_after_unicode
        elif word == b"uc":
            state.skip_after_unicode = max(value or 0, 0)
        elif word in _CODE_PAGES or word == b"ansicpg":
            self._code_page(word, value)
        elif state.destination == _STYLE:
            if word == b"s":
                self.style_entry = (value or 0, self.style_entry[1])
            elif word == b"outlinelevel":
                self.style_entry = (self.style_entry[0], value)
        elif word in {b"par", b"sect"}:
            self._end_paragraph()
        elif word == b"cell":
            self._end_cell()
        elif word == b"row":
            self._end_row()
        elif word in _CHARACTERS:
            self._text(_CHARACTERS[word])
        elif word == b"chftn":  # the anchor comes before its note, the mark inside it too
            self._text(f"[{len(self.notes) + 1}]")
        elif word == b"pard":
            state.outline_level, state.style, state.in_table, state.listed = None, 0, False, False
        elif word == b"outlinelevel":
            state.outline_level = value
        elif word == b"s":
            state.style = value or 0
        elif word == b"intbl":
            state.in_table = True
        elif word == b"ls":
            state.listed = (value or 0) > 0
        elif word in {b"v", b"plain"}:
            state.hidden = word == b"v" and value != 0
        elif word in {b"trowd", b"trhdr"} and state.destination == _BODY:
            self.row_header = word == b"trhdr"  # a row's definition starts with \trowd

    def _symbol(self, symbol: bytes) -> None:
        if symbol == b"*":
            self.state.destination = _SKIP  # an ignorable destination: none is read here
        elif symbol in {b"\n", b"\r"}:
            self._end_paragraph()  # a backslash before a line end is \par
        elif symbol in _SYMBOLS:
            self._text(_SYMBOLS[symbol])

    def _code_page(self, word: bytes, value: int | None) -> None:
        if word == b"ansicpg":
            name = {65001: "utf-8", 10000: "mac_roman"}.get(value or 0, f"cp{value}")
            try:
                self.code_page = codecs.lookup(name).name
                self.explicit_code_page = True
            except LookupError:
                pass  # an unknown code page: keep the default
        elif not self.explicit_code_page:
            self.code_page = _CODE_PAGES[word]

    def _close_group(self) -> None:
        closing, self.state = self.state, self.stack.pop()
        if closing.destination == _STYLE:
            self._end_style_entry()
        elif closing.destination == self.state.destination:
            pass  # a group inside a note or a title: they go on
        elif closing.destination == _NOTE:
            self.notes.append(_taken(self.sinks[_NOTE]))
        elif closing.destination == _TITLE:
            self.title = self.title or clean_inline(_taken(self.sinks[_TITLE])) or None

    def _end_style_entry(self) -> None:
        """A stylesheet entry ("{\\s1 ... \\outlinelevel0 ... heading 1;}") ends: a heading
        style's number is kept with its level."""
        name = _taken(self.sinks[_STYLE]).split(";")[0].strip()
        (number, outline_level), self.style_entry = self.style_entry, (0, None)
        heading = _HEADING_STYLE.match(name)
        level = _heading_level(outline_level) or (int(heading.group(1)) if heading else 0)
        if name and level:
            self.style_levels[number] = level

    def _end_paragraph(self) -> None:
        state = self.state
        if state.destination != _BODY:
            self._text("\n")  # a paragraph of a note (or of a title)
            return
        if state.in_table:
            self._text("\n")  # a cell's paragraphs stay in the cell
            return
        self._end_table()
        text = _joined(self.sinks[_BODY])
        self.sinks[_BODY].clear()
        level = (
            _heading_level(state.outline_level)
            if state.outline_level is not None
            else self.style_levels.get(state.style, 0)
        )
        if level:
            self.builder.add_heading(level, text)
        elif (state.listed or self.list_label) and text.strip():
            self.builder.add_paragraph("- " + text.strip())
        else:
            self.builder.add_paragraph(text)
        self.list_label = False

    def _end_cell(self) -> None:
        if self.state.destination != _BODY:
            self._text(" ")
            return
        self.cells.append(clean_inline(_joined(self.sinks[_BODY])))
        self.sinks[_BODY].clear()

    def _end_row(self) -> None:
        if self.state.destination != _BODY:
            return
        if "".join(self.sinks[_BODY]).strip():
            self._end_cell()  # text after the row's last \cell
        self.sinks[_BODY].clear()
        self.rows.append((self.cells, self.row_header))
        self.cells = []

    def _end_table(self) -> None:
        if self.cells:
            self._end_row()
        if not self.rows:
            return
        rows = [cells for cells, _ in self.rows]
        self.builder.add_table(rows, header_rows=header_rows(rows, [header for _, header in self.rows]))
        self.rows = []


def _heading_level(outline_level: int | None) -> int:
    if outline_level is None or not 0 <= outline_level < _BODY_TEXT_OUTLINE_LEVEL:
        return 0
    return outline_level + 1


def _joined(parts: list[str]) -> str:
    """The text of ``parts``, UTF-16 surrogate pairs from \\uN joined into their character
    (a lone surrogate is kept for the builder to drop)."""
    return "".join(parts).encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")


def _taken(parts: list[str]) -> str:
    """The text of ``parts``, which are then emptied."""
    text = _joined(parts).strip()
    parts.clear()
    return text
