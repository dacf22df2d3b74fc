"""XLS (Excel 97-2003, BIFF8; BIFF2 to BIFF7 too): read as an XLSX is, each visible sheet a heading
over its used range as a table, values as the workbook shows them.

xlrd (pure Python) opens the workbook with its formatting (number formats, hidden rows and
columns, merged ranges) and loads the sheets one by one, each dropped once read. Each sheet's
Layout is read from xlrd (rowinfo_map, colinfo_map, merged_cells) and its cells handed to
sheets.read_sheet as values with their number formats, so XLS and XLSX read alike by
construction: the same rules for title lines, header rows, empty rows splitting tables,
merged ranges, hidden rows and columns, limits, and the same warnings (sheets.py's docstring
is the contract; what follows is what differs or is particular to XLS).

Values: a formula cell is the value Excel saved with it. A number under a date or time format
(openpyxl's own test of the format string, or xlrd's for a built-in format it knows without
one) is converted by openpyxl's own function, so 2023-06-30, 2023-06-30 14:05 and 14:05 read
as from an XLSX; other numbers keep their number format; an error cell reads as its Excel text
(#DIV/0!, #N/A).

Not read: hidden sheets (named in a warning), images, comments, and charts (xlrd reads neither
embedded charts nor chart sheets). Title: the workbook's title property (the OLE2 file's
document properties, `ole.summary_title`), else the caller's fallback, the file name.

Bounds: a file over MAX_BYTES is refused before it is opened. xlrd holds the whole file, and
the sheet being read, in memory (a sheet is at most 65,536 × 256 cells), and it keeps every
merged range a sheet declares before sheets.MAX_MERGED can apply: a 32 MiB file of nothing but
merged ranges holds 4 million of them, over 700 MB in xlrd; 16 MiB halves that, and real
Excel 97-2003 workbooks are a few MB. Row slots are counted against
sheets.MAX_SCANNED up to each row's last value (xlrd's rows end there). A sheet xlrd cannot
read is named with the reason and the others are read; a sheet after the one a limit cut is
loaded only to count the rows it leaves out.

Refusals say what the file is: a password-protected workbook (an Excel 97-2003 one, or an
Excel 2007+ one, which is an OLE2 file too); an XLSX, ODS, HTML page, SpreadsheetML XML or
CSV/TSV text saved under the name .xls (exports often are), with the name to give it; anything
else "not a readable Excel 97-2003 workbook (…)" with xlrd's reason.
"""

from __future__ import annotations

import datetime
import io
import struct
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

import xlrd  # type: ignore[import-untyped]
from openpyxl.styles.numbers import is_date_format, is_timedelta_format
from openpyxl.utils.datetime import MAC_EPOCH, WINDOWS_EPOCH, from_excel

from retrieval.document import ParsedDocument, ParseError
from retrieval.parsing.builder import DocumentBuilder
from retrieval.parsing.ole import OLE2_MAGIC, Discard, holds, open_compound, summary_title
from retrieval.parsing.sheets import (
    ROW_DATA,
    ROW_HIDDEN,
    EmptyRows,
    Layout,
    Merge,
    Reading,
    read_sheet,
)
from retrieval.parsing.titles import first_real_title

MAX_BYTES = 16 * 2**20  # real Excel 97-2003 workbooks are a few MB; xlrd holds it all, merged ranges too

_ZIP_MAGIC = b"PK\x03\x04"
# A BIFF stream outside an OLE2 file (Excel 2 to 4 wrote them): its first record is a BOF.
_BOF_RECORDS = (b"\x09\x00", b"\x09\x02", b"\x09\x04", b"\x09\x08")
_EMPTY_TYPES = bytes([xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK])  # a cell with no value, formatted or not
_HEAD = 2048  # what is read of a file to tell what else it is

_DAMAGE = (
    xlrd.XLRDError,
    xlrd.compdoc.CompDocError,
    struct.error,
    AssertionError,  # xlrd checks records with assert
    EOFError,
    ValueError,  # UnicodeDecodeError too
    TypeError,
    LookupError,  # IndexError, KeyError, and an unknown code page's codec
    AttributeError,
    OverflowError,
    ZeroDivisionError,
)


def parse_xls(data: bytes) -> ParsedDocument:
    if len(data) > MAX_BYTES:
        raise ParseError(
            f"XLS is larger than the server's limit of {MAX_BYTES // 2**20} MiB for Excel 97-2003 "
            "workbooks: save it as .xlsx"
        )
    book = _open(data)
    reading = Reading(DocumentBuilder("xls"))
    try:
        formats = _Formats(book)
        for index, name in enumerate(book.sheet_names()):
            if book._sheet_visibility[index]:  # 1 hidden, 2 very hidden (BOUNDSHEET); no public API
                reading.hidden(name)
                continue
            try:
                sheet = book.sheet_by_index(index)
            except _DAMAGE as error:
                reading.warnings.append(f"sheet '{name}': could not be read ({_reason(error)})")
                continue
            try:
                layout = _layout(sheet)
                if reading.budget.spent:
                    reading.not_reached(name, layout.rows_after(0))
                    continue
                reading.add(name, read_sheet(_Rows(sheet, formats), layout, reading.budget, _DAMAGE), layout)
            finally:
                book.unload_sheet(index)
    finally:
        book.release_resources()
    return reading.build(_title(data))


