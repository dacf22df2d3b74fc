"""ODS (LibreOffice Calc): read as an XLSX is, through sheets.py. Small spreadsheets are built here
with zipfile (mimetype first and stored, as ODF asks); where the formats overlap, an ODS must read
as the XLSX of the same cells does. Then what only ODS has: repeats, values as displayed, and
its refusals."""

from __future__ import annotations

import io
import time
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from retrieval.document import ParsedDocument, ParseError
from retrieval.parsing import sheets
from retrieval.parsing.ods import parse_ods
from retrieval.parsing.odt import parse_odt
from retrieval.parsing.xlsx import parse_xlsx
from tests.retrieval.test_parsing_odt import ENCRYPTION_DATA, MANIFEST, NAMESPACES, make_odt
from tests.retrieval.test_parsing_samples import assert_valid
from tests.retrieval.test_parsing_xls import Sheet, tables, xlsx_bytes
from tests.retrieval.zip_builder import rewritten

ODS_TYPE = "application/vnd.oasis.opendocument.spreadsheet"
HIDDEN_STYLE = (
    '<style:style style:name="ta2" style:family="table">'
    '<style:table-properties table:display="false"/></style:style>'
)
EMPTY_TAIL = (
    '<table:table-row table:number-rows-repeated="1048000">'
    '<table:table-cell table:number-columns-repeated="16000"/></table:table-row>'
)


def cell(text: str | None = None, attributes: str = "", repeat: int = 1) -> str:
    """A table:table-cell showing ``text`` (a string cell; None: empty)."""
    repeated = f' table:number-columns-repeated="{repeat}"' if repeat > 1 else ""
    if text is None:
        return f"<table:table-cell{repeated}{attributes}/>"
    return (
        f'<table:table-cell office:value-type="string"{repeated}{attributes}>'
        f"<text:p>{escape(text)}</text:p></table:table-cell>"
    )


def figure(shown: str, value: float, kind: str = "float") -> str:
    """A number cell: its value, and the text Calc displays for it."""
    return (
        f'<table:table-cell office:value-type="{kind}" office:value="{value}">'
        f"<text:p>{escape(shown)}</text:p></table:table-cell>"
    )


def row(*cells: str, attributes: str = "") -> str:
    return f"<table:table-row{attributes}>{''.join(cells)}</table:table-row>"


def texts(*values: str | None) -> str:
    return row(*(cell(value) for value in values))


def table(name: str, *rows: str, columns: str = "", style: str = "ta1") -> str:
    return (
        f'<table:table table:name="{escape(name)}" table:style-name="{style}">'
        f"{columns}{''.join(rows)}</table:table>"
    )


def content_xml(tables: str, styles: str = "") -> str:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {NAMESPACES} office:version="1.3">'
        f"<office:automatic-styles>{styles}</office:automatic-styles>"
        f"<office:body><office:spreadsheet>{tables}</office:spreadsheet></office:body>"
        "</office:document-content>"
    )


