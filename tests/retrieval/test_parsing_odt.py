"""ODT: headings, paragraphs, lists, tables, notes and the title from content.xml and meta.xml,
what is left out, and refusals with a reason. Small documents are built here with zipfile
(mimetype first and stored, as ODF asks); one real file comes from the shared doc-samples."""

from __future__ import annotations

import io
import time
import zipfile

import pytest

from retrieval.document import ParsedDocument
from retrieval.parsing import detect_format, odt, parse_document
from tests.conftest import SHARED_DATA, needs_shared_data
from tests.retrieval.conftest import refusal
from tests.retrieval.test_parsing_samples import assert_valid
from tests.retrieval.zip_builder import billion_laughs, rewritten

FAKE_ODT = SHARED_DATA / "doc-samples" / "unstructured" / "example-docs" / "fake.odt"
NAMESPACES = " ".join(
    f'xmlns:{prefix}="urn:oasis:names:tc:opendocument:xmlns:{name}"'
    for prefix, name in [
        ("office", "office:1.0"),
        ("text", "text:1.0"),
        ("table", "table:1.0"),
        ("draw", "drawing:1.0"),
        ("style", "style:1.0"),
        ("svg", "svg-compatible:1.0"),
        ("meta", "meta:1.0"),
    ]
)
NAMESPACES += ' xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:xlink="http://www.w3.org/1999/xlink"'
MANIFEST = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
    '<manifest:file-entry manifest:full-path="/" manifest:media-type="{media_type}"/>'
    '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml">{encryption}'
    "</manifest:file-entry></manifest:manifest>"
)
ENCRYPTION_DATA = '<manifest:encryption-data manifest:checksum-type="SHA1/1K" manifest:checksum="x"/>'


def content_xml(body: str, styles: str = "") -> str:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {NAMESPACES} office:version="1.3">'
        f"<office:automatic-styles>{styles}</office:automatic-styles>"
        f"<office:body><office:text>{body}</office:text></office:body></office:document-content>"
    )