def _title(data: bytes) -> str | None:
    """The workbook's title property (Excel 97-2003 keeps it in the OLE2 file's document
    properties); None for a BIFF stream outside an OLE2 file, or when the file has none."""
    if not data.startswith(OLE2_MAGIC):
        return None
    try:
        return first_real_title(summary_title(open_compound(data)))
    except _DAMAGE:
        return None


def _open(data: bytes):  # an xlrd Book
    disguise = _disguise(data)
    if disguise:
        raise ParseError(disguise)
    try:
        return xlrd.open_workbook(
            file_contents=data,
            formatting_info=True,  # number formats, hidden rows and columns, merged ranges
            on_demand=True,  # each sheet loaded when asked for, and unloaded once read
            ragged_rows=True,  # rows end at their last cell: not padded to the widest row
            logfile=Discard(),
        )
    except xlrd.XLRDError as error:
        reason = str(error)
        if reason == "Workbook is encrypted":
            raise ParseError(_PROTECTED) from error
        other = _other_ole2(data) if reason.startswith("Can't find workbook in OLE2") else ""
        raise ParseError(other or f"{_UNREADABLE} ({reason})") from error
    except _DAMAGE as error:
        raise ParseError(f"{_UNREADABLE} ({_reason(error)})") from error


_UNREADABLE = "not a readable Excel 97-2003 workbook"


def _reason(error: Exception) -> str:
    """xlrd's error as said in a warning or refusal; its asserts say nothing of their own."""
    name = "struct.error" if isinstance(error, struct.error) else type(error).__name__
    return f"{name}: {error}" if str(error) else f"{name} in xlrd"


_PROTECTED = (
    "the workbook is password-protected: open it in Excel, remove the password (File › Info › "
    "Protect Workbook) and upload it again"
)


def _disguise(data: bytes) -> str:
    """What the file is when it is not an Excel 97-2003 workbook but says what else it is: the
    reason to refuse it, else ""."""
    if data.startswith(OLE2_MAGIC) or data.startswith(_BOF_RECORDS):
        return ""
    if data.startswith(_ZIP_MAGIC):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = {name.replace("\\", "/").lower() for name in archive.namelist()}
        except (zipfile.BadZipFile, ValueError, OSError):
            names = set()
        if "xl/workbook.xml" in names:
            return "this is an XLSX workbook named .xls: rename it to .xlsx"
        if "content.xml" in names:
            return "this is an OpenDocument spreadsheet (ODS) named .xls: rename it to .ods"
        return "not an Excel 97-2003 workbook: the file is a ZIP archive"
    head = data[:_HEAD].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith(b"<?xml") and b"urn:schemas-microsoft-com:office:spreadsheet" in head:
        return "this is an Excel 2003 XML spreadsheet named .xls: open it in Excel and save it as .xlsx"
    if head.startswith((b"<html", b"<!doctype html", b"<table", b"<meta")) or (
        head.startswith(b"<") and b"<table" in head
    ):
        return "this is an HTML page named .xls (a web export): rename it to .html"
    if _looks_like_delimited_text(data[:_HEAD]):
        return "this is a text file of comma- or tab-separated values named .xls: rename it to .csv"
    return f"{_UNREADABLE} (the file does not start as one)"


def _looks_like_delimited_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False  # UTF-16 text is rare in exports, and binary files hold NULs
    text = head.decode("utf-8", errors="replace")
    lines = [line for line in text.splitlines()[:-1] or text.splitlines() if line.strip()]
    if not lines or text.count("\ufffd") > len(text) // 20:
        return False
    printable = sum(ch.isprintable() or ch in "\t\r\n" for ch in text)
    delimited = all("\t" in line or "," in line or ";" in line for line in lines)
    return delimited and printable > 0.95 * len(text)


def _other_ole2(data: bytes) -> str:
    """What an OLE2 file without a workbook stream holds, when that is known: "" otherwise."""
    try:
        kind = holds(open_compound(data))
    except _DAMAGE:
        return ""
    if kind == "encrypted":  # an Excel 2007+ workbook with a password
        return _PROTECTED
    if kind == "doc":
        return "this is a Word document named .xls, not a workbook"
    if kind == "ppt":
        return "this is a PowerPoint presentation named .xls, not a workbook"
    return ""


