"""Bad input gets a clear ParseError, and only a ParseError: empty, unsupported, encrypted,
damaged, disguised and hostile files, all made here."""

from __future__ import annotations

import gzip
import io
import logging
import random
import zipfile
from collections.abc import Callable
from pathlib import Path

import docx
import openpyxl
import pptx
import pypdf
import pytest
import xlwt

from retrieval.document import ParseError
from retrieval.parsing import SUPPORTED_FORMATS, detect_format, parse_document, zip_limits
from tests.retrieval import test_parsing_ods as ods
from tests.retrieval.conftest import refusal
from tests.retrieval.test_parsing_epub import make_epub, three_chapters
from tests.retrieval.test_parsing_odt import make_odt
from tests.retrieval.zip_builder import billion_laughs, rewritten

DOC_SAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "doc-samples"


@pytest.fixture(autouse=True)
def _quiet_pypdf() -> None:
    logging.getLogger("pypdf").setLevel(logging.ERROR)


def refused(data: bytes, filename: str) -> str:
    return refusal(data, filename)


@pytest.fixture
def pdf(make_text_pdf: Callable[[str], bytes]) -> bytes:
    return make_text_pdf("Quarterly figures are attached to this memo.")


def _docx() -> bytes:
    document = docx.Document()
    document.add_paragraph("A perfectly ordinary paragraph.")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _pptx() -> bytes:
    deck = pptx.Presentation()
    slide = deck.slides.add_slide(deck.slide_layouts[1])
    slide.shapes.title.text = "An ordinary slide"
    slide.placeholders[1].text_frame.text = "With an ordinary bullet."
    buffer = io.BytesIO()
    deck.save(buffer)
    return buffer.getvalue()


def _xls() -> bytes:
    workbook = xlwt.Workbook()
    sheet = workbook.add_sheet("Costs")
    for row, values in enumerate([("Item", "Cost"), ("Rent", 1200)]):
        for column, value in enumerate(values):
            sheet.write(row, column, value)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _xlsx() -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.create_sheet("Costs", 0)
    sheet.append(["Item", "Cost"])
    sheet.append(["Rent", 1200])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize("extension", sorted(SUPPORTED_FORMATS))
def test_empty_file(extension: str) -> None:
    assert refused(b"", f"empty.{extension}") == "file is empty"


@pytest.mark.parametrize("name", ["blank.txt", "blank.md", "blank.html"])
def test_whitespace_only_file_has_no_text(name: str) -> None:
    assert "no extractable text" in refused(b"  \n\n\t \r\n", name)


@pytest.mark.parametrize(
    ("name", "shown"),
    [("sheet.numbers", ".numbers"), ("deck.key", ".key"), ("README", "(no extension)"), ("a.json", ".json")],
)
def test_unsupported_extension_names_the_supported_ones(name: str, shown: str) -> None:
    reason = refused(b"whatever", name)
    supported = (
        "TXT, Markdown, HTML, PDF, DOCX, DOC, ODT, RTF, EPUB, PPTX, PPT, XLSX, XLS, ODS, CSV, EML, MSG"
    )
    assert reason == f"unsupported file type {shown}; supported: {supported}"


def test_a_doc_that_is_no_word_97_2003_file_gets_a_hint() -> None:
    # Not an OLE2 compound file (Word for DOS, Word 2, a damaged header): refused at upload.
    assert "save it as .docx" in refused(b"\xd0\xcf\x11\xe0 old OLE file", "letter.doc")


def test_a_doc_that_is_rtf_html_or_a_renamed_docx_is_read_as_what_it_is() -> None:
    # Web apps export RTF or HTML under ".doc" (Word opens both); people rename .docx files.
    rtf = parse_document(rb"{\rtf1\ansi {\info{\title Minutes}}The board met on Monday.\par}", "minutes.doc")
    assert (rtf.format, rtf.title, rtf.text) == ("rtf", "Minutes", "The board met on Monday.")
    html = b"\xef\xbb\xbf\n<!DOCTYPE html><html><body><p>The board met on Monday.</p></body></html>"
    assert parse_document(html, "minutes.doc").format == "html"
    assert parse_document(_docx(), "minutes.doc").format == "docx"
    # Word 2003 XML is not read: refused with the hint.
    assert "save it as .docx" in refused(b"<?xml version='1.0'?><w:wordDocument/>", "minutes.doc")


