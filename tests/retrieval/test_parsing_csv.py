"""CSV: one table, the first row its header, the delimiter sniffed, the text decoded as the
other text formats are, the workbook's cell bound, and refusals with a reason. Small files
are written here; one real one comes from docling's samples with its groundtruth."""

from __future__ import annotations

import pytest

from retrieval.document import ParsedDocument
from retrieval.parsing import csv_table, detect_format, parse_document
from tests.conftest import SHARED_DATA, needs_shared_data
from tests.retrieval.conftest import refusal

DOCLING_CSV = SHARED_DATA / "doc-samples" / "docling" / "tests" / "data" / "csv"


def parse(data: bytes, name: str = "table.csv") -> ParsedDocument:
    return parse_document(data, name)


def refused(data: bytes, name: str = "table.csv") -> str:
    return refusal(data, name)


def rows(doc: ParsedDocument) -> list[tuple[str, bool]]:
    (table,) = doc.tables
    return [(doc.text[row.start : row.end], row.header) for row in table.rows]


def test_csv_is_a_supported_format() -> None:
    assert detect_format("Export.CSV", b"a,b\n1,2\n") == "csv"
    assert detect_format("export.tsv", b"a\tb\n1\t2\n") == "csv"
    assert parse(b"a,b\n1,2\n").format == "csv"


def test_one_table_with_the_first_row_as_header() -> None:
    doc = parse(b"Region,Units,Share\nNorth,1200,60%\nSouth,800,40%\n")
    assert rows(doc) == [
        ("Region | Units | Share", True),
        ("North | 1200 | 60%", False),
        ("South | 800 | 40%", False),
    ]
    assert doc.title is None and doc.sections[0].heading_path == () and doc.sections[0].page is None


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"Name;Price;Stock\nApple;1,50;12\nPear;2,25;0\n", "Apple | 1,50 | 12"),  # decimal commas
        (b"Name\tPrice\tStock\nApple\t1.50\t12\nPear\t2.25\t0\n", "Apple | 1.50 | 12"),
        (b"Name|Price|Stock\nApple|1.50|12\nPear|2.25|0\n", "Apple | 1.50 | 12"),
        (
            b'Name, Price, Stock\nApple, 1.50, 12\n"Pear, Conference", 2.25, 0\n',
            "Pear, Conference | 2.25 | 0",
        ),
    ],
    ids=["semicolons", "tabs", "pipes", "comma-space"],
)
def test_the_delimiter_is_sniffed(data: bytes, expected: str) -> None:
    doc = parse(data)
    assert expected in doc.text.splitlines()
    assert rows(doc)[0] == ("Name | Price | Stock", True)


def test_quoted_fields_keep_their_delimiters_quotes_and_line_breaks() -> None:
    data = b'Customer,Note\n"Lozano, Dr","Said ""call me"" twice\nthen left"\nBaxter,Plain\n'
    assert rows(parse(data))[1] == ('Lozano, Dr | Said "call me" twice then left', False)


def test_a_file_of_one_column_is_read_with_the_comma_fallback() -> None:
    assert rows(parse(b"City\nParis\nLyon\n")) == [("City", True), ("Paris", False), ("Lyon", False)]


@pytest.mark.parametrize(
    "data",
    [
        "Ville;Caf\u00e9\nParis;cr\u00e8me\n".encode("utf-8-sig"),
        "Ville;Caf\u00e9\nParis;cr\u00e8me\n".encode("cp1252"),
        "Ville;Caf\u00e9\nParis;cr\u00e8me\n".encode("utf-16"),
    ],
    ids=["utf-8-bom", "cp1252", "utf-16"],
)
def test_the_text_is_decoded_as_the_other_text_formats_are(data: bytes) -> None:
    assert rows(parse(data)) == [("Ville | Caf\u00e9", True), ("Paris | cr\u00e8me", False)]


def test_empty_rows_and_trailing_separators_are_dropped() -> None:
    assert rows(parse(b"a,b,,\n\n,,,\n1,2,,\n")) == [("a | b", True), ("1 | 2", False)]


def test_a_csv_past_the_cell_limit_is_cut_and_says_how_many_rows_were_left_out() -> None:
    assert csv_table.MAX_CELLS == 200_000  # the workbook's bound
    body = "".join(f"{n},{n * 2}\n" for n in range(1, 100_051))
    doc = parse(("n,double\n" + body).encode())
    assert doc.warnings == (
        "read to row 100,000; 51 more rows were left out (the server's limit of 200,000 cells per file)",
    )
    assert doc.text.endswith("\n99999 | 199998")


def test_the_cell_limit_with_a_small_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(csv_table, "MAX_CELLS", 6)
    doc = parse(b"a,b\n1,2\n\n3,4\n5,6\n7,8\n")
    assert rows(doc) == [("a | b", True), ("1 | 2", False), ("3 | 4", False)]
    assert doc.warnings == (
        "read to row 4; 2 more rows were left out (the server's limit of 6 cells per file)",
    )
    monkeypatch.setattr(csv_table, "MAX_CELLS", 1)
    assert refused(b"a,b\n1,2\n") == (
        "no text was read: the first row alone has more cells than the server's limit of 1 cells per file"
    )


def test_a_row_the_csv_reader_cannot_read_ends_the_table_with_a_warning() -> None:
    data = b"Name,Note\nAda,short\nBo," + b"x" * 200_000 + b"\nCy,after\n"
    doc = parse(data)
    assert rows(doc) == [("Name | Note", True), ("Ada | short", False)]
    (warning,) = doc.warnings
    assert warning.startswith("row 3 could not be read, nor the rows after it (field larger than field limit")


def test_an_empty_csv_is_refused() -> None:
    assert refused(b"") == "file is empty"
    assert refused(b" \n\n\t\n") == "no text was read: the file holds no values, only separators"
    assert refused(b",,,\n,,\n") == "no text was read: the file holds no values, only separators"


def test_a_csv_that_is_a_pdf_a_zip_or_binary_is_refused(make_text_pdf) -> None:  # type: ignore[no-untyped-def]
    assert refused(make_text_pdf("Quarterly figures")) == "file named .csv is a PDF: rename it to .pdf"
    assert (
        refused(b"PK\x03\x04 an xlsx renamed")
        == "file named .csv is a ZIP archive (an Office file?), not text"
    )
    assert refused(bytes(range(256)) * 4) == "file does not look like text (it contains binary data)"


@needs_shared_data("doc-samples")
def test_docling_sample_reads_as_its_groundtruth() -> None:
    source = DOCLING_CSV / "sources" / "csv-comma.csv"
    doc = parse_document(source.read_bytes(), source.name)
    groundtruth = (DOCLING_CSV / "groundtruth" / "csv-comma.csv.md").read_text().splitlines()
    expected = [
        " | ".join(cell.strip() for cell in line.strip().strip("|").split("|"))
        for line in groundtruth
        if line.startswith("|") and not line.startswith("| - ")
    ]
    assert [line for line, _ in rows(doc)] == expected
    assert rows(doc)[0][1] and not any(header for _, header in rows(doc)[1:])
    assert "2 | 1Ef7b82A4CAAD10 | Preston | Lozano, Dr | Vega-Gentry" in doc.text  # a quoted comma
