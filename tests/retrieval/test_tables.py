"""Tables longer than a chunk, in every format that has them: rows are recognized with
their header row, no chunk cuts a row, and a chunk holding rows but not the header starts
with the header repeated (its span recorded in ``table_header``). PDFs are crafted here
(pdf_builder), including a table that a page break splits and that repeats its header."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

import docx
import pytest
from docx.oxml import OxmlElement
from docx.oxml.ns import qn

from retrieval.chunking import ChunkSpec, chunk_document
from retrieval.document import ParsedDocument, Table
from retrieval.parsing import parse_document
from retrieval.parsing.table_header import guess_header_rows, is_figure
from tests.retrieval.pdf_builder import Line, build_pdf
from tests.retrieval.test_chunking import assert_chunks_valid

MAX_TOKENS = 254
OVERLAP = 32
HEADER = ("Region", "Revenue 2023", "Revenue 2022")


def region_rows(count: int) -> list[tuple[str, str, str]]:
    return [(f"Sales region number {i}", f"{1000 + 37 * i:,}", f"{900 + 41 * i:,}") for i in range(count)]


def assert_tables_chunked(doc: ParsedDocument, chunks: Sequence[ChunkSpec], *, split: bool = True) -> None:
    """Rows whole in every chunk; a chunk with rows of a table but none of its header rows
    starts with the header run that precedes its rows, and says where that run lies."""
    assert doc.tables
    for table in doc.tables:
        holding = [c for c in chunks if any(c.start < r.end and r.start < c.end for r in table.rows)]
        if split:
            assert len(holding) > 1, "the table should be longer than a chunk"
        for chunk in holding:
            rows = [r for r in table.rows if chunk.start < r.end and r.start < chunk.end]
            for row in rows:
                assert chunk.start <= row.start and row.end <= chunk.end, (
                    f"row cut: {doc.text[row.start : row.end]!r} in chunk {chunk.ordinal}"
                )
            if any(row.header for row in rows):
                continue
            header = table.header_before(rows[0].start)
            assert header is not None
            assert chunk.table_header == header
            first_row = doc.text[rows[0].start : rows[0].end]
            assert chunk.text.startswith(doc.text[header[0] : header[1]] + "\n" + first_row)
            assert chunk.embed_text.endswith(chunk.text)


def header_text(doc: ParsedDocument, table: Table) -> list[str]:
    return [doc.text[r.start : r.end] for r in table.rows if r.header]


# --- DOCX, HTML, Markdown ---------------------------------------------------------------------


def docx_table(rows: list[tuple[str, str, str]], *, repeat_header: bool) -> bytes:
    document = docx.Document()
    document.add_heading("Regional results", level=1)
    document.add_paragraph("Revenue by sales region, in thousands.")
    table = document.add_table(rows=0, cols=3)
    for cells in [HEADER, *rows]:
        row = table.add_row()
        for cell, text in zip(row.cells, cells, strict=True):
            cell.text = text
    if repeat_header:  # Word's "Repeat as header row at the top of each page"
        flag = OxmlElement("w:tblHeader")
        table.rows[0]._tr.get_or_add_trPr().append(flag)
    else:  # and without it, nor a table look: the header is read from the cells
        look = table._tbl.tblPr.find(qn("w:tblLook"))
        if look is not None:
            table._tbl.tblPr.remove(look)
    document.add_paragraph("Totals are audited.")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def html_table(rows: list[tuple[str, str, str]]) -> bytes:
    body = "".join(f"<tr><td>{a}</td><td>{b}</td><td>{c}</td></tr>" for a, b, c in rows)
    head = "".join(f"<th>{h}</th>" for h in HEADER)
    return (
        f"<html><head><title>Regional results</title></head><body><main><h1>Regional results</h1>"
        f"<p>Revenue by sales region.</p><table><caption>Table 1: revenue</caption><thead><tr>{head}</tr>"
        f"</thead><tbody>{body}</tbody></table><p>Totals are audited.</p></main></body></html>"
    ).encode()


def markdown_table(rows: list[tuple[str, str, str]]) -> bytes:
    lines = ["# Regional results", "", "Revenue by sales region.", "", "| " + " | ".join(HEADER) + " |"]
    lines.append("|---|---:|---:|")
    lines.extend(f"| {a} | {b} | {c} |" for a, b, c in rows)
    lines += ["", "Totals are audited."]
    return "\n".join(lines).encode()


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("results.docx", docx_table(region_rows(120), repeat_header=True)),
        ("guessed.docx", docx_table(region_rows(120), repeat_header=False)),
        ("results.html", html_table(region_rows(120))),
        ("results.md", markdown_table(region_rows(120))),
    ],
)
@pytest.mark.parametrize(("max_tokens", "overlap"), [(MAX_TOKENS, OVERLAP), (64, 16)])
def test_long_tables_keep_rows_whole_and_repeat_their_header(
    tokenizer: Any, name: str, data: bytes, max_tokens: int, overlap: int
) -> None:
    doc = parse_document(data, name)
    (table,) = doc.tables
    assert header_text(doc, table) == ["Region | Revenue 2023 | Revenue 2022"]
    assert len(table.rows) == 121
    assert doc.text[table.rows[1].start : table.rows[1].end] == "Sales region number 0 | 1,000 | 900"
    chunks = chunk_document(doc, tokenizer, max_tokens, overlap)
    assert_chunks_valid(doc, chunks, tokenizer, max_tokens)
    assert_tables_chunked(doc, chunks)
    # The figure's column is in the chunk that holds it.
    holding = next(c for c in chunks if "Sales region number 97 | 4,589 | 4,877" in c.text)
    assert holding.text.startswith("Region | Revenue 2023 | Revenue 2022\n")


def test_a_row_longer_than_a_chunk_is_cut_only_inside_itself(tokenizer: Any) -> None:
    long_cell = " ".join(f"clause{i} of the agreement applies." for i in range(60))
    rows = [*region_rows(3), ("Terms", long_cell, "n/a"), *region_rows(3)]
    doc = parse_document(markdown_table(rows), "long-row.md")
    chunks = chunk_document(doc, tokenizer, 64, 16)
    assert_chunks_valid(doc, chunks, tokenizer, 64)
    (table,) = doc.tables
    long_row = table.rows[4]
    for chunk in chunks:
        for row in table.rows:
            overlaps = chunk.start < row.end and row.start < chunk.end
            if overlaps and row is not long_row:
                assert chunk.start <= row.start and row.end <= chunk.end


def test_header_guess_tells_names_from_figures() -> None:
    assert is_figure("81,797") and is_figure("(1.2)%") and is_figure("$ 0.965")
    assert not is_figure("2023") and not is_figure("12/31/2023") and not is_figure("July 1, 2023")
    rows = [
        ["", "Three Months Ended"],
        ["", "July 1, 2023", "June 25, 2022"],
        ["Net sales", "81,797", "82,959"],
    ]
    assert guess_header_rows(rows) == 2
    assert guess_header_rows([["Tag", "Type"], ["xx1", "number"], ["000", "12"]]) == 1
    assert guess_header_rows([["Name", "Role"], ["Ada", "Engineer"]]) == 0  # no figures: no guess
    assert guess_header_rows([["1", "2"], ["3", "4"]]) == 0


# --- PDF ----------------------------------------------------------------------------------------

LABEL_X, FIRST_X, SECOND_X = 72.0, 330.0, 430.0
RUNNING_HEADER = "ACME Corp quarterly report"


def statement_header(y: float) -> list[Line]:
    """Two header lines over the figure columns, the first spanning both."""
    return [
        Line("Three Months Ended", y, x=360),
        Line("July 1, 2023", y - 16, x=FIRST_X),
        Line("June 25, 2022", y - 16, x=SECOND_X),
    ]


def statement_row(y: float, index: int) -> list[Line]:
    return [
        Line(f"Category {index} net sales", y, x=LABEL_X),
        Line(f"{1000 + 37 * index:,}", y, x=FIRST_X),
        Line(f"{900 + 41 * index:,}", y, x=SECOND_X),
    ]


def statement_pdf() -> bytes:
    """A statement whose table runs from page 1 onto page 2, which repeats its header, between
    running headers and footers; page 3 is prose."""
    page1 = [Line(RUNNING_HEADER, 760, 8), Line("Condensed statement of sales", 730, 14)]
    page1 += [Line("The table below shows net sales by category for the quarter.", 705)]
    page1 += statement_header(680)
    page1 += [line for i in range(32) for line in statement_row(644 - 18 * i, i)]
    page1 += [Line("ACME Corp | Form 10-Q | 1", 30, 8)]
    page2 = [Line(RUNNING_HEADER, 760, 8), *statement_header(730)]
    page2 += [line for i in range(32, 50) for line in statement_row(694 - 18 * (i - 32), i)]
    page2 += [Line("Net sales rose in most categories, led by services.", 340)]
    page2 += [Line("ACME Corp | Form 10-Q | 2", 30, 8)]
    page3 = [Line(RUNNING_HEADER, 760, 8), Line("The outlook for the next quarter is stable.", 700)]
    page3 += [Line("ACME Corp | Form 10-Q | 3", 30, 8)]
    return build_pdf([page1, page2, page3])


def test_pdf_table_split_across_a_page_is_one_table_with_its_header_repeated(tokenizer: Any) -> None:
    doc = parse_document(statement_pdf(), "statement.pdf")
    (table,) = doc.tables
    texts = [doc.text[r.start : r.end] for r in table.rows]
    header = ["| Three Months Ended", "| July 1, 2023 | June 25, 2022"]
    assert texts[:3] == [*header, "Category 0 net sales | 1,000 | 900"]
    assert len(texts) == 2 + 32 + 2 + 18
    # The continuation on page 2 starts with the same header, recognized as header again.
    assert texts[34:37] == [*header, "Category 32 net sales | 2,184 | 2,212"]
    assert [i for i, r in enumerate(table.rows) if r.header] == [0, 1, 34, 35]
    assert doc.section_at(table.rows[33].start).page == 1 and doc.section_at(table.rows[34].start).page == 2
    # Running headers and footers stay out of the table (and excluded from chunks).
    assert all("Form 10-Q" not in text and RUNNING_HEADER not in text for text in texts)
    assert "Net sales rose in most categories" not in " ".join(texts)

    for max_tokens, overlap in [(MAX_TOKENS, OVERLAP), (64, 16)]:
        chunks = chunk_document(doc, tokenizer, max_tokens, overlap)
        assert_chunks_valid(doc, chunks, tokenizer, max_tokens)
        assert_tables_chunked(doc, chunks)
        assert not any("Form 10-Q" in c.text for c in chunks)
    # The last rows of page 1 and the first of page 2 share a chunk with no header of
    # their own: it starts with the column names printed on page 1.
    across = next(c for c in chunks if c.page == 1 and c.last_page == 2 and c.table_header)
    assert across.table_header is not None
    names = doc.text[across.table_header[0] : across.table_header[1]]
    assert names == "\n".join(header) and across.text.startswith(names + "\nCategory")


def test_pdf_bold_first_row_is_the_header_of_a_text_table(tokenizer: Any) -> None:
    people = [("Ada Lovelace", "Analyst", "London"), ("Alan Turing", "Mathematician", "Wilmslow")] * 20
    lines = [Line("Name", 700, x=72, bold=True), Line("Role", 700, x=250, bold=True)]
    lines += [Line("Office", 700, x=400, bold=True)]
    for i, (name, role, office) in enumerate(people):
        y = 682 - 15 * i
        lines += [Line(f"{name} {i}", y, x=72), Line(role, y, x=250), Line(office, y, x=400)]
    doc = parse_document(build_pdf([lines]), "people.pdf")
    (table,) = doc.tables
    assert header_text(doc, table) == ["Name | Role | Office"]
    chunks = chunk_document(doc, tokenizer, 64, 16)
    assert_chunks_valid(doc, chunks, tokenizer, 64)
    assert_tables_chunked(doc, chunks)


def test_pdf_prose_in_two_columns_is_not_a_table() -> None:
    left = "The committee reviewed the quarter and found"
    right = "that the new process reduced the closing time"
    lines = [line for i in range(30) for line in (Line(left, 700 - 14 * i), Line(right, 700 - 14 * i, x=320))]
    doc = parse_document(build_pdf([lines]), "columns.pdf")
    assert doc.tables == ()
    assert " | " not in doc.text


def test_pdf_plain_lines_and_short_aligned_runs_are_not_tables() -> None:
    """Prose, and two or fewer aligned lines (a signature block), are left as text."""
    lines = [Line("Best regards,", 700), Line("Mallori", 686, x=72), Line("Director", 686, x=300)]
    lines += [Line("Mallori Jones", 672, x=72), Line("Operations", 672, x=300)]
    doc = parse_document(build_pdf([lines]), "memo.pdf")
    assert doc.tables == ()