@dataclass(frozen=True, slots=True)
class _Format:
    code: str | None  # None: a built-in format xlrd knows the kind of but not the code
    date: bool | None  # None: as xlrd says of the cell (XL_CELL_DATE), when the code is unknown
    duration: bool = False  # "[h]:mm": openpyxl reads it as a duration


class _Formats:
    """Each cell format (XF) of the workbook: its number format code and whether it shows a
    date, as openpyxl judges the same code in an XLSX."""

    def __init__(self, book) -> None:
        self._formats: list[_Format] = []
        for xf in book.xf_list:
            found = book.format_map.get(xf.format_key)
            code = found.format_str if found is not None else None
            if code:
                self._formats.append(_Format(code, is_date_format(code), is_timedelta_format(code)))
            else:
                self._formats.append(_Format(None, None))
        self.epoch = MAC_EPOCH if book.datemode else WINDOWS_EPOCH

    def __getitem__(self, xf_index: int) -> _Format:
        return self._formats[xf_index] if 0 <= xf_index < len(self._formats) else _Format(None, None)


@dataclass(slots=True)
class _Cell:
    """A cell as sheets.read_sheet reads it (a sheets.Cell): a value and its number format."""

    value: object
    number_format: str | None = None


class _Rows:
    """An xlrd sheet as sheets.read_sheet reads it (a sheets.SheetCells): every row from the
    first, each up to its last cell with a value; a run of empty rows as one EmptyRows (a row
    slot each, as they are walked here, but no more work than that)."""

    def __init__(self, sheet, formats: _Formats) -> None:
        self._sheet = sheet
        self._formats = formats

    def iter_rows(self) -> Iterator[list[_Cell] | EmptyRows]:
        sheet = self._sheet
        empty = 0
        for number in range(sheet.nrows):
            width = len(sheet.row_types(number).tobytes().rstrip(_EMPTY_TYPES))
            if not width:
                empty += 1
                continue
            if empty:
                yield EmptyRows(empty, empty)
                empty = 0
            yield [self._cell(cell) for cell in sheet.row_slice(number, 0, width)]

    def _cell(self, cell) -> _Cell:  # an xlrd Cell
        kind, value = cell.ctype, cell.value
        if kind in (xlrd.XL_CELL_NUMBER, xlrd.XL_CELL_DATE):
            shown = self._formats[cell.xf_index]
            if shown.date if shown.date is not None else kind == xlrd.XL_CELL_DATE:
                return _Cell(self._date(value, shown.duration))
            return _Cell(value, shown.code)
        if kind == xlrd.XL_CELL_TEXT:
            return _Cell(value)
        if kind == xlrd.XL_CELL_BOOLEAN:
            return _Cell(bool(value))
        if kind == xlrd.XL_CELL_ERROR:
            return _Cell(xlrd.error_text_from_code.get(value, "#N/A"))
        return _Cell(None)

    def _date(self, value: float, duration: bool) -> object:
        try:
            converted: datetime.datetime | datetime.time | datetime.timedelta = from_excel(
                value, self._formats.epoch, timedelta=duration
            )
        except (OverflowError, ValueError):
            return "#VALUE!"  # as openpyxl reads a date out of range in an XLSX
        return converted


def _layout(sheet) -> Layout:
    """What sheets.read_sheet needs to know of the sheet before its rows: its hidden rows and
    columns, its rows with values, the columns of its leftmost and rightmost values, and its
    merged ranges (1-based, as in an XLSX)."""
    hidden = [column for column, info in sheet.colinfo_map.items() if info.hidden]
    layout = Layout(hidden_columns=frozenset(column + 1 for column in hidden), complete=True)
    # A mask over a row's cell types, as an int: the types of hidden columns zeroed (empty).
    shown = int.from_bytes(bytes(0 if column in hidden else 0xFF for column in range(256)), "little")
    layout.rows = bytearray(sheet.nrows + 1)
    first, last = 0, 0
    for index in range(sheet.nrows):
        info = sheet.rowinfo_map.get(index)
        if info is not None and info.hidden:
            layout.rows[index + 1] = ROW_HIDDEN
            continue
        types = sheet.row_types(index).tobytes()
        if hidden:
            types = (int.from_bytes(types, "little") & shown).to_bytes(len(types), "little")
        end = len(types.rstrip(_EMPTY_TYPES))
        if end:
            layout.rows[index + 1] = ROW_DATA
            start = len(types) - len(types.lstrip(_EMPTY_TYPES)) + 1
            first = min(first or start, start)
            last = max(last, end)
    layout.first_column, layout.last_column = first, last
    for first_row, end_row, first_column, end_column in sheet.merged_cells:  # 0-based, ends excluded
        if first_row >= end_row or first_column >= end_column:
            continue  # malformed
        if (end_row - first_row, end_column - first_column) == (1, 1):
            continue  # one cell
        layout.add_merge(Merge(first_row + 1, first_column + 1, end_row, end_column))
    return layout