def make_ods(
    *tables: str,
    styles: str = "",
    mimetype: str | None = ODS_TYPE,
    encrypted: bool = False,
    title: str | None = None,
    objects: dict[str, str] | None = None,
) -> bytes:
    """An ODS of `tables`; `objects` are embedded objects' content.xml by their folder
    ("Object 1")."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        if mimetype is not None:
            archive.writestr(zipfile.ZipInfo("mimetype"), mimetype)  # first and stored
        archive.writestr("content.xml", content_xml("".join(tables), styles))
        for folder, body in (objects or {}).items():
            archive.writestr(f"{folder}/content.xml", body)
        dc_title = f"<dc:title>{title}</dc:title>" if title is not None else "<dc:title/>"
        archive.writestr(
            "meta.xml",
            f'<?xml version="1.0"?><office:document-meta {NAMESPACES}><office:meta>{dc_title}'
            "</office:meta></office:document-meta>",
        )
        archive.writestr(
            "META-INF/manifest.xml",
            MANIFEST.format(media_type=mimetype or ODS_TYPE, encryption=ENCRYPTION_DATA if encrypted else ""),
        )
    return buffer.getvalue()


def read(data: bytes) -> ParsedDocument:
    doc = parse_ods(data)
    assert_valid(doc)
    assert doc.format == "ods"
    for table_ in doc.tables:
        for table_row in table_.rows:  # each row one line of the text, within a section
            line = doc.text[table_row.start : table_row.end]
            assert line.strip() and "\n" not in line
    return doc


def refused(data: bytes) -> str:
    with pytest.raises(ParseError) as caught:
        parse_ods(data)
    reason = str(caught.value)
    assert reason and reason == reason.strip()
    return reason


def headings(doc: ParsedDocument) -> list[tuple[str, ...]]:
    return [section.heading_path for section in doc.sections]


FIGURES = make_ods(
    table(
        "Results",
        texts("Quarterly results"),
        texts("Region", "Margin", "Sales"),
        row(cell("North"), figure("12.5%", 0.125, "percentage"), figure("$1,200.00", 1200, "currency")),
        row(cell("South"), figure("(337)", -337), figure("30/06/2023", 0, "date"), cell("note ")),
        EMPTY_TAIL,
    ),
    table("Costs", texts("Item", "Cost"), row(cell("Rent"), figure("1,000", 1000)), EMPTY_TAIL),
    title="Results 2023",
)


def test_two_sheets_read_as_calc_shows_them_and_as_the_same_xlsx() -> None:
    doc = read(FIGURES)
    assert tables(doc) == [
        [
            ("Region | Margin | Sales", True),
            ("North | 12.5% | $1,200.00", False),
            ("South | (337) | 30/06/2023 | note", False),
        ],
        [("Item | Cost", True), ("Rent | 1,000", False)],
    ]
    assert "Quarterly results" in doc.text
    assert doc.title == "Results 2023"
    assert not doc.warnings
    twin = parse_xlsx(
        xlsx_bytes(
            Sheet(
                "Results",
                [
                    ["Quarterly results"],
                    ["Region", "Margin", "Sales"],
                    ["North", "12.5%", "$1,200.00"],
                    ["South", "(337)", "30/06/2023", "note "],
                ],
            ),
            Sheet("Costs", [["Item", "Cost"], ["Rent", "1,000"]]),
        )
    )
    assert doc.text == twin.text
    assert tables(doc) == tables(twin)
    assert headings(doc) == headings(twin)


def test_row_groups_repeats_paragraphs_and_values_without_displayed_text() -> None:
    doc = read(
        make_ods(
            table(
                "S",
                "<table:table-header-rows>"
                + texts("Name", "A", "B", "C", "D")
                + "</table:table-header-rows>",
                "<table:table-row-group><table:table-rows>"
                + row(
                    '<table:table-cell office:value-type="string"><text:p>two</text:p>'
                    "<text:p>lines<text:line-break/>here</text:p></table:table-cell>",
                    '<table:table-cell office:value-type="float" office:value="3.5"/>',
                    '<table:table-cell office:value-type="percentage" office:value="0.125"/>',
                    '<table:table-cell office:value-type="date" office:date-value="2023-06-30T14:05:00"/>',
                    '<table:table-cell office:value-type="boolean" office:boolean-value="true"/>',
                    '<table:table-cell office:value-type="time" office:time-value="PT14H05M00S"/>',
                )
                + "</table:table-rows></table:table-row-group>",
                row(
                    cell("x", repeat=3),
                    cell(None, repeat=2),
                    cell("y"),
                    attributes=' table:number-rows-repeated="2"',
                ),
            )
        )
    )
    assert tables(doc) == [
        [
            ("Name | A | B | C | D", True),
            ("two lines here | 3.5 | 12.5% | 2023-06-30 14:05 | TRUE | 14:05", False),
            ("x | x | x | | | y", False),
            ("x | x | x | | | y", False),
        ]
    ]


def test_hidden_sheet_row_and_column_are_left_out_with_the_xlsx_warnings() -> None:
    hidden_columns = (
        '<table:table-column table:number-columns-repeated="2"/>'
        '<table:table-column table:visibility="collapse"/>'
        '<table:table-column table:number-columns-repeated="1021"/>'
    )
    data = make_ods(
        table("Lookup", texts("secret", "list"), style="ta2"),
        table(
            "Data",
            texts("Name", "Value", "Working"),
            texts("a", "1", "w1"),
            row(cell("b"), cell("2"), cell("w2"), attributes=' table:visibility="collapse"'),
            texts("c", "3", "w3"),
            row(attributes=' table:visibility="filter" table:number-rows-repeated="1048000"'),
            columns=hidden_columns,
        ),
        styles=HIDDEN_STYLE,
    )
    doc = read(data)
    assert "secret" not in doc.text and "w1" not in doc.text and "b |" not in doc.text
    assert tables(doc) == [[("Name | Value", True), ("a | 1", False), ("c | 3", False)]]
    assert list(doc.warnings) == [
        "sheet 'Lookup' is hidden and was not read",
        "sheet 'Data': 1 hidden row and 1 hidden column not read",
    ]
    twin = parse_xlsx(
        xlsx_bytes(
            Sheet("Lookup", [["secret", "list"]], hidden=True),
            Sheet(
                "Data",
                [["Name", "Value", "Working"], ["a", "1", "w1"], ["b", "2", "w2"], ["c", "3", "w3"]],
                hidden_rows=[2],
                hidden_columns=[2],
            ),
        )
    )
    assert (doc.text, doc.warnings) == (twin.text, twin.warnings)


def test_a_merged_header_fills_both_columns_and_covered_cells_are_empty() -> None:
    doc = read(
        make_ods(
            table(
                "Sales",
                row(
                    cell("Region"),
                    cell("2023", ' table:number-columns-spanned="2" table:number-rows-spanned="1"'),
                    "<table:covered-table-cell><text:p>kept hidden</text:p></table:covered-table-cell>",
                ),
                texts(None, "Q1", "Q2"),
                row(cell("North"), figure("10", 10), figure("12", 12)),
            )
        )
    )
    assert "kept hidden" not in doc.text
    assert tables(doc) == [[("Region | 2023 | 2023", True), ("| Q1 | Q2", True), ("North | 10 | 12", False)]]
    twin = parse_xlsx(
        xlsx_bytes(
            Sheet(
                "Sales",
                [["Region", "2023", None], [None, "Q1", "Q2"], ["North", "10", "12"]],
                merges=[(0, 0, 1, 2)],
            )
        )
    )
    assert doc.text == twin.text


def test_annotations_are_left_out() -> None:
    annotated = (
        '<table:table-cell office:value-type="string"><office:annotation><dc:creator>Ann</dc:creator>'
        "<text:p>check this figure</text:p></office:annotation><text:p>Total</text:p></table:table-cell>"
    )
    doc = read(make_ods(table("S", row(annotated, figure("42", 42)), texts("Other", "7"))))
    assert "check this" not in doc.text and "Ann" not in doc.text
    assert tables(doc)[0][0] == ("Total | 42", True)


def test_the_empty_tail_calc_writes_costs_nothing() -> None:
    one_sheet = table(
        "S",
        texts("Name", "Value"),
        texts("a", "1"),
        EMPTY_TAIL,
        row(attributes=' table:number-rows-repeated="1048576"'),
        columns='<table:table-column table:number-columns-repeated="16384"/>',
    )
    data = make_ods(*(one_sheet.replace('"S"', f'"S{i}"') for i in range(50)))
    started = time.perf_counter()
    doc = read(data)
    elapsed = time.perf_counter() - started
    assert len(doc.tables) == 50 and not doc.warnings
    assert elapsed < 2, f"{elapsed:.2f} s for 50 sheets of empty tail"


def test_empty_rows_between_values_cost_one_slot_however_many() -> None:
    # 25 sheets, each a million empty rows (one repeated row in the file) above its value: a
    # 1.4 KB file. Walked row by row they were 25 million slots, past the scanned limit.
    gap = row(attributes=' table:number-rows-repeated="1048000"')
    data = make_ods(*(table(f"S{i}", gap, texts(f"value {i}")) for i in range(25)))
    doc = read(data)
    assert not doc.warnings
    assert [p for p in doc.text.split("\n\n") if p.startswith("value")] == [f"value {i}" for i in range(25)]
    # A run of hidden empty rows between two rows splits nothing; a shown one splits the table.
    hidden = row(attributes=' table:number-rows-repeated="5" table:visibility="collapse"')
    shown = row(attributes=' table:number-rows-repeated="5"')
    split = read(make_ods(table("T", texts("Item", "Cost"), texts("Rent", "1"), hidden, texts("Food", "2"))))
    assert split.text == "T\n\nItem | Cost\nRent | 1\nFood | 2"
    apart = read(make_ods(table("T", texts("Item", "Cost"), texts("Rent", "1"), shown, texts("Food", "2"))))
    assert apart.text == "T\n\nItem | Cost\nRent | 1\n\nFood | 2"  # as for one empty row


def test_repeats_of_values_count_against_the_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sheets, "MAX_CELLS", 1_000)
    repeated = row(cell("x"), cell("y", repeat=9), attributes=' table:number-rows-repeated="1000000"')
    data = make_ods(table("Big", texts("A", "B"), repeated), table("After", texts("more", "rows")))
    started = time.perf_counter()
    doc = read(data)
    assert time.perf_counter() - started < 2
    assert sum(len(t.rows) for t in doc.tables) == 100  # the header row and 99 rows of 10 cells
    assert list(doc.warnings) == [
        "sheet 'Big': read to row 100; 999,901 more rows with data were left out "
        "(the server's limit of 1,000 cells per workbook)",
        "sheet 'After' was not read: the server's limit of 1,000 cells per workbook was reached before it "
        "(1 row with data left out)",
    ]


def test_columns_past_calcs_largest_sheet_are_not_read() -> None:
    doc = read(make_ods(table("S", texts("a", "b"), row(cell("c"), cell("d", repeat=999_999_999)))))
    assert len(tables(doc)[0][1][0].split(" | ")) == 16_384


def test_another_opendocument_type_is_refused_naming_it() -> None:
    reason = refused(
        make_ods(table("S", texts("a", "b")), mimetype="application/vnd.oasis.opendocument.text")
    )
    assert reason == (
        "not an ODS: the file is an OpenDocument text (application/vnd.oasis.opendocument.text), "
        "not a spreadsheet"
    )
    assert "presentation" in refused(make_ods(mimetype="application/vnd.oasis.opendocument.presentation"))


def test_password_protected_is_refused() -> None:
    assert "password-protected" in refused(make_ods(table("S", texts("a", "b")), encrypted=True))


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"Name,Value\na,1\n", "not a readable ZIP archive"),
        (rewritten(FIGURES, "content.xml", lambda body: b"\x00\x01 not xml"), "not readable XML"),
        (
            rewritten(
                FIGURES, "content.xml", lambda body: body.replace(b"office:spreadsheet", b"office:text")
            ),
            "no spreadsheet body",
        ),
        (make_ods(table("S", texts(None)), table("T")), "no text was read: the workbook's sheets are empty"),
    ],
    ids=["not a zip", "not xml", "no spreadsheet", "empty"],
)
def test_unreadable_files_are_refused_with_a_reason(data: bytes, expected: str) -> None:
    assert expected in refused(data)


def test_damaged_content_keeps_what_was_read_with_a_warning() -> None:
    damaged = rewritten(FIGURES, "content.xml", lambda body: body[: body.index(b'table:name="Costs"')])
    doc = read(damaged)
    assert "North | 12.5% | $1,200.00" in doc.text and "Rent" not in doc.text
    assert doc.warnings[-1].startswith("content.xml is damaged (line ")


FIXTURES = Path(__file__).parent / "fixtures" / "ods"
CHART_NAMESPACES = NAMESPACES + ' xmlns:chart="urn:oasis:names:tc:opendocument:xmlns:chart:1.0"'


def chart_object(
    chart_class: str, title: str, header: list[str], rows: list[list[str]], axes: str = ""
) -> str:
    """An embedded chart object's content.xml, with its local table."""

    def cells(values: list[str]) -> str:
        return "".join(f"<table:table-cell><text:p>{escape(v)}</text:p></table:table-cell>" for v in values)

    body = "".join(f"<table:table-row>{cells(r)}</table:table-row>" for r in rows)
    return (
        f'<?xml version="1.0"?><office:document-content {CHART_NAMESPACES}><office:body><office:chart>'
        f'<chart:chart chart:class="{chart_class}">'
        f"<chart:title><text:p>{escape(title)}</text:p></chart:title>"
        f'<chart:plot-area>{axes}</chart:plot-area><table:table table:name="local-table">'
        f"<table:table-header-rows><table:table-row>{cells(header)}</table:table-row></table:table-header-rows>"
        f"<table:table-rows>{body}</table:table-rows></table:table></chart:chart>"
        "</office:chart></office:body></office:document-content>"
    )


