"""XLS (Excel 97-2003): read as an XLSX is. Each workbook is built here twice from one description,
as .xls by xlwt and as .xlsx by openpyxl, and the two must read the same (text, tables, sections,
warnings) wherever the formats overlap; then what only XLS has: its refusals and its file bound."""

from __future__ import annotations

import datetime
import io
import random
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import xlwt  # type: ignore[import-untyped]
from openpyxl.utils import get_column_letter

from retrieval.document import ParsedDocument, ParseError
from retrieval.parsing import sheets, xls
from retrieval.parsing.xls import parse_xls
from retrieval.parsing.xlsx import parse_xlsx
from tests.retrieval.test_parsing_samples import assert_valid

Rows = Sequence[Sequence[Any]]


@dataclass(frozen=True)
class Formatted:
    """A cell's value shown through a number format."""

    value: Any
    code: str


@dataclass(frozen=True)
class Error:
    """An error cell: its Excel code (xlwt maps "#VALUE!" to #NUM!'s code, so codes are given)."""

    code: int
    text: str


@dataclass
class Sheet:
    name: str
    rows: Rows  # None leaves a cell empty
    merges: Sequence[
        tuple[int, int, int, int]
    ] = ()  # first row, last row, first column, last column (0-based)
    hidden_rows: Sequence[int] = ()  # 0-based
    hidden_columns: Sequence[int] = ()
    hidden: bool = False


def xls_bytes(*sheets: Sheet) -> bytes:
    book = xlwt.Workbook()
    styles: dict[str, Any] = {}

    def style(code: str) -> Any:
        return styles.setdefault(code, xlwt.easyxf(num_format_str=code))

    for spec in sheets:
        sheet = book.add_sheet(spec.name, cell_overwrite_ok=False)
        covered = set()
        # xlwt writes its merged ranges last first: given reversed, the file holds them in order.
        for first_row, last_row, first_column, last_column in reversed(spec.merges):
            value = spec.rows[first_row][first_column]
            sheet.write_merge(first_row, last_row, first_column, last_column, value)
            covered |= {
                (r, c) for r in range(first_row, last_row + 1) for c in range(first_column, last_column + 1)
            }
        for r, row in enumerate(spec.rows):
            for c, value in enumerate(row):
                if value is None or (r, c) in covered:
                    continue
                if isinstance(value, Formatted):
                    sheet.write(r, c, value.value, style(value.code))
                elif isinstance(value, Error):
                    sheet.row(r).set_cell_error(c, value.code)
                elif isinstance(value, datetime.datetime):
                    sheet.write(r, c, value, style("yyyy-mm-dd"))
                else:
                    sheet.write(r, c, value)
        for r in spec.hidden_rows:
            sheet.row(r).hidden = 1
        for c in spec.hidden_columns:
            sheet.col(c).hidden = 1
        if spec.hidden:
            sheet.visibility = 1
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def xlsx_bytes(*sheets: Sheet) -> bytes:
    book = openpyxl.Workbook()
    for default in book.worksheets:
        book.remove(default)
    for spec in sheets:
        sheet = book.create_sheet(spec.name)
        for r, row in enumerate(spec.rows, start=1):
            for c, value in enumerate(row, start=1):
                if value is None:
                    continue
                cell = sheet.cell(r, c)
                if isinstance(value, Formatted):
                    cell.value, cell.number_format = value.value, value.code
                elif isinstance(value, Error):
                    cell.value = value.text
                elif isinstance(value, datetime.datetime):
                    cell.value, cell.number_format = value, "yyyy-mm-dd"
                else:
                    cell.value = value
        for first_row, last_row, first_column, last_column in spec.merges:
            sheet.merge_cells(
                start_row=first_row + 1,
                end_row=last_row + 1,
                start_column=first_column + 1,
                end_column=last_column + 1,
            )
        for r in spec.hidden_rows:
            sheet.row_dimensions[r + 1].hidden = True
        for c in spec.hidden_columns:
            sheet.column_dimensions[get_column_letter(c + 1)].hidden = True
        if spec.hidden:
            sheet.sheet_state = "hidden"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def tables(doc: ParsedDocument) -> list[list[tuple[str, bool]]]:
    return [[(doc.text[row.start : row.end], row.header) for row in table.rows] for table in doc.tables]


