"""XLSX: each visible sheet a heading and a table, cells as the workbook shows them, charts and
chart sheets, the server's cell bounds, and refusals with a reason. Small workbooks are built
here with openpyxl; three real ones come from the shared doc-samples (one with two charts and
docling's groundtruth)."""

from __future__ import annotations

import datetime
import io
import re
import time
import types
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import openpyxl
import pytest
from openpyxl.chart import BarChart, Reference, ScatterChart, Series
from openpyxl.chart._chart import ChartBase
from openpyxl.chart.data_source import NumData, NumVal, StrData, StrRef, StrVal
from openpyxl.worksheet.worksheet import Worksheet

from retrieval.document import ParsedDocument
from retrieval.parsing import detect_format, parse_document, sheets
from retrieval.parsing.number_formats import format_moment, format_number
from tests.conftest import SHARED_DATA, needs_shared_data
from tests.retrieval.conftest import refusal
from tests.retrieval.zip_builder import billion_laughs, rewritten

DOC_SAMPLES = SHARED_DATA / "doc-samples"
EXAMPLE_DOCS = DOC_SAMPLES / "unstructured" / "example-docs"
DOCLING_XLSX = DOC_SAMPLES / "docling" / "tests" / "data" / "xlsx"

Rows = Sequence[Sequence[Any]]