def test_a_ppt_that_is_no_powerpoint_97_2003_file_gets_a_hint() -> None:
    assert "save it as .pptx" in refused(b"\xd0\xcf\x11\xe0 old OLE file", "slides.ppt")


def test_an_xls_that_is_html_or_a_renamed_xlsx_is_read_as_what_it_is() -> None:
    # Web apps export an HTML table as ".xls" (Excel opens it); people rename .xlsx files.
    html = b"<table><tr><th>Item</th><th>Cost</th></tr><tr><td>Rent</td><td>1200</td></tr></table>"
    assert parse_document(html, "budget.xls").format == "html"
    assert parse_document(_xlsx(), "budget.xls").format == "xlsx"
    assert refused(b"\xd0\xcf\x11\xe0 damaged OLE file", "budget.xls").startswith(
        "not a readable Excel 97-2003 workbook"
    )


@pytest.mark.parametrize(("name", "hint"), [("deck.odp", "save it as .pptx")])
def test_other_opendocument_types_get_a_hint(name: str, hint: str) -> None:
    assert hint in refused(b"PK\x03\x04 an OpenDocument file", name)


def test_extension_is_case_insensitive(pdf: bytes) -> None:
    assert detect_format("REPORT.PDF", pdf) == "pdf"
    assert parse_document(pdf, "REPORT.PDF").format == "pdf"


def test_random_bytes_named_pdf() -> None:
    data = random.Random(7).randbytes(4096)
    assert refused(data, "scan.pdf") == "not a PDF: the file does not start with a PDF header"


def test_pdf_header_followed_by_garbage() -> None:
    data = b"%PDF-1.7\n" + random.Random(8).randbytes(4096)
    assert refused(data, "garbage.pdf").startswith("PDF is damaged")


@pytest.mark.parametrize("keep", [0.3, 0.6, 0.9])
def test_truncated_pdf(keep: float, pdf: bytes) -> None:
    sample = DOC_SAMPLES / "docling/tests/data/pdf/sources/multi_page.pdf"
    data = sample.read_bytes() if sample.is_file() else pdf
    reason = refused(data[: int(len(data) * keep)], "cut.pdf")
    assert reason.startswith("PDF is damaged")