def read(*sheets: Sheet) -> ParsedDocument:
    """The workbook of ``sheets`` read from .xls, checked to read as its .xlsx twin does."""
    doc = parse_xls(xls_bytes(*sheets))
    twin = parse_xlsx(xlsx_bytes(*sheets))
    assert doc.format == "xls"
    assert_valid(doc)
    assert doc.text == twin.text
    assert tables(doc) == tables(twin)
    assert doc.sections == twin.sections
    assert doc.warnings == twin.warnings
    assert doc.title is None
    return doc


def refused(data: bytes) -> str:
    with pytest.raises(ParseError) as caught:
        parse_xls(data)
    reason = str(caught.value)
    assert reason and reason == reason.strip()
    return reason


SALES: Rows = [["Region", "Units", "Share"], ["North", 1200, 0.6], ["South", 800, 0.4]]


# --- read as the XLSX twin reads ----------------------------------------------------------------


def test_each_sheet_is_a_heading_over_its_table_with_the_first_row_as_header() -> None:
    doc = read(Sheet("Sales", SALES), Sheet("Staff", [["Name", "Role"], ["Ada", "Engineer"]]))
    assert doc.text.startswith("Sales\n\nRegion | Units | Share\n")
    assert tables(doc) == [
        [("Region | Units | Share", True), ("North | 1200 | 0.6", False), ("South | 800 | 0.4", False)],
        [("Name | Role", True), ("Ada | Engineer", False)],
    ]
    assert doc.section_at(doc.text.index("Ada | Engineer")).heading_path == ("Staff",)


def test_numbers_dates_booleans_and_errors_read_as_the_workbook_shows_them() -> None:
    accounting = '_(* #,##0_);_(* \\(#,##0\\);_(* "—"_);_(@_)'
    shown = [
        ("Share", Formatted(0.125, "0.0%")),
        ("Growth", Formatted(-0.05, "0%")),
        ("Revenue", Formatted(1234.5, '"$"#,##0.00')),
        ("Euros", Formatted(1234.5, "#,##0.00 [$€-407]")),
        ("Headcount", Formatted(1234567, "#,##0")),
        ("Millions", Formatted(1234567, '0.0,,"M"')),
        ("Loss", Formatted(-337, accounting)),
        ("Nothing", Formatted(0, accounting)),
        ("Ratio", 0.1 + 0.2),
        ("Count", 13.0),
        ("Closed", datetime.datetime(2023, 6, 30)),
        ("Meeting", Formatted(datetime.datetime(2023, 6, 30, 14, 5), "yyyy-mm-dd hh:mm")),
        ("Alarm", Formatted(datetime.time(7, 30, 15), "hh:mm:ss")),
        ("Audited", True),
        ("Restated", False),
        ("Margin", Error(7, "#DIV/0!")),
        ("Target", Error(42, "#N/A")),
    ]
    doc = read(Sheet("Figures", [["What", "Value"], *([label, value] for label, value in shown)]))
    lines = doc.text.splitlines()
    for line in [
        "Share | 12.5%",
        "Growth | -5%",
        "Revenue | $1,234.50",
        "Euros | 1,234.50 €",
        "Headcount | 1,234,567",
        "Millions | 1.2M",
        "Loss | (337)",
        "Nothing | —",
        "Ratio | 0.3",
        "Count | 13",
        "Closed | 2023-06-30",
        "Meeting | 2023-06-30 14:05",
        "Alarm | 07:30:15",
        "Audited | TRUE",
        "Restated | FALSE",
        "Margin | #DIV/0!",
        "Target | #N/A",
    ]:
        assert line in lines, line