def make_odt(
    body: str,
    *,
    title: str | None = None,
    styles: str = "",
    mimetype: str | None = odt.ODT_MEDIA_TYPE,
    manifest_type: str = odt.ODT_MEDIA_TYPE,
    encrypted: bool = False,
    extra: dict[str, bytes] | None = None,
) -> bytes:
    """An ODT whose office:text holds ``body`` (ODF XML), titled ``title`` in meta.xml."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        if mimetype is not None:
            archive.writestr(zipfile.ZipInfo("mimetype"), mimetype)  # first and stored
        archive.writestr("content.xml", content_xml(body, styles))
        dc_title = f"<dc:title>{title}</dc:title>" if title is not None else "<dc:title/>"
        archive.writestr(
            "meta.xml",
            f'<?xml version="1.0"?><office:document-meta {NAMESPACES}><office:meta>{dc_title}'
            "<meta:generator>LibreOffice/7.6</meta:generator></office:meta></office:document-meta>",
        )
        encryption = ENCRYPTION_DATA if encrypted else ""
        archive.writestr(
            "META-INF/manifest.xml", MANIFEST.format(media_type=manifest_type, encryption=encryption)
        )
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return buffer.getvalue()


def p(text: str, style: str = "Text_20_body") -> str:
    return f'<text:p text:style-name="{style}">{text}</text:p>'


def h(level: int, text: str) -> str:
    return f'<text:h text:outline-level="{level}">{text}</text:h>'


def parse(data: bytes, name: str = "report.odt") -> ParsedDocument:
    doc = parse_document(data, name)
    assert_valid(doc)
    return doc


def refused(data: bytes, name: str = "report.odt") -> str:
    return refusal(data, name)


def rows(doc: ParsedDocument) -> list[list[tuple[str, bool]]]:
    return [[(doc.text[row.start : row.end], row.header) for row in table.rows] for table in doc.tables]


def test_odt_is_a_supported_format() -> None:
    data = make_odt(p("A short memo."))
    assert detect_format("Memo.ODT", data) == "odt"
    doc = parse(data)
    assert (doc.format, doc.filename, doc.text) == ("odt", "report.odt", "A short memo.")
    assert doc.page_count is None and doc.warnings == ()


def test_headings_are_sections_at_their_outline_level() -> None:
    body = (
        p("Before any heading.")
        + h(1, "Results")
        + p("The first result.")
        + h(2, "Costs")
        + p("Costs fell.")
        + "<text:h>Appendix</text:h>"  # no outline level: level 1
        + p("Tables.")
    )
    doc = parse(make_odt(body))
    assert doc.text == (
        "Before any heading.\n\nResults\n\nThe first result.\n\nCosts\n\nCosts fell.\n\nAppendix\n\nTables."
    )
    sections = [(doc.text[s.start : s.end], s.heading_path) for s in doc.sections]
    assert sections == [
        ("Before any heading.\n\n", ()),
        ("Results\n\nThe first result.\n\n", ("Results",)),
        ("Costs\n\nCosts fell.\n\n", ("Results", "Costs")),
        ("Appendix\n\nTables.", ("Appendix",)),
    ]


def test_inline_text_spans_links_spaces_tabs_and_line_breaks() -> None:
    body = p(
        'A <text:span text:style-name="T1">bold</text:span> claim, see '
        '<text:a xlink:href="https://example.org">the site</text:a>.'
        '\n   Wrapped   in the XML<text:s/>and<text:s text:c="4"/>spaced.'
        "<text:line-break/>Second line<text:tab/>after a tab."
        '<text:soft-page-break/> Page <text:page-number text:select-page="current">3</text:page-number>.'
    )
    doc = parse(make_odt(body))
    assert doc.text == (
        "A bold claim, see the site. Wrapped in the XML and spaced.\nSecond line after a tab. Page 3."
    )


def test_lists_are_dash_lines_nested_and_continued() -> None:
    body = (
        p("Bring:")
        + "<text:list><text:list-item>"
        + p("Boots")
        + "<text:list><text:list-item>"
        + p("with spare laces")
        + "</text:list-item></text:list></text:list-item>"
        + "<text:list-item><text:number>2.</text:number>"
        + p("A map")
        + p("(the 1:25,000 one)")
        + "</text:list-item>"
        + "<text:list-header>"
        + p("Not a bullet")
        + "</text:list-header></text:list>"
    )
    doc = parse(make_odt(body))
    assert doc.text.split("\n\n") == [
        "Bring:",
        "- Boots",
        "- with spare laces",
        "- A map",
        "(the 1:25,000 one)",
        "Not a bullet",
    ]


def cell(text: str, **attributes: str) -> str:
    extra = "".join(f' table:{name.replace("_", "-")}="{value}"' for name, value in attributes.items())
    return f'<table:table-cell office:value-type="string"{extra}>{p(text) if text else ""}</table:table-cell>'


def table(*rows_xml: str, header: str = "") -> str:
    head = f"<table:table-header-rows>{header}</table:table-header-rows>" if header else ""
    return (
        '<table:table table:name="T1"><table:table-column table:number-columns-repeated="3"/>'
        f"{head}{''.join(rows_xml)}</table:table>"
    )


def row(*cells: str, **attributes: str) -> str:
    extra = "".join(f' table:{name.replace("_", "-")}="{value}"' for name, value in attributes.items())
    return f"<table:table-row{extra}>{''.join(cells)}</table:table-row>"


def test_tables_read_through_the_builder_with_marked_header_rows() -> None:
    body = (
        h(1, "Prices")
        + table(
            row(cell("Davos"), cell("12"), cell("8")),
            row(cell("Mürren"), cell("10"), cell("7")),
            header=row(cell("Resort"), cell("Francs"), cell("Shillings")),
        )
        + p("After the table.")
    )
    doc = parse(make_odt(body))
    assert rows(doc) == [
        [("Resort | Francs | Shillings", True), ("Davos | 12 | 8", False), ("Mürren | 10 | 7", False)]
    ]
    assert (
        doc.text
        == "Prices\n\nResort | Francs | Shillings\nDavos | 12 | 8\nMürren | 10 | 7\n\nAfter the table."
    )
    assert all(s.heading_path == ("Prices",) for s in doc.sections)


def test_table_without_header_rows_guesses_them_and_merged_cells_keep_their_columns() -> None:
    merged = "<table:covered-table-cell/>"
    body = table(
        row(cell("Region"), cell("2023", number_columns_spanned="2"), merged),
        row(cell(""), cell("Q1"), cell("Q2")),
        row(cell("North"), cell("1,200"), cell("1,350")),
        row(cell("South"), cell("<text:span>980</text:span>"), cell("1,010")),
    )
    doc = parse(make_odt(body))
    assert rows(doc) == [
        [
            ("Region | 2023", True),
            ("| Q1 | Q2", True),
            ("North | 1,200 | 1,350", False),
            ("South | 980 | 1,010", False),
        ]
    ]


def test_repeated_rows_and_cells_are_spread_and_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    body = table(
        row(cell("Name"), cell("Score")),
        row(cell("same"), cell("1", number_columns_repeated="2"), number_rows_repeated="3"),
        row(cell("", number_columns_repeated="16384"), number_rows_repeated="1048576"),  # a sheet's tail
        row(cell("last"), cell("", number_columns_repeated="5"), cell("9")),
    )
    doc = parse(make_odt(body))
    assert rows(doc) == [
        [
            ("Name | Score", True),
            ("same | 1 | 1", False),
            ("same | 1 | 1", False),
            ("same | 1 | 1", False),
            ("last | | 9", False),  # the 9 stays in the third column
        ]
    ]
    monkeypatch.setattr(odt, "MAX_CELLS", 8)
    doc = parse(make_odt(body + table(row(cell("another table")))))
    assert [line for line, _ in rows(doc)[0]] == ["Name | Score", "same | 1 | 1", "same | 1 | 1"]
    assert len(doc.tables) == 1  # the later table adds no rows either
    assert doc.warnings == ("table rows past the server's limit of 8 table cells were left out",)


def test_a_nested_table_reads_inside_its_cell() -> None:
    inner = table(row(cell("inner a"), cell("inner b")))
    body = table(
        row(cell("Outer"), f'<table:table-cell office:value-type="string">{inner}</table:table-cell>')
    )
    assert rows(parse(make_odt(body))) == [[("Outer | inner a inner b", False)]]


def test_notes_are_read_at_the_end_not_where_they_are_anchored() -> None:
    note = (
        '<text:note text:id="ftn1" text:note-class="footnote"><text:note-citation>1</text:note-citation>'
        f"<text:note-body>{p('Source: the 1913 guide.')}{p('Second paragraph.')}</text:note-body></text:note>"
    )
    endnote = (
        '<text:note text:id="edn1" text:note-class="endnote"><text:note-citation>i</text:note-citation>'
        f"<text:note-body>{p('An endnote.')}</text:note-body></text:note>"
    )
    body = h(1, "Prices") + p(f"Davos cost 12 francs{note}.") + p(f"Mürren cost less{endnote}.")
    doc = parse(make_odt(body))
    assert doc.text == (
        "Prices\n\nDavos cost 12 francs[1].\n\nMürren cost less[i].\n\nNotes\n\n"
        "[1] Source: the 1913 guide.\n\nSecond paragraph.\n\n[i] An endnote."
    )
    assert doc.sections[-1].heading_path == ("Notes",)


def test_comments_deleted_text_pictures_and_alt_text_are_left_out_text_boxes_read_in_place() -> None:
    tracked = (
        '<text:tracked-changes><text:changed-region text:id="c1"><text:deletion>'
        f"<office:change-info><dc:creator>Ann</dc:creator></office:change-info>{p('Deleted words.')}"
        "</text:deletion></text:changed-region></text:tracked-changes>"
    )
    comment = (
        '<office:annotation office:name="a1"><dc:creator>Bob</dc:creator>'
        f"{p('Is this right?')}</office:annotation>"
    )
    frame = (
        '<draw:frame draw:name="Image1"><svg:title>Alt title</svg:title><svg:desc>Alt text</svg:desc>'
        '<draw:image xlink:href="Pictures/a.png"><office:binary-data>iVBORw0KGgo=</office:binary-data>'
        "</draw:image></draw:frame>"
    )
    text_box = f'<draw:frame draw:name="Box"><draw:text-box>{p("Boxed note.")}</draw:text-box></draw:frame>'
    body = (
        tracked
        + p(f'Kept text.<text:change text:change-id="c1"/>{comment} Still kept.')
        + p(f"{frame}Caption under the picture.")
        + p(f"{text_box}After the box.")
        + text_box.replace("Boxed note.", "A page-anchored box.")
    )
    doc = parse(make_odt(body))
    assert doc.text == (
        "Kept text. Still kept.\n\nCaption under the picture.\n\nBoxed note.\nAfter the box."
        "\n\nA page-anchored box."
    )


def test_the_table_of_contents_body_is_read_its_template_is_not() -> None:
    toc = (
        "<text:table-of-content><text:table-of-content-source>"
        "<text:index-title-template>Contents template</text:index-title-template>"
        "</text:table-of-content-source><text:index-body>"
        f"{p('Results<text:tab/>1')}</text:index-body></text:table-of-content>"
    )
    doc = parse(make_odt(toc + h(1, "Results") + p("Text.")))
    assert doc.text == "Results 1\n\nResults\n\nText."


def test_the_title_is_dc_title_then_the_title_style_then_the_first_heading() -> None:
    body = p("Winter Sports", style="P1") + h(1, "Getting There") + p("By train.")
    styles = '<style:style style:name="P1" style:family="paragraph" style:parent-style-name="Title"/>'
    assert (
        parse(make_odt(body, title="Swiss Resorts in 1913", styles=styles)).title == "Swiss Resorts in 1913"
    )
    assert parse(make_odt(body, title="Untitled 1", styles=styles)).title == "Winter Sports"
    assert parse(make_odt(body, title="")).title == "Getting There"
    assert parse(make_odt(p("Just text."))).title is None


def test_a_damaged_meta_xml_costs_only_the_title() -> None:
    data = rewritten(make_odt(h(1, "Report"), title="Annual Report"), "meta.xml", lambda _: b"\x00garbage")
    doc = parse(data)
    assert (doc.text, doc.title, doc.warnings) == ("Report", "Report", ())


def test_another_opendocument_type_named_odt_is_refused_saying_what_it_is() -> None:
    spreadsheet = "application/vnd.oasis.opendocument.spreadsheet"
    assert refused(make_odt(p("x"), mimetype=spreadsheet)) == (
        f"not an ODT: the file is an OpenDocument spreadsheet ({spreadsheet}), not a text document"
    )
    assert refused(make_odt(p("x"), mimetype="application/epub+zip")) == (
        "not an ODT: the file says it is application/epub+zip (its mimetype), "
        "not an OpenDocument text document"
    )
    # Without a mimetype member, the manifest's root entry says what the package is.
    presentation = "application/vnd.oasis.opendocument.presentation"
    assert "OpenDocument presentation" in refused(make_odt(p("x"), mimetype=None, manifest_type=presentation))
    assert parse(make_odt(p("Fine."), mimetype=None)).text == "Fine."


def test_a_password_protected_odt_is_refused() -> None:
    assert refused(make_odt(p("secret"), encrypted=True)) == (
        "ODT is password-protected (encrypted) and cannot be read; save a copy without a password"
    )


def test_documents_without_text_are_refused_with_a_reason() -> None:
    assert refused(make_odt(p("") + "<text:p/>")) == "no extractable text: the document is empty"
    picture = p('<draw:frame><draw:image xlink:href="Pictures/scan.png"/></draw:frame>')
    data = make_odt(picture, extra={"Pictures/scan.png": b"\x89PNG"})
    assert refused(data) == "no extractable text: the document holds only images"


def test_damaged_content_keeps_what_was_read_with_a_warning() -> None:
    data = make_odt(p("First paragraph.") + p("Second paragraph."))
    cut = rewritten(data, "content.xml", lambda body: body[: body.index(b"Second")])
    doc = parse(cut)
    assert doc.text.startswith("First paragraph.")
    (warning,) = doc.warnings
    assert warning.startswith("content.xml is damaged (line 1: ") and "may be missing" in warning
    garbage = rewritten(data, "content.xml", lambda _: b"\x00\x01 not xml at all")
    assert refused(garbage) == "ODT is damaged: its content.xml is not readable XML"
    assert refused(
        rewritten(data, "content.xml", lambda _: b'<?xml version="1.0"?><office:document-content/>')
    )


def test_entity_expansion_in_content_is_refused_as_past_the_server_limits() -> None:
    laughs = (
        f'<?xml version="1.0"?>{billion_laughs("office:document-content")}'
        + content_xml(p("&lol9;")).split("?>", 1)[1]
    )
    started = time.perf_counter()
    reason = refused(rewritten(make_odt(p("x")), "content.xml", lambda _: laughs.encode()))
    assert time.perf_counter() - started < 5
    assert reason == (
        "ODT cannot be read: its content.xml goes past the server's limits for XML "
        "(nesting depth, entity expansion or text size)"
    )


def test_a_zip_that_is_not_opendocument_is_refused() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    assert refused(buffer.getvalue()) == (
        "not an ODT: the ZIP archive holds no OpenDocument content (content.xml)"
    )


@needs_shared_data("doc-samples")
def test_the_sample_odt_reads_fully_and_in_order() -> None:
    doc = parse(FAKE_ODT.read_bytes(), FAKE_ODT.name)
    assert doc.text == (
        "Lorem ipsum dolor sit amet.\n\n"
        "Header row | Mon | Wed | Fri\nColor | Blue | Red | Green\n"
        "Time | 1pm | 2pm | 3pm\nLeader | Sarah | Mark | Ryan"
    )
    assert [line for line, _ in rows(doc)[0]] == doc.text.split("\n\n")[1].split("\n")
    assert doc.title is None and doc.warnings == ()