def test_pdf_encrypted_with_a_user_password(pdf: bytes) -> None:
    writer = pypdf.PdfWriter(clone_from=io.BytesIO(pdf))
    writer.encrypt(user_password="s3cret", owner_password="owner", algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    assert refused(buffer.getvalue(), "locked.pdf") == (
        "PDF is encrypted and cannot be read without a password"
    )


def test_pdf_without_text_layer() -> None:
    writer = pypdf.PdfWriter()
    writer.add_blank_page(width=612, height=792)
    buffer = io.BytesIO()
    writer.write(buffer)
    assert refused(buffer.getvalue(), "blank.pdf") == "no extractable text: the PDF has no text layer"


def test_pdf_of_images_only_reads_as_scanned() -> None:
    writer = pypdf.PdfWriter()
    page = writer.add_blank_page(width=200, height=200)
    image = pypdf.generic.StreamObject()
    image.set_data(b"\x80" * 4)
    image.update(
        {
            pypdf.generic.NameObject("/Type"): pypdf.generic.NameObject("/XObject"),
            pypdf.generic.NameObject("/Subtype"): pypdf.generic.NameObject("/Image"),
            pypdf.generic.NameObject("/Width"): pypdf.generic.NumberObject(2),
            pypdf.generic.NameObject("/Height"): pypdf.generic.NumberObject(2),
            pypdf.generic.NameObject("/ColorSpace"): pypdf.generic.NameObject("/DeviceGray"),
            pypdf.generic.NameObject("/BitsPerComponent"): pypdf.generic.NumberObject(8),
        }
    )
    resources = pypdf.generic.DictionaryObject(
        {
            pypdf.generic.NameObject("/XObject"): pypdf.generic.DictionaryObject(
                {pypdf.generic.NameObject("/Im1"): writer._add_object(image)}
            )
        }
    )
    page[pypdf.generic.NameObject("/Resources")] = resources
    content = pypdf.generic.StreamObject()
    content.set_data(b"q 200 0 0 200 0 0 cm /Im1 Do Q")
    page[pypdf.generic.NameObject("/Contents")] = writer._add_object(content)
    buffer = io.BytesIO()
    writer.write(buffer)
    reason = refused(buffer.getvalue(), "scan.pdf")
    # A 2x2 image has nothing to read, so OCR (where installed) finds nothing either.
    assert reason.startswith("no extractable text: the PDF looks scanned (images only); ")


# The ZIP formats share their refusals (`retrieval.parsing.zip_limits`): each says which
# format it is about and what is wrong.
ZIP_FORMATS: dict[str, tuple[Callable[[], bytes], str, str]] = {
    # extension: (a real file, what a file that is no ZIP is, the start of what a ZIP of
    # something else is)
    "docx": (_docx, "not a DOCX", "not a readable Word document ("),
    "epub": (lambda: make_epub(three_chapters()), "not an EPUB", "EPUB is damaged: its container file"),
    "odt": (
        lambda: make_odt("<text:p>An ordinary paragraph.</text:p>"),
        "not an ODT",
        "not an ODT: the ZIP archive holds no OpenDocument content (content.xml)",
    ),
    "ods": (
        lambda: ods.make_ods(ods.table("Costs", ods.row(ods.cell("Rent"), ods.cell("1200")))),
        "not an ODS",
        "not an ODS: the ZIP archive holds no OpenDocument content (content.xml)",
    ),
    "pptx": (_pptx, "not a PPTX", "not a readable PowerPoint presentation ("),
    "xlsx": (_xlsx, "not an XLSX", "not a readable Excel workbook ("),
}


@pytest.mark.parametrize("extension", sorted(ZIP_FORMATS))
def test_a_zip_format_that_is_not_a_zip(extension: str) -> None:
    reason = refused(b"This is plain text with the wrong name.", f"fake.{extension}")
    assert reason.startswith(f"{ZIP_FORMATS[extension][1]}: the file is not a ZIP archive")


@pytest.mark.parametrize("extension", sorted(ZIP_FORMATS))
def test_a_zip_of_something_else(extension: str) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "hi")
    assert refused(buffer.getvalue(), f"archive.{extension}").startswith(ZIP_FORMATS[extension][2])