def test_a_1904_workbook_dates_from_1904() -> None:
    book = xlwt.Workbook()
    book.dates_1904 = True
    sheet = book.add_sheet("Dates")
    sheet.write(0, 0, "Closed")
    sheet.write(0, 1, datetime.datetime(2023, 6, 30), xlwt.easyxf(num_format_str="yyyy-mm-dd"))
    buffer = io.BytesIO()
    book.save(buffer)
    assert parse_xls(buffer.getvalue()).text == "Dates\n\nClosed | 2023-06-30"


def test_empty_rows_split_tables_and_title_lines_are_paragraphs() -> None:
    rows: Rows = [
        ["Revenue and results"],
        [],
        ["In millions of CHF", None, "2023"],
        [None, "Sales", "Profit"],
        [],
        ["Zone NA", 12553, 2713],
        ["Zone EUR", 9467, 1570],
        [],
        ["In millions of CHF", None, "2022"],
        [None, "Sales", "Profit"],
        ["Zone NA", 12138, 2284],
        [],
        ["Zone EUR", 9283, 1606],
        [],
        ["(a) Figures are unaudited."],
    ]
    doc = read(Sheet("Segments", rows))
    assert doc.text.startswith("Segments\n\nRevenue and results\n\nIn millions of CHF | | 2023\n")
    assert [len(table) for table in tables(doc)] == [4, 4]
    assert doc.text.endswith("\n\n(a) Figures are unaudited.")


def test_margins_are_dropped() -> None:
    doc = read(Sheet("Sales", [[], [], *([None, *row] for row in SALES)]))  # from B3
    assert doc.text == "Sales\n\nRegion | Units | Share\nNorth | 1200 | 0.6\nSouth | 800 | 0.4"


def test_a_hidden_sheet_is_not_read_and_is_named() -> None:
    doc = read(
        Sheet("Sales", SALES), Sheet("Lookup", [["Code", "Secret"], ["X", "hidden text"]], hidden=True)
    )
    assert "hidden text" not in doc.text and "Lookup" not in doc.text
    assert doc.warnings == ("sheet 'Lookup' is hidden and was not read",)


def test_hidden_rows_and_columns_are_not_read_and_the_warning_counts_them() -> None:
    rows: Rows = [
        ["Region", "Units", "Margin", "Share"],
        ["North", 1200, "secret", 0.6],
        ["Test region", 1, "secret", 0],
        ["South", 800, "secret", 0.4],
        ["Total", 2000, "secret", 1],
    ]
    doc = read(Sheet("Sales", rows, hidden_rows=(2,), hidden_columns=(2, 6)))  # G: hidden, empty
    assert tables(doc) == [
        [
            ("Region | Units | Share", True),
            ("North | 1200 | 0.6", False),
            ("South | 800 | 0.4", False),
            ("Total | 2000 | 1", False),
        ]
    ]
    assert doc.warnings == ("sheet 'Sales': 1 hidden row and 1 hidden column not read",)


def test_a_merged_header_names_every_column_it_spans() -> None:
    rows: Rows = [
        ["Region", "2023", None, "2024", None],
        [None, "Q1", "Q2", "Q1", None],
        ["North", 10, 12, 11],
    ]
    doc = read(Sheet("Sales", rows, merges=[(0, 1, 0, 0), (0, 0, 1, 2), (0, 0, 3, 4)]))
    assert tables(doc) == [
        [
            ("Region | 2023 | 2023 | 2024", True),
            ("Region | Q1 | Q2 | Q1", True),
            ("North | 10 | 12 | 11", False),
        ]
    ]


def test_a_merged_row_label_labels_its_rows_and_a_merged_title_stays_one_line() -> None:
    rows: Rows = [
        ["Household costs"],
        ["Category", "Item", "Cost"],
        ["Food", "Bread", 3],
        [None, "Milk", 2],
        [],
        [None, "Eggs", 4],
        ["Rent", "Flat", 900],
        [],
        ["Prices in CHF"],
    ]
    doc = read(Sheet("Costs", rows, merges=[(0, 0, 0, 2), (2, 5, 0, 0), (8, 8, 0, 2)]))
    assert doc.text.split("\n\n") == [
        "Costs",
        "Household costs",
        "Category | Item | Cost\nFood | Bread | 3\nFood | Milk | 2",
        "Food | Eggs | 4\nRent | Flat | 900",
        "Prices in CHF",
    ]