def framed(reference: str) -> str:
    """A cell holding an embedded object, as Calc anchors a chart to a cell."""
    return (
        f'<table:table-cell><draw:frame draw:name="Chart"><draw:object xlink:href="{reference}"/>'
        "</draw:frame></table:table-cell>"
    )


def test_a_chart_reads_as_the_xlsx_libreoffice_writes_of_it() -> None:
    doc = read((FIXTURES / "sales.ods").read_bytes())
    twin = parse_xlsx((FIXTURES / "sales-from-ods.xlsx").read_bytes())
    assert (doc.text, doc.tables) == (twin.text, twin.tables)
    assert doc.text.endswith(
        "Sales by region\n\nSales by region | Q1 | Q2 | Q3\nNorth | 120 | 150 | 170\nSouth | 80 | 95 | 110"
    )


def test_scatter_charts_unreadable_objects_and_other_objects() -> None:
    scatter = chart_object(
        "chart:scatter",
        "Growth",
        ["", "Age", "Height"],
        [["", "1", "75"], ["", "2", "86"]],
        axes=(
            '<chart:axis chart:dimension="x">'
            "<chart:title><text:p>Age (years)</text:p></chart:title></chart:axis>"
        ),
    )
    formula = (
        f'<?xml version="1.0"?><office:document-content {CHART_NAMESPACES}><office:body>'
        "<office:formula/></office:body></office:document-content>"
    )
    data = make_ods(
        table(
            "Kids",
            row(cell("Age"), cell("Height")),
            row(figure("1", 1), figure("75", 75), framed("./Object 1")),
        ),
        table("Notes", row(cell("Seen"), framed("./Object 2"), framed("./Object 3"))),
        objects={"Object 1": scatter, "Object 2": formula},
    )
    doc = read(data)
    assert "Growth\n\nGrowth | Age (years) | y\nHeight | 1 | 75\nHeight | 2 | 86" in doc.text
    assert doc.warnings == (
        "sheet 'Notes': a chart could not be read (its Object 3/content.xml is missing from the archive)",
    )


def test_a_chart_in_a_text_document_follows_its_paragraph() -> None:
    # ODT keeps charts as ODS does: an embedded object, anchored here in a paragraph.
    pie = chart_object("chart:circle", "Time spent", ["", "Share"], [["Reading", "60%"], ["Writing", "40%"]])
    body = (
        "<text:p>Where the week went."
        '<draw:frame draw:name="Chart"><draw:object xlink:href="./Object 1"/></draw:frame></text:p>'
        "<text:p>Next week: more writing.</text:p>"
    )
    doc = parse_odt(make_odt(body, extra={"Object 1/content.xml": pie.encode()}))
    assert doc.text == (
        "Where the week went.\n\nTime spent\n\nTime spent | Reading | Writing\nShare | 60% | 40%"
        "\n\nNext week: more writing."
    )
    assert [doc.text[r.start : r.end] for r in doc.tables[0].rows if r.header] == [
        "Time spent | Reading | Writing"
    ]