@pytest.mark.parametrize("extension", sorted(ZIP_FORMATS))
def test_a_truncated_zip_format_is_damaged(extension: str) -> None:
    data = ZIP_FORMATS[extension][0]()
    reason = refused(data[: len(data) // 2], f"cut.{extension}")
    assert reason.startswith(f"{extension.upper()} is damaged: it is not a readable ZIP archive")


@pytest.mark.parametrize("extension", sorted(ZIP_FORMATS))
def test_a_zip_of_a_version_python_cannot_read_is_refused_with_the_reason(extension: str) -> None:
    data = bytearray(ZIP_FORMATS[extension][0]())
    entry = data.find(b"PK\x01\x02")  # the first central directory entry
    data[entry + 6] = 70  # "version needed to extract": 7.0, past what zipfile reads (6.3)
    reason = refused(bytes(data), f"new.{extension}")
    unreadable = "is damaged: it is not a readable ZIP archive (zip file version 7.0)"
    assert reason == f"{extension.upper()} {unreadable}"


@pytest.mark.parametrize("extension", sorted(ZIP_FORMATS))
def test_a_zip_with_too_many_entries_is_refused_before_it_is_opened(extension: str) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for number in range(zip_limits.MAX_ENTRIES + 1):
            archive.writestr(f"f{number}", b"")
    assert refused(buffer.getvalue(), f"many.{extension}") == (
        f"{extension.upper()} holds 10,001 files, more than the server's limit of 10,000 files"
    )


def test_docx_zip_bomb_is_refused_before_inflating() -> None:
    # 64 MiB of zeros deflate to about 64 KiB: a ratio no real document part has.
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("word/document.xml", "w") as part:
            block = b"\0" * (1 << 20)
            for _ in range(64):
                part.write(block)
    data = buffer.getvalue()
    assert len(data) < 1 << 20
    assert "possible zip bomb" in refused(data, "bomb.docx")


def test_docx_with_entity_expansion_is_not_expanded() -> None:
    # A "billion laughs" document.xml: the parser must neither expand nor hang on it.
    laughs = (
        f'<?xml version="1.0"?>{billion_laughs("lolz")}'
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        "<w:body><w:p><w:r><w:t>&lol9;</w:t></w:r></w:p></w:body></w:document>"
    )
    data = rewritten(_docx(), "word/document.xml", lambda _: laughs.encode())
    try:
        doc = parse_document(data, "laughs.docx")
    except ParseError as error:
        assert str(error)
    else:
        assert len(doc.text) < 10_000


@pytest.mark.parametrize("name", ["a.txt", "a.md", "a.html", "a.csv", "a.eml"])
def test_text_formats_refuse_disguised_binaries(name: str, pdf: bytes) -> None:
    assert "is a PDF" in refused(pdf, name)
    assert "ZIP archive" in refused(_docx(), name)


def test_no_other_exception_escapes_on_random_input() -> None:
    rng = random.Random(42)
    names = [
        "x.txt",
        "x.md",
        "x.html",
        "x.pdf",
        "x.docx",
        "x.odt",
        "x.rtf",
        "x.pptx",
        "x.xlsx",
        "x.xls",
        "x.doc",
        "x.ppt",
        "x.csv",
        "x.eml",
        "x.msg",
    ]
    for name in names:
        for size in (1, 10, 1000, 20_000):
            data = rng.randbytes(size)
            if name.endswith(".pdf"):
                data = b"%PDF-1.4\n" + data
            if name.endswith((".docx", ".odt", ".pptx", ".xlsx")):
                data = b"PK\x03\x04" + data
            if name.endswith(".rtf"):
                data = b"{\\rtf1 " + data
            if name.endswith((".xls", ".doc", ".ppt", ".msg")):
                data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + data
            try:
                doc = parse_document(data, name)
            except ParseError as error:
                assert str(error)
            else:
                assert doc.text.strip()


def test_mangled_real_files_fail_cleanly(pdf: bytes) -> None:
    # Flip bytes in the middle of real files: the parser either copes or explains.
    rng = random.Random(3)
    odt = make_odt("<text:h>Minutes</text:h><text:p>An ordinary paragraph.</text:p>")
    rtf = (
        rb"{\rtf1\ansi{\fonttbl{\f0 Arial;}}\pard\outlinelevel0 Minutes\par\pard An ordinary paragraph.\par}"
    )
    files = [
        ("m.pdf", pdf),
        ("m.docx", _docx()),
        ("m.odt", odt),
        ("m.rtf", rtf),
        ("m.pptx", _pptx()),
        ("m.xlsx", _xlsx()),
        ("m.xls", _xls()),
        ("m.doc", (Path(__file__).parent / "fixtures" / "doc" / "rich.doc").read_bytes()),
        ("m.ppt", gzip.decompress((Path(__file__).parent / "fixtures" / "ppt" / "deck.ppt.gz").read_bytes())),
    ]
    for name, data in files:
        for _ in range(20):
            mangled = bytearray(data)
            for _ in range(8):
                position = rng.randrange(10, len(mangled))
                mangled[position] = rng.randrange(256)
            try:
                doc = parse_document(bytes(mangled), name)
            except ParseError as error:
                assert str(error)
            else:
                assert doc.text.strip()