def test_merged_ranges_past_the_limit_fill_only_their_first_cell(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sheets, "MAX_MERGED", 1)
    rows: Rows = [["Region", "2023", None], ["North", 1, 2], [None, 3, 4]]
    doc = read(Sheet("Sales", rows, merges=[(0, 0, 1, 2), (1, 2, 0, 0)]))
    assert "\n| 3 | 4" in doc.text  # not "North": the second range is past the limit
    assert doc.warnings == (
        "sheet 'Sales': 2 merged ranges, more than the server's limit of 1 per sheet: "
        "those past it fill only their first cell",
    )


def test_the_cell_limit_cuts_a_sheet_and_names_the_sheets_after_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sheets, "MAX_CELLS", 13)  # the 9 of Sales, then 4 of Staff's
    staff = [["Name", "Role"], ["Ada", "Engineer"], ["Zed", "Spy"], ["Bo", "Chef"], ["Cy", "Cook"]]
    doc = read(
        Sheet("Sales", SALES),
        Sheet("Staff", staff, hidden_rows=(2,)),
        Sheet("Empty", []),
        Sheet("Later", [["Never", "read"], ["Nor", "this"]]),
    )
    assert "Ada | Engineer" in doc.text and "Bo" not in doc.text and "Never" not in doc.text
    assert doc.warnings == (
        "sheet 'Staff': 1 hidden row not read; read to row 3; 2 more rows with data were left out "
        "(the server's limit of 13 cells per workbook)",
        "sheet 'Later' was not read: the server's limit of 13 cells per workbook was reached before it "
        "(2 rows with data left out)",
    )


def test_a_workbook_of_empty_sheets_has_no_text() -> None:
    assert refused(xls_bytes(Sheet("Empty", []))) == "no text was read: the workbook's sheets are empty"
    only_hidden = xls_bytes(Sheet("Empty", []), Sheet("Lookup", [["A", "B"]], hidden=True))
    assert refused(only_hidden) == (
        "no text was read: the sheets read are empty (sheet 'Lookup' is hidden and was not read)"
    )


def test_a_stray_formatted_cell_far_away_costs_nothing() -> None:
    book = xlwt.Workbook()
    sheet = book.add_sheet("Sales")
    for r, row in enumerate(SALES):
        for c, value in enumerate(row):
            sheet.write(r, c, value)
    shaded = xlwt.easyxf("pattern: pattern solid, fore_colour yellow")
    for r in range(3, 2000):
        sheet.row(r).set_cell_mulblanks(0, 255, shaded)  # formatted, never filled
    sheet.write(65535, 255, "Far corner")
    buffer = io.BytesIO()
    book.save(buffer)
    doc = parse_xls(buffer.getvalue())
    assert doc.text.startswith("Sales\n\nRegion | Units | Share\nNorth | 1200 | 0.6\nSouth | 800 | 0.4\n\n")
    assert doc.text.endswith("\n\nFar corner") and not doc.warnings


# --- what only XLS has ----------------------------------------------------------------------------


def test_a_damaged_sheet_is_named_and_the_others_are_read() -> None:
    data = bytearray(xls_bytes(Sheet("Sales", SALES), Sheet("Staff", [["Name"], ["Ada"]])))
    worksheet_bof = b"\x09\x08\x10\x00\x00\x06\x10\x00"  # BOF: BIFF8, a worksheet's stream
    second = data.index(worksheet_bof, data.index(worksheet_bof) + 1)
    data[second + 6 : second + 8] = b"\x00\x01"  # not a worksheet's stream type any more
    doc = parse_xls(bytes(data))
    assert doc.text == "Sales\n\nRegion | Units | Share\nNorth | 1200 | 0.6\nSouth | 800 | 0.4"
    (warning,) = doc.warnings
    assert warning.startswith("sheet 'Staff': could not be read (XLRDError: ")