def blank_workbook(title: str) -> tuple[openpyxl.Workbook, Worksheet]:
    """A workbook of one empty sheet named ``title``, and the sheet."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert isinstance(sheet, Worksheet)
    sheet.title = title
    return workbook, sheet


def saved(workbook: openpyxl.Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def make_workbook(*sheets: tuple[str, Rows], title: str | None = None, hidden: tuple[str, ...] = ()) -> bytes:
    """A workbook of ``sheets`` (name, rows; None leaves a cell empty), rows from A1."""
    workbook = openpyxl.Workbook()
    for default in workbook.worksheets:
        workbook.remove(default)
    for name, rows in sheets:
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(row)
        if name in hidden:
            sheet.sheet_state = "hidden"
    if title is not None:
        workbook.properties.title = title
    return saved(workbook)


def parse(data: bytes, name: str = "book.xlsx") -> ParsedDocument:
    return parse_document(data, name)


def refused(data: bytes, name: str = "book.xlsx") -> str:
    return refusal(data, name)


def tables(doc: ParsedDocument) -> list[list[tuple[str, bool]]]:
    return [[(doc.text[row.start : row.end], row.header) for row in table.rows] for table in doc.tables]


SALES: Rows = [["Region", "Units", "Share"], ["North", 1200, 0.6], ["South", 800, 0.4]]


# --- workbooks built here -----------------------------------------------------------------------


def test_xlsx_is_a_supported_format() -> None:
    data = make_workbook(("Sales", SALES))
    assert detect_format("Book.XLSX", data) == "xlsx"
    assert parse(data).format == "xlsx"


def test_each_sheet_is_a_heading_over_its_table_with_the_first_row_as_header() -> None:
    doc = parse(make_workbook(("Sales", SALES), ("Staff", [["Name", "Role"], ["Ada", "Engineer"]])))
    assert doc.text.startswith("Sales\n\nRegion | Units | Share\n")
    assert tables(doc) == [
        [("Region | Units | Share", True), ("North | 1200 | 0.6", False), ("South | 800 | 0.4", False)],
        [("Name | Role", True), ("Ada | Engineer", False)],
    ]
    assert doc.section_at(doc.text.index("Ada | Engineer")).heading_path == ("Staff",)
    assert doc.section_at(doc.text.index("North")).page is None  # sheets are not pages


def test_numbers_and_dates_read_as_the_workbook_shows_them() -> None:
    workbook, sheet = blank_workbook("Figures")
    sheet.append(["What", "Value"])
    shown = [
        ("Share", 0.125, "0.0%"),
        ("Revenue", 1234.5, '"$"#,##0.00'),
        ("Loss", -337, '_(* #,##0_);_(* \\(#,##0\\);_(* "—"_);_(@_)'),
        ("Nothing", 0, '_(* #,##0_);_(* \\(#,##0\\);_(* "—"_);_(@_)'),
        ("Ratio", 0.1 + 0.2, "General"),
        ("Count", 13.0, "General"),
        ("Closed", datetime.datetime(2023, 6, 30), "yyyy-mm-dd"),
        ("Meeting", datetime.datetime(2023, 6, 30, 14, 5), "yyyy-mm-dd hh:mm"),
        ("Audited", True, "General"),
    ]
    for label, value, number_format in shown:
        sheet.append([label, value])
        sheet.cell(sheet.max_row, 2).number_format = number_format
    text = parse(saved(workbook)).text
    for line in [
        "Share | 12.5%",
        "Revenue | $1,234.50",
        "Loss | (337)",
        "Nothing | —",
        "Ratio | 0.3",
        "Count | 13",
        "Closed | 2023-06-30",
        "Meeting | 2023-06-30 14:05",
        "Audited | TRUE",
    ]:
        assert line in text.splitlines(), line


def test_number_formats_fall_back_to_the_number_itself() -> None:
    assert format_number(1234567, '0.0,,"M"') == "1.2M"
    assert format_number(-0.05, "0%") == "-5%"
    assert format_number(1234.5, "#,##0.00 [$€-407]") == "1,234.50 €"
    assert format_number(2.5, "0") == "3"  # Excel rounds half away from zero
    # Not imitated: scientific notation, fractions, conditions, digits split by literals.
    assert format_number(1.5e-5, "0.00E+00") == "1.5e-05"
    assert format_number(1.25, "# ?/?") == "1.25"
    assert format_number(100, "[>=100]0;0") == "100"
    assert format_number(123456789, "000-00-0000") == "123456789"


def test_a_formula_reads_as_the_value_excel_cached() -> None:
    data = make_workbook(
        ("Totals", [["Item", "Cost"], ["Rent", 100], ["Food", 50], ["Total", "=SUM(B2:B3)"]])
    )
    data = rewritten(
        data, "xl/worksheets/sheet1.xml", lambda xml: xml.replace(b"</f><v></v>", b"</f><v>150</v>")
    )
    text = parse(data).text
    assert "Total | 150" in text and "SUM" not in text


def test_empty_margins_rows_and_styled_empty_cells_are_dropped() -> None:
    workbook, sheet = blank_workbook("Sales")
    for r, row in enumerate(SALES, start=3):
        for c, value in enumerate(row, start=2):  # from B3: an empty first row and column
            sheet.cell(r, c, value)
    sheet["Z40"].number_format = "0.00"  # formatted, never filled: not part of the table
    doc = parse(saved(workbook))
    assert doc.text == "Sales\n\nRegion | Units | Share\nNorth | 1200 | 0.6\nSouth | 800 | 0.4"


def test_title_lines_are_paragraphs_and_column_names_under_a_period_are_header_rows() -> None:
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
        ["Zone EUR", 9283, 1606],  # after an empty row: more of the 2022 table
        [],
        ["(a) Figures are unaudited."],
    ]
    doc = parse(make_workbook(("Segments", rows)))
    assert doc.text.startswith("Segments\n\nRevenue and results\n\nIn millions of CHF | | 2023\n")
    assert "\n\n(a) Figures are unaudited." in doc.text
    assert tables(doc) == [
        [
            ("In millions of CHF | | 2023", True),
            ("| Sales | Profit", True),
            ("Zone NA | 12553 | 2713", False),
            ("Zone EUR | 9467 | 1570", False),
        ],
        [
            ("In millions of CHF | | 2022", True),
            ("| Sales | Profit", True),
            ("Zone NA | 12138 | 2284", False),
            ("Zone EUR | 9283 | 1606", False),
        ],
    ]


def test_hidden_sheets_are_not_read_and_are_named() -> None:
    data = make_workbook(
        ("Sales", SALES), ("Lookup", [["Code", "Secret"], ["X", "hidden text"]]), hidden=("Lookup",)
    )
    doc = parse(data)
    assert "hidden text" not in doc.text and "Lookup" not in doc.text
    assert doc.warnings == ("sheet 'Lookup' is hidden and was not read",)


def sheet_of(title: str, rows: Rows) -> tuple[openpyxl.Workbook, Worksheet]:
    """A workbook of one sheet named ``title`` holding ``rows`` from A1, and the sheet."""
    workbook, sheet = blank_workbook(title)
    for row in rows:
        sheet.append(list(row))
    return workbook, sheet


def test_a_merged_column_header_names_every_column_it_spans() -> None:
    workbook, sheet = sheet_of(
        "Sales", [["Region", "2023", None, "2024"], [None, "Q1", "Q2", "Q1"], ["North", 10, 12, 11]]
    )
    for merged in ["A1:A2", "B1:C1", "D1:E1"]:  # "2024" over D and a column E with no figures
        sheet.merge_cells(merged)
    assert tables(parse(saved(workbook))) == [
        [
            ("Region | 2023 | 2023 | 2024", True),  # no further than the sheet's last value
            ("Region | Q1 | Q2 | Q1", True),  # a label merged down the header rows: still the header
            ("North | 10 | 12 | 11", False),
        ]
    ]
    # The one text of its row, but over columns of figures right of the first: still a header.
    workbook, sheet = sheet_of("Sales", [[None, "2023"], [None, "Q1", "Q2"], ["North", 10, 12]])
    sheet.merge_cells("B1:C1")
    assert tables(parse(saved(workbook)))[0][:2] == [("| 2023 | 2023", True), ("| Q1 | Q2", True)]


def test_a_merged_row_label_labels_every_row_it_spans_and_a_merged_title_stays_one_line() -> None:
    workbook, sheet = sheet_of(
        "Costs",
        [
            ["Household costs"],
            ["Category", "Item", "Cost"],
            ["Food", "Bread", 3],
            [None, "Milk", 2],
            [],  # inside the merged label, but no text of its own: still an empty row
            [None, "Eggs", 4],
            ["Rent", "Flat", 900],
            [],
            ["Prices in CHF"],
        ],
    )
    for merged in ["A1:C1", "A3:A6", "A9:C9"]:
        sheet.merge_cells(merged)
    doc = parse(saved(workbook))
    assert doc.text.split("\n\n") == [
        "Costs",
        "Household costs",
        "Category | Item | Cost\nFood | Bread | 3\nFood | Milk | 2",
        "Food | Eggs | 4\nRent | Flat | 900",
        "Prices in CHF",
    ]
    assert not doc.warnings


def test_hidden_rows_and_columns_are_not_read_and_the_warning_counts_them() -> None:
    workbook, sheet = sheet_of(
        "Sales",
        [
            ["Region", "Units", "Margin", "Share"],
            ["North", 1200, "secret", 0.6],
            ["Test region", 1, "secret", 0],
            ["South", 800, "secret", 0.4],
            ["East", 10, "secret", 0.1],  # East and West: a collapsed outline group
            ["West", 20, "secret", 0.2],
            ["Total", 2030, "secret", 1],
        ],
    )
    sheet.row_dimensions[3].hidden = True
    sheet.row_dimensions.group(5, 6, hidden=True)
    sheet.column_dimensions["C"].hidden = True
    sheet.column_dimensions.group("F", "H", hidden=True)  # hidden, but empty: not counted
    doc = parse(saved(workbook))
    assert tables(doc) == [
        [
            ("Region | Units | Share", True),
            ("North | 1200 | 0.6", False),
            ("South | 800 | 0.4", False),
            ("Total | 2030 | 1", False),
        ]
    ]
    assert doc.warnings == ("sheet 'Sales': 3 hidden rows and 1 hidden column not read",)


def test_a_hidden_row_is_not_counted_with_the_rows_a_limit_left_out(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sheets, "MAX_CELLS", 13)  # the 9 of Sales, then 4 of Staff's
    staff: Rows = [
        ["Name", "Role"],
        ["Ada", "Engineer"],
        ["Zed", "Spy"],
        ["Bo", "Chef"],
        ["Dee", "Spy"],
        ["Cy", "Cook"],
    ]
    workbook, _ = sheet_of("Sales", SALES)
    sheet = workbook.create_sheet("Staff")
    for row in staff:
        sheet.append(row)
    sheet.row_dimensions[3].hidden = True
    sheet.row_dimensions[5].hidden = True
    doc = parse(saved(workbook))
    assert "Ada | Engineer" in doc.text and "Spy" not in doc.text and "Bo" not in doc.text
    assert doc.warnings == (
        "sheet 'Staff': 1 hidden row not read; read to row 3; 2 more rows with data were left out "
        "(the server's limit of 13 cells per workbook)",
    )


def with_merges(data: bytes, *refs: str) -> bytes:
    """``data`` with the merged ranges ``refs`` written into its first sheet as they are: a range
    openpyxl would build cell by cell, such as a whole sheet."""
    merges = "".join(f'<mergeCell ref="{ref}"/>' for ref in refs)
    return rewritten(
        data,
        "xl/worksheets/sheet1.xml",
        lambda xml: xml.replace(b"</sheetData>", f"</sheetData><mergeCells>{merges}</mergeCells>".encode()),
    )


def test_a_merged_range_fills_no_further_than_the_rows_read_and_the_sheets_values(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    labels = make_workbook(("Notes", [["One", "Noted"], ["Two"], ["Three"]]))
    data = with_merges(labels, "B1:XFD1048576")  # 17 billion cells
    assert parse(data).text == "Notes\n\nOne | Noted\nTwo | Noted\nThree | Noted"
    everything = with_merges(make_workbook(("Notes", [["Everything"]])), "A1:XFD1048576")
    assert parse(everything).text == "Notes\n\nEverything"
    monkeypatch.setattr(sheets, "MAX_CELLS", 5)  # the cells a range fills count
    (warning,) = parse(data).warnings
    assert warning == (
        "sheet 'Notes': read to row 2; 1 more row with data was left out "
        "(the server's limit of 5 cells per workbook)"
    )


def test_merged_ranges_past_the_limit_fill_only_their_first_cell(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sheets, "MAX_MERGED", 1)
    data = with_merges(
        make_workbook(("Sales", [["Region", "2023", None], ["North", 1, 2], ["South", 3, 4]])),
        "B1:C1",
        "A2:A3",
    )
    doc = parse(data)
    assert tables(doc)[0][:2] == [("Region | 2023 | 2023", True), ("North | 1 | 2", False)]
    assert "\nSouth | 3 | 4" in doc.text  # not "North": A2:A3 is past the limit
    assert doc.warnings == (
        "sheet 'Sales': 2 merged ranges, more than the server's limit of 1 per sheet: "
        "those past it fill only their first cell",
    )


def test_a_workbook_past_the_cell_limit_is_cut_and_says_how_many_rows_were_left_out() -> None:
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("Readings")
    sheet.append(["Reading"])
    for value in range(sheets.MAX_CELLS + 100):
        sheet.append([value])
    workbook.create_sheet("Later").append(["Never", "read"])
    doc = parse(saved(workbook))
    assert doc.warnings == (
        "sheet 'Readings': read to row 200,000; 101 more rows with data were left out "
        "(the server's limit of 200,000 cells per workbook)",
        "sheet 'Later' was not read: the server's limit of 200,000 cells per workbook was reached "
        "before it (1 row with data left out)",
    )
    assert doc.text.endswith("\n199998") and "Never" not in doc.text


def test_the_cell_limit_counts_every_sheet(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sheets, "MAX_CELLS", 13)  # the 9 of Sales, then 4 of Staff's
    data = make_workbook(("Sales", SALES), ("Staff", [["Name", "Role"], ["Ada", "Engineer"], ["Bo", "Chef"]]))
    doc = parse(data)
    assert "Ada | Engineer" in doc.text and "Bo" not in doc.text
    assert doc.warnings == (
        "sheet 'Staff': read to row 2; 1 more row with data was left out "
        "(the server's limit of 13 cells per workbook)",
    )


def test_a_stray_cell_far_down_is_read_without_walking_a_padded_range(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    workbook, sheet = blank_workbook("Sparse")
    sheet["A1"] = "Top"
    sheet["B1"] = "Left"
    sheet["A1048576"] = "Bottom"
    sheet["XFD2"] = "Far right"
    data = saved(workbook)
    doc = parse(data)
    assert "Top | Left" in doc.text and "Bottom" in doc.text and "Far right" in doc.text
    monkeypatch.setattr(sheets, "MAX_SCANNED", 100_000)
    (warning,) = parse(data).warnings
    assert warning.startswith("sheet 'Sparse': read to row ")
    assert warning.endswith(
        "1 more row with data was left out "
        "(the server's limit of 100,000 cells scanned per workbook, empty ones included)"
    )


def test_a_damaged_sheet_keeps_what_was_read_and_the_others_are_read() -> None:
    readings: Rows = [["Day", "Reading"], *[[day, day * 2] for day in range(1, 3001)]]
    data = make_workbook(("Readings", readings), ("Staff", [["Name", "Role"], ["Ada", "Engineer"]]))
    data = rewritten(data, "xl/worksheets/sheet1.xml", lambda xml: xml[: xml.index(b'<row r="2900"')])
    doc = parse(data)
    assert "Day | Reading\n1 | 2\n2 | 4" in doc.text and "Ada | Engineer" in doc.text
    (warning,) = doc.warnings
    read = re.fullmatch(
        r"sheet 'Readings': read to row ([\d,]+); the rest could not be read \(ParseError: .+\)", warning
    )
    assert read, warning
    last = int(read.group(1).replace(",", ""))
    assert 100 < last < 2900 and f"\n{last - 1} | {2 * (last - 1)}\n\nStaff" in doc.text


def test_the_title_is_the_workbook_title_when_it_is_one() -> None:
    assert parse(make_workbook(("Sales", SALES), title="Regional sales plan")).title == "Regional sales plan"
    assert parse(make_workbook(("Sales", SALES), title="Book1")).title is None
    assert parse(make_workbook(("Sales", SALES))).title is None


def test_entities_in_shared_strings_are_not_expanded() -> None:
    data = make_workbook(("Sales", [["hello"]]))
    laughs = (
        f'<?xml version="1.0"?>{billion_laughs("lolz")}<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
        ' count="1" uniqueCount="1"><si><t>&lol9;</t></si></sst>'
    )
    data = rewritten(
        data,
        "xl/worksheets/sheet1.xml",
        lambda xml: re.sub(
            rb'<c r="A1" t="inlineStr"><is><t>hello</t></is></c>', b'<c r="A1" t="s"><v>0</v></c>', xml
        ),
    )
    data = rewritten(
        data,
        "[Content_Types].xml",
        lambda xml: xml.replace(
            b"</Types>",
            b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
            b'officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
        ),
    )
    data = rewritten(
        data,
        "xl/_rels/workbook.xml.rels",
        lambda xml: xml.replace(
            b"</Relationships>",
            b'<Relationship Id="rId99" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
            b'relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>',
        ),
    )
    buffer = io.BytesIO(data)
    with zipfile.ZipFile(buffer, "a") as archive:
        archive.writestr("xl/sharedStrings.xml", laughs)
    assert "limit on input amplification factor" in refused(buffer.getvalue())


def test_a_workbook_of_empty_sheets_has_no_text() -> None:
    assert refused(make_workbook(("Empty", []))) == "no text was read: the workbook's sheets are empty"
    only_hidden = make_workbook(("Empty", []), ("Lookup", [["A", "B"]]), hidden=("Lookup",))
    assert refused(only_hidden) == (
        "no text was read: the sheets read are empty (sheet 'Lookup' is hidden and was not read)"
    )


# --- charts --------------------------------------------------------------------------------------


def cache_values(chart: ChartBase, sheet: Worksheet) -> None:
    """Cache each series' name, categories and values in ``chart`` from ``sheet``'s cells, as
    Excel does when it saves (openpyxl writes only the references)."""

    def values(formula: str) -> list[Any]:
        cells = sheet[formula.split("!")[1].replace("$", "")]  # a range's rows, or one cell
        return [cell.value for row in (cells if isinstance(cells, tuple) else ((cells,),)) for cell in row]

    for series in chart.series:
        for source in (series.cat, series.val, series.xVal, series.yVal):
            if source is None or source.numRef is None:
                continue
            found = values(source.numRef.f)
            if all(isinstance(value, int | float) for value in found):
                points = [NumVal(idx=i, v=value) for i, value in enumerate(found)]
                source.numRef.numCache = NumData(pt=points, ptCount=len(points))
            else:  # text categories: Excel refers to them as strings
                labels = [StrVal(idx=i, v=str(value)) for i, value in enumerate(found)]
                source.strRef = StrRef(f=source.numRef.f, strCache=StrData(pt=labels, ptCount=len(labels)))
                source.numRef = None
        if series.tx is not None and series.tx.strRef is not None:
            name = StrVal(idx=0, v=values(series.tx.strRef.f)[0])
            series.tx.strRef.strCache = StrData(pt=[name], ptCount=1)


def bar_chart(sheet: Worksheet, title: str, columns: tuple[int, int], rows: int = 3) -> BarChart:
    """A bar chart of ``sheet``'s columns (first, last), row 1 their names, under ``title``, its
    categories column A."""
    chart = BarChart()
    chart.title = title
    chart.add_data(
        Reference(sheet, min_col=columns[0], max_col=columns[1], min_row=1, max_row=rows),
        titles_from_data=True,
    )
    chart.set_categories(Reference(sheet, min_col=1, min_row=2, max_row=rows))
    cache_values(chart, sheet)
    return chart


QUARTERS: Rows = [["Region", "Q1", "Q2"], ["North", 10, 12.5], ["South", 7, 9]]


def test_charts_follow_the_sheets_table_in_the_order_of_their_cells() -> None:
    workbook, sheet = sheet_of("Sales", QUARTERS)
    sheet.add_chart(bar_chart(sheet, "Second half", (3, 3)), "E20")  # added first, placed lower
    sheet.add_chart(bar_chart(sheet, "Units by quarter", (2, 3)), "E2")
    workbook.create_sheet("Notes").append(["Checked by Ada"])
    doc = parse(saved(workbook))
    text = doc.text
    assert text.index("South | 7 | 9") < text.index("Units by quarter") < text.index("Second half")
    assert text.index("Second half") < text.index("Notes\n\nChecked by Ada")
    assert "\n\nUnits by quarter\n\n" in text  # the title, a paragraph as on a slide
    assert tables(doc)[1:] == [
        [("Units by quarter | North | South", True), ("Q1 | 10 | 7", False), ("Q2 | 12.5 | 9", False)],
        [("Second half | North | South", True), ("Q2 | 12.5 | 9", False)],
    ]
    assert doc.section_at(text.index("Q1 | 10 | 7")).heading_path == ("Sales",)
    assert doc.warnings == ()


def test_a_scatter_chart_reads_a_row_per_point_under_its_axis_titles() -> None:
    workbook, sheet = sheet_of("Growth", [["Age", "Height"], [4, 101.5], [6, 115]])
    chart = ScatterChart()
    chart.title = "Height by age"
    chart.x_axis.title = "Age (years)"
    ages = Reference(sheet, min_col=1, min_row=2, max_row=3)
    chart.series.append(Series(Reference(sheet, min_col=2, min_row=2, max_row=3), ages, title="Girls"))
    cache_values(chart, sheet)
    sheet.add_chart(chart, "D2")
    assert tables(parse(saved(workbook)))[1] == [
        ("Height by age | Age (years) | y", True),
        ("Girls | 4 | 101.5", False),
        ("Girls | 6 | 115", False),
    ]


def test_a_chart_sheet_is_a_sheet_of_its_own_unless_hidden() -> None:
    workbook, sheet = sheet_of("Sales", QUARTERS)
    workbook.create_chartsheet("Chart view").add_chart(bar_chart(sheet, "Units", (2, 3)))
    hidden = workbook.create_chartsheet("Old chart")
    hidden.add_chart(bar_chart(sheet, "Left out", (2, 2)))
    hidden.sheet_state = "hidden"
    workbook.create_sheet("Notes").append(["Checked by Ada"])
    doc = parse(saved(workbook))
    assert [path for path in dict.fromkeys(s.heading_path for s in doc.sections)] == [
        ("Sales",),
        ("Chart view",),
        ("Notes",),
    ]
    assert "Chart view\n\nUnits\n\nUnits | North | South\nQ1 | 10 | 7" in doc.text
    assert "Left out" not in doc.text
    assert doc.warnings == ("sheet 'Old chart' is hidden and was not read",)


def test_a_chart_no_program_drew_reads_as_its_title() -> None:
    workbook, sheet = sheet_of("Sales", QUARTERS)
    chart = BarChart()
    chart.title = "Units"
    chart.add_data(Reference(sheet, min_col=2, max_col=3, min_row=1, max_row=3), titles_from_data=True)
    sheet.add_chart(chart, "E2")  # as openpyxl writes it: references, no cached values
    doc = parse(saved(workbook))
    assert doc.text.endswith("South | 7 | 9\n\nUnits") and len(doc.tables) == 1


def test_a_damaged_drawing_or_chart_costs_only_itself() -> None:
    workbook, sheet = sheet_of("Sales", QUARTERS)
    for cell, title in (("E2", "Truncated"), ("E20", "Bad index"), ("E40", "Kept")):
        sheet.add_chart(bar_chart(sheet, title, (2, 3)), cell)
    workbook.create_chartsheet("Chart view").add_chart(bar_chart(sheet, "Lost", (2, 3)))
    other = workbook.create_sheet("Other")
    other.append(["Still read"])
    other.add_chart(bar_chart(sheet, "Gone", (2, 3)), "B2")
    data = saved(workbook)
    data = rewritten(data, "xl/charts/chart1.xml", lambda xml: xml[:-40])
    data = rewritten(
        data, "xl/charts/chart2.xml", lambda xml: xml.replace(b'<pt idx="1">', b'<pt idx="one">')
    )
    # openpyxl numbers worksheets' drawings and charts first: Other's drawing2, the chart sheet's chart5.
    data = rewritten(data, "xl/drawings/drawing2.xml", lambda xml: xml[:-40])
    data = rewritten(data, "xl/charts/chart5.xml", lambda xml: xml[:-40])
    doc = parse(data)
    assert "Kept | North | South" in doc.text and "Still read" in doc.text
    assert not any(title in doc.text for title in ("Truncated", "Bad index", "Lost", "Gone"))
    sales, chart_view, other_sheet = doc.warnings
    assert re.fullmatch(
        r"sheet 'Sales': a chart could not be read \(xl/charts/chart1\.xml is not well-formed XML "
        r"\(line 1: .+\)\); "
        r"a chart could not be read \(ValueError: invalid literal for int\(\) with base 10: 'one'\)",
        sales,
    ), sales
    assert chart_view.startswith("sheet 'Chart view': a chart could not be read (xl/charts/chart5.xml is not")
    assert other_sheet.startswith(
        "sheet 'Other': its drawing could not be read, nor any chart in it (xl/drawings/drawing2.xml is not"
    )


def test_a_huge_chart_is_read_up_to_its_cap_with_a_warning() -> None:
    workbook, sheet = sheet_of("Load", [["Hour", "Load"], ["00", 1]])
    sheet.add_chart(bar_chart(sheet, "Load", (2, 2), rows=2), "D2")
    points = "".join(f'<pt idx="{i}"><v>{i}</v></pt>' for i in range(100_000))
    cache = f'<numCache><ptCount val="100000"/>{points}</numCache>'
    data = rewritten(
        saved(workbook),
        "xl/charts/chart1.xml",
        lambda xml: re.sub(rb"<numCache>.*?</numCache>", b"", xml, count=1),
    )
    data = rewritten(
        data,
        "xl/charts/chart1.xml",
        lambda xml: xml.replace(b"</f></numRef></val>", f"</f>{cache}</numRef></val>".encode()),
    )
    began = time.monotonic()
    doc = parse(data)
    assert time.monotonic() - began < 5
    assert doc.warnings == ("sheet 'Load': a chart has 100,000 data points; the first 1,000 were read",)
    header, load = [line for line, _ in tables(doc)[1]]
    # One category, 1,000 columns: the header's empty cells after "00" are dropped as trailing.
    assert header == "Load | 00" and load.startswith("Load | 0 | 1 | 2") and load.endswith("| 998 | 999")


def test_chart_points_count_against_the_workbooks_cell_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    workbook, sheet = sheet_of("Sales", QUARTERS)
    sheet.add_chart(bar_chart(sheet, "Units", (2, 3)), "E2")
    monkeypatch.setattr(sheets, "MAX_CELLS", 12)  # the table's 9 cells, then 3 of the chart's 4 points
    doc = parse(saved(workbook))
    assert tables(doc)[1] == [("Units | North | South", True), ("Q1 | 10 | 7", False)]
    assert doc.warnings == ("sheet 'Sales': a chart has 4 data points; the first 2 were read",)


# --- real workbooks ---------------------------------------------------------------------------


@needs_shared_data("doc-samples")
def test_a_financial_workbook_keeps_each_periods_column_names_with_its_figures() -> None:
    path = EXAMPLE_DOCS / "2023-half-year-analyses-by-segment.xlsx"
    doc = parse_document(path.read_bytes(), path.name)
    headings = [s.heading_path for s in doc.sections]
    assert headings[0] == ("OS-Rev.and results 30 06 2023",) and len(set(headings)) == 5
    paragraphs = doc.text.split("\n\n")
    assert "3.1 Operating segments" in paragraphs  # the sheet's title lines
    assert "(a) Inter-segment sales are not significant." in paragraphs  # its footnotes
    first, second = tables(doc)[:2]
    assert first[0] == ("In millions of CHF | | | | | | | January–June 2023", True)
    assert first[1][0].startswith("| Sales (a) | Underlying Trading operating profit (b) |") and first[1][1]
    assert ("Zone NA | 12,553 | 2,713 | 2,632 | (81) | (29) | (44) | (337)", False) in first
    assert second[0] == ("In millions of CHF | | | | | | | January–June 2022", True)
    assert ("Zone NA | 12,138 | 2,284 | 1,829 | (455) | (33) | (41) | (348)", False) in second
    assert "Unallocated items (e) | — | (1,164)" in doc.text  # a zero, as the accounting format shows it


@needs_shared_data("doc-samples")
def test_a_title_row_above_the_column_names() -> None:
    path = EXAMPLE_DOCS / "stanley-cups.xlsx"
    doc = parse_document(path.read_bytes(), path.name)
    first, second = tables(doc)
    assert first == [
        ("Team | Location | Stanley Cups", True),
        ("Blues | STL | 1", False),
        ("Flyers | PHI | 2", False),
        ("Maple Leafs | TOR | 13", False),
    ]
    assert ("Maple Leafs | TOR | 0", False) in second
    assert doc.section_at(doc.text.index("Maple Leafs | TOR | 0")).heading_path == ("Stanley Cups Since 67",)


@needs_shared_data("doc-samples")
def test_docling_sample_matches_its_groundtruth_tables() -> None:
    source = DOCLING_XLSX / "sources" / "xlsx_01.xlsx"
    doc = parse_document(source.read_bytes(), source.name)
    assert [path[0] for path in dict.fromkeys(s.heading_path for s in doc.sections)] == [
        "Sheet1",
        "Sheet2",
        "Sheet3",
    ]
    assert doc.warnings == ("sheet 'Sheet4' is hidden and was not read",)  # docling leaves it out too
    # docling cuts Sheet2 and Sheet3 into their side-by-side tables; we read the used range, so
    # each of its rows is the start or the end of one of ours, or one of ours whole. Sheet3's
    # merged cells docling repeats in every cell they span, as we do.
    groundtruth = (DOCLING_XLSX / "groundtruth" / "xlsx_01.xlsx.md").read_text()
    sheets = re.split(r"^## ", groundtruth, flags=re.MULTILINE)
    ours = [line for table in tables(doc) for line, _ in table]
    compared = 0
    for sheet in sheets[1:]:
        for block in sheet.split("\n\n"):
            lines = block.strip().splitlines()
            if len(lines) < 2 or not lines[1].startswith("| - "):
                continue  # not a table, or docling's data of a chart ("|----|")
            for line in [lines[0], *lines[2:]]:
                row = " | ".join(cell.strip() for cell in line.strip().strip("|").split("|"))
                assert any(
                    our == row or our.startswith(row + " | ") or our.endswith("| " + row) for our in ours
                ), row
                compared += 1
    assert compared == 40  # Sheet1: 7 rows; Sheet2: three tables of 9, 5 and 5; Sheet3: two of 7


@needs_shared_data("doc-samples")
def test_docling_sample_charts_read_their_cached_values() -> None:
    source = DOCLING_XLSX / "sources" / "xlsx_01.xlsx"
    doc = parse_document(source.read_bytes(), source.name)
    # Sheet2's two charts, in the order of their top-left cells (J5, then E22), after its tables.
    line, scatter = [table for table in tables(doc) if table[0][0].startswith("'")]
    assert line == [("'col-3' | 1 | 2 | 3 | 4", True), ("col-3 | 3 | 6 | 9 | 12", False)]
    assert scatter[0] == ("'col-2', 'col-3', 'col-4' by 'col-1' | col-1 | y", True)
    text = doc.text
    assert text.index("\n\n'col-3'\n\n") < text.index("\n\n'col-2', 'col-3', 'col-4' by 'col-1'\n\n")
    assert doc.section_at(text.index("col-3 | 3 | 6 | 9 | 12")).heading_path == ("Sheet2",)
    # docling's data of a chart is a table ("|----|") of a row per category or x and a column per
    # series: the same values as ours, by (category or x, series), chart by chart.
    category, series = line[0][0].split(" | ")[1:], line[1][0].split(" | ")
    ours = [
        {(label, series[0]): value for label, value in zip(category, series[1:], strict=True)},
        {(row[1], row[0]): row[2] for row in (point.split(" | ") for point, _ in scatter[1:])},
    ]
    theirs = []
    groundtruth = (DOCLING_XLSX / "groundtruth" / "xlsx_01.xlsx.md").read_text()
    for block in groundtruth.split("\n\n"):
        lines = block.strip().splitlines()
        if len(lines) > 2 and lines[1].startswith("|----"):
            names = [cell.strip() for cell in lines[0].strip("|").split("|")][1:]
            cells = [[cell.strip() for cell in row.strip("|").split("|")] for row in lines[2:]]
            theirs.append(
                {(row[0], name): value for row in cells for name, value in zip(names, row[1:], strict=True)}
            )
    assert [len(chart) for chart in theirs] == [4, 24] and ours == theirs  # the scatter: 3 series × 8


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (datetime.date(2023, 6, 30), "2023-06-30"),
        (datetime.datetime(2023, 6, 30), "2023-06-30"),
        (datetime.datetime(2023, 6, 30, 14, 5), "2023-06-30 14:05"),
        (datetime.datetime(2023, 6, 30, 14, 5, 7), "2023-06-30 14:05:07"),
        # A serial number stores 14:01 as 14:00:59.99…: shown rounded, as Excel shows it.
        (datetime.datetime(2023, 6, 30, 14, 0, 59, 990000), "2023-06-30 14:01"),
        (datetime.time(14, 5), "14:05"),
        (datetime.time(23, 59, 59, 700000), "00:00"),
    ],
)
def test_dates_and_times_read_the_same_in_cells_and_charts(
    value: datetime.date | datetime.time, shown: str
) -> None:
    assert format_moment(value) == shown


@dataclass
class _Listed:
    """Rows handed over as listed (a sheets.SheetCells)."""

    rows: list[Any]

    def iter_rows(self) -> list[Any]:
        return self.rows


@pytest.mark.parametrize("limit", [5, 8, 100, 707, 708, 1_000])
def test_a_run_of_empty_rows_reads_as_its_rows_one_by_one(
    monkeypatch: pytest.MonkeyPatch, limit: int
) -> None:
    # What openpyxl hands over row by row, a reader may hand over as one EmptyRows run costing
    # the same slots: the same rows, block breaks and cut.
    monkeypatch.setattr(sheets, "MAX_SCANNED", limit)

    def value(text: str) -> list[Any]:
        return [types.SimpleNamespace(value=text, number_format=None)]

    one_by_one = [value("a"), *([[]] * 3), value("b"), *([[]] * 700), value("c")]
    as_runs = [value("a"), sheets.EmptyRows(3, 3), value("b"), sheets.EmptyRows(700, 700), value("c")]
    reads = []
    for rows in (one_by_one, as_runs):
        layout = sheets.Layout()
        read = sheets.read_sheet(_Listed(rows), layout, sheets.Budget(), ())
        reads.append((read.rows, read.stopped_at))
    assert reads[0] == reads[1]