def test_a_truncated_or_damaged_file_is_refused_with_a_reason() -> None:
    data = xls_bytes(Sheet("Sales", [*SALES] * 200))
    for cut in (len(data) // 2, 600, 100):
        assert refused(data[:cut]).startswith("not a readable Excel 97-2003 workbook (")
    rng = random.Random(7)
    for _ in range(30):  # bytes flipped anywhere: read, or refused with a reason, never a crash
        damaged = bytearray(data)
        for _ in range(20):
            damaged[rng.randrange(len(damaged))] = rng.randrange(256)
        try:
            assert_valid(parse_xls(bytes(damaged)))
        except ParseError as error:
            assert str(error).strip()


def test_random_bytes_are_not_a_workbook() -> None:
    noise = random.Random(1).randbytes(4096)
    assert refused(noise) == "not a readable Excel 97-2003 workbook (the file does not start as one)"
    assert refused(xls.OLE2_MAGIC + noise).startswith("not a readable Excel 97-2003 workbook (")
    assert refused(b"").startswith("not a readable Excel 97-2003 workbook (")


def test_a_password_protected_workbook_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    # xlwt cannot encrypt; an encrypted file keeps its records' headers in the clear and says so
    # by a FILEPASS record (RC4: type 1, version 1.1, salt, verifier and its hash) after the BOF.
    bof = xlwt.Workbook._Workbook__bof_rec  # type: ignore[attr-defined]
    filepass = b"\x01\x00\x01\x00\x01\x00" + bytes(48)
    record = struct.pack("<HH", 0x2F, len(filepass)) + filepass
    monkeypatch.setattr(xlwt.Workbook, "_Workbook__bof_rec", lambda self: bof(self) + record)
    reason = refused(xls_bytes(Sheet("Sales", SALES)))
    assert reason.startswith("the workbook is password-protected: ")


def test_a_file_that_is_something_else_named_xls_says_what_it_is() -> None:
    assert (
        refused(xlsx_bytes(Sheet("Sales", SALES)))
        == "this is an XLSX workbook named .xls: rename it to .xlsx"
    )
    html = b'<html xmlns:x="urn:schemas-microsoft-com:office:excel"><body><table><tr><td>1</td></tr></table>'
    assert refused(html) == "this is an HTML page named .xls (a web export): rename it to .html"
    assert refused(b"\xef\xbb\xbf<table><tr><td>Region</td></tr></table>").startswith("this is an HTML page")
    spreadsheet_ml = (
        b'<?xml version="1.0"?>\n<?mso-application progid="Excel.Sheet"?>\n'
        b'<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"></Workbook>'
    )
    assert refused(spreadsheet_ml).startswith("this is an Excel 2003 XML spreadsheet named .xls")
    for text in (b"Region,Units\nNorth,1200\nSouth,800\n", "Région\tUnits\nNorth\t1200\n".encode()):
        assert refused(text) == (
            "this is a text file of comma- or tab-separated values named .xls: rename it to .csv"
        )


def test_a_file_over_the_size_bound_is_refused_before_it_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(xls, "MAX_BYTES", 2**20)
    assert refused(xls_bytes(Sheet("Sales", SALES)) + bytes(2**20)) == (
        "XLS is larger than the server's limit of 1 MiB for Excel 97-2003 workbooks: save it as .xlsx"
    )


def test_the_title_property_is_the_title() -> None:
    # Excel 97-2003 keeps it in the OLE2 file's document properties (a file LibreOffice wrote).
    data = (Path(__file__).parent / "fixtures" / "xls" / "budget.xls").read_bytes()
    doc = parse_xls(data)
    assert (doc.title, doc.text) == ("Household budget 2024", "Costs\n\nItem | Cost\nRent | 1200")
