"""EPUB: the spine's reading order through the HTML reader, the title from dc:title, and
refusals with a reason for DRM, damage and archives past the server's limits. Small books
are built here with zipfile; one real book comes from the shared doc-samples."""

from __future__ import annotations

import io
import struct
import time
import zipfile

import pytest

from retrieval.document import ParsedDocument
from retrieval.parsing import detect_format, epub, parse_document, zip_limits
from tests.conftest import SHARED_DATA, needs_shared_data
from tests.retrieval.conftest import refusal
from tests.retrieval.zip_builder import billion_laughs, rewritten

WINTER_SPORTS = SHARED_DATA / "doc-samples" / "unstructured" / "example-docs" / "winter-sports.epub"
CONTAINER = (
    '<?xml version="1.0"?>'
    '<container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">'
    '<rootfiles><rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/>'
    "</rootfiles></container>"
)
DRM = "http://www.w3.org/2001/04/xmlenc#aes128-cbc"
IDPF_OBFUSCATION = "http://www.idpf.org/2008/embedding"
ADOBE_OBFUSCATION = "http://ns.adobe.com/pdf/enc#RC"


def chapter(body: str, title: str = "Chapter") -> str:
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE html>\n'
        '<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops">'
        f"<head><title>{title}</title><link rel='stylesheet' href='style.css'/></head>"
        f"<body>{body}</body></html>"
    )


def make_epub(
    chapters: list[tuple[str, str, str | None]],
    *,
    spine: list[str] | None = None,
    title: str = "The Book of Tests",
    container: str | None = CONTAINER,
    encryption: str | None = None,
    extra: dict[str, bytes] | None = None,
) -> bytes:
    """An EPUB whose manifest lists ``chapters`` (id, href relative to OEBPS/, XHTML or None
    for a chapter missing from the archive) in the order given, read in ``spine`` order
    (ids; the manifest order by default)."""
    items = "".join(
        f'<item id="{item_id}" href="{href}" media-type="application/xhtml+xml"/>'
        for item_id, href, _ in chapters
    )
    itemrefs = "".join(f'<itemref idref="{item_id}"/>' for item_id in spine or [c[0] for c in chapters])
    opf = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<package xmlns="http://www.idpf.org/2007/opf" version="3.0" unique-identifier="uid">'
        '<metadata xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f'<dc:identifier id="uid">urn:uuid:1234</dc:identifier><dc:title>{title}</dc:title>'
        "<dc:language>en</dc:language></metadata>"
        f'<manifest><item id="css" href="style.css" media-type="text/css"/>{items}</manifest>'
        f"<spine>{itemrefs}</spine></package>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), "application/epub+zip")  # stored, first
        if container is not None:
            archive.writestr("META-INF/container.xml", container)
        if encryption is not None:
            archive.writestr("META-INF/encryption.xml", encryption)
        archive.writestr("OEBPS/content.opf", opf)
        archive.writestr("OEBPS/style.css", "p { margin: 0 }")
        for _, href, xhtml in chapters:
            if xhtml is not None:
                archive.writestr(f"OEBPS/{href}", xhtml)
        for name, body in (extra or {}).items():
            archive.writestr(name, body)
    return buffer.getvalue()


def encryption_xml(*entries: tuple[str, str]) -> str:
    """META-INF/encryption.xml encrypting each (algorithm, path) of ``entries``."""
    data = "".join(
        "<enc:EncryptedData>"
        f'<enc:EncryptionMethod Algorithm="{algorithm}"/>'
        f'<enc:CipherData><enc:CipherReference URI="{path}"/></enc:CipherData>'
        "</enc:EncryptedData>"
        for algorithm, path in entries
    )
    return (
        '<?xml version="1.0"?><encryption xmlns="urn:oasis:names:tc:opendocument:xmlns:container" '
        f'xmlns:enc="http://www.w3.org/2001/04/xmlenc#">{data}</encryption>'
    )


def three_chapters() -> list[tuple[str, str, str | None]]:
    return [
        ("one", "ch1.xhtml", chapter("<h2>First chapter</h2><p>The first chapter begins here.</p>")),
        ("two", "ch2.xhtml", chapter("<h2>Second chapter</h2><p>The second chapter follows it.</p>")),
        ("three", "ch3.xhtml", chapter("<h2>Third chapter</h2><p>The third chapter ends the book.</p>")),
    ]


def parse(data: bytes, name: str = "book.epub") -> ParsedDocument:
    return parse_document(data, name)


def refused(data: bytes, name: str = "book.epub") -> str:
    return refusal(data, name)


def test_epub_is_a_supported_format() -> None:
    data = make_epub(three_chapters())
    assert detect_format("Book.EPUB", data) == "epub"
    doc = parse(data)
    assert doc.format == "epub"
    assert doc.filename == "book.epub"
    assert doc.page_count is None
    assert all(section.page is None for section in doc.sections)  # reflowable: no pages
    assert doc.warnings == ()


def test_the_spine_order_is_the_reading_order_not_the_manifest_order() -> None:
    doc = parse(make_epub(three_chapters(), spine=["three", "one", "two"]))
    third = doc.text.index("The third chapter ends the book.")
    first = doc.text.index("The first chapter begins here.")
    second = doc.text.index("The second chapter follows it.")
    assert third < first < second


def test_a_chapter_listed_twice_in_the_spine_is_read_once() -> None:
    doc = parse(make_epub(three_chapters(), spine=["one", "two", "one", "three"]))
    assert doc.text.count("The first chapter begins here.") == 1


def test_headings_across_chapters_become_the_sections_in_order() -> None:
    chapters: list[tuple[str, str, str | None]] = [
        ("p1", "part1.xhtml", chapter("<h1>Part One</h1><h2>Arrival</h2><p>We came by the night train.</p>")),
        ("p2", "part2.xhtml", chapter("<h2>Departure</h2><p>We left in the morning.</p>")),
        ("p3", "part3.xhtml", chapter("<h1>Part Two</h1><p>Years later.</p>")),
    ]
    doc = parse(make_epub(chapters))
    paths = [section.heading_path for section in doc.sections]
    assert paths == [
        ("Part One",),
        ("Part One", "Arrival"),
        ("Part One", "Departure"),
        ("Part Two",),
    ]
    assert doc.text == (
        "Part One\n\nArrival\n\nWe came by the night train.\n\nDeparture\n\nWe left in the morning."
        "\n\nPart Two\n\nYears later."
    )


def test_paragraphs_lists_tables_and_hidden_text_read_as_in_html() -> None:
    body = (
        "<h1>Appendix</h1><p>Prices in <em>1913</em>:</p>"
        "<table><thead><tr><th>Resort</th><th>Francs</th></tr></thead>"
        "<tbody><tr><td>Davos</td><td>12</td></tr><tr><td>Mürren</td><td>10</td></tr></tbody></table>"
        "<ul><li>Skates</li><li>Skis</li></ul>"
        "<nav epub:type='toc'><ol><li>Navigation only</li></ol></nav>"
        "<script>var hidden = 1;</script><p style='display:none'>Invisible.</p>"
    )
    doc = parse(make_epub([("a", "appendix.xhtml", chapter(body))]))
    assert doc.text == (
        "Appendix\n\nPrices in 1913:\n\nResort | Francs\nDavos | 12\nMürren | 10\n\n- Skates\n\n- Skis"
    )
    (table,) = doc.tables
    assert [doc.text[row.start : row.end] for row in table.rows if row.header] == ["Resort | Francs"]


def test_the_title_is_dc_title() -> None:
    doc = parse(make_epub(three_chapters(), title="Winter Sports in Switzerland"))
    assert doc.title == "Winter Sports in Switzerland"


def test_a_placeholder_dc_title_is_no_title() -> None:
    assert parse(make_epub(three_chapters(), title="Untitled")).title is None
    assert parse(make_epub(three_chapters(), title="book.epub")).title is None


def test_a_missing_chapter_is_skipped_with_a_warning_and_the_rest_is_read() -> None:
    chapters = three_chapters()
    chapters[1] = ("two", "ch2.xhtml", None)
    doc = parse(make_epub(chapters))
    assert doc.warnings == ("chapter OEBPS/ch2.xhtml: missing from the archive",)
    assert "The first chapter begins here." in doc.text
    assert "The third chapter ends the book." in doc.text
    assert "second" not in doc.text


def test_a_spine_entry_missing_from_the_manifest_is_warned_about() -> None:
    doc = parse(make_epub(three_chapters(), spine=["one", "ghost", "two", "three"]))
    assert doc.warnings == ("spine entry 'ghost': not in the package's manifest",)
    assert "The third chapter ends the book." in doc.text


def test_a_book_whose_chapters_are_all_missing_has_no_text() -> None:
    reason = refused(make_epub([("one", "ch1.xhtml", None), ("two", "ch2.xhtml", None)]))
    assert reason == (
        "no text was read: no chapter of the book could be read (chapter OEBPS/ch1.xhtml: missing "
        "from the archive; chapter OEBPS/ch2.xhtml: missing from the archive)"
    )


def test_a_book_of_images_only_has_no_text() -> None:
    cover = chapter("<div><img src='cover.jpg' alt=''/></div>")
    reason = refused(make_epub([("cover", "cover.xhtml", cover)]))
    assert reason.startswith("no text was read: the book's chapters hold no text")


def test_hrefs_are_percent_decoded_and_resolved_from_the_package_folder() -> None:
    container = CONTAINER.replace("OEBPS/content.opf", "OEBPS/package/content.opf")
    xhtml = chapter("<p>A chapter with a space in its name.</p>")
    data = make_epub(
        [("c", "../Text/My%20Chapter.xhtml#start", None)],
        container=container,
        extra={"OEBPS/Text/My Chapter.xhtml": xhtml.encode()},
    )
    # make_epub wrote the package at OEBPS/content.opf: move it where the container says.
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for info in source.infolist():
            name = "OEBPS/package/content.opf" if info.filename == "OEBPS/content.opf" else info.filename
            archive.writestr(name, source.read(info))
    doc = parse(buffer.getvalue())
    assert doc.text == "A chapter with a space in its name."
    assert doc.warnings == ()


def test_drm_encrypted_chapters_are_refused() -> None:
    data = make_epub(
        three_chapters(),
        encryption=encryption_xml((DRM, "OEBPS/ch1.xhtml"), (DRM, "OEBPS/ch2.xhtml")),
    )
    reason = refused(data)
    assert reason.startswith("EPUB is DRM-protected (encrypted) and cannot be read; ")
    assert "OEBPS/ch1.xhtml" in reason


@pytest.mark.parametrize("algorithm", [IDPF_OBFUSCATION, ADOBE_OBFUSCATION])
def test_font_obfuscation_alone_is_not_drm(algorithm: str) -> None:
    data = make_epub(
        three_chapters(),
        encryption=encryption_xml((algorithm, "OEBPS/fonts/Serif.otf")),
        extra={"OEBPS/fonts/Serif.otf": b"\x00\x01obfuscated font bytes"},
    )
    doc = parse(data)
    assert "The second chapter follows it." in doc.text
    assert doc.warnings == ()


def test_an_obfuscated_font_beside_an_encrypted_chapter_is_still_drm() -> None:
    encryption = encryption_xml((IDPF_OBFUSCATION, "OEBPS/fonts/Serif.otf"), (DRM, "OEBPS/ch3.xhtml"))
    assert refused(make_epub(three_chapters(), encryption=encryption)).startswith("EPUB is DRM-protected")


def test_an_end_record_that_understates_the_entries_does_not_hide_them() -> None:
    # zipfile reads the whole central directory whatever count the end record gives.
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for number in range(zip_limits.MAX_ENTRIES + 1):
            archive.writestr(f"f{number}", b"")
    data = bytearray(buffer.getvalue())
    end = data.rfind(b"PK\x05\x06")
    struct.pack_into("<HH", data, end + 8, 1, 1)
    assert refused(bytes(data)) == "EPUB holds 10,001 files, more than the server's limit of 10,000 files"


def test_a_central_directory_too_large_for_its_entries_is_refused_before_it_is_read() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("mimetype", b"application/epub+zip")
    data = bytearray(buffer.getvalue())
    end = data.rfind(b"PK\x05\x06")
    struct.pack_into("<L", data, end + 12, 64 * 2**20)  # a 64 MiB file list
    assert refused(bytes(data)).startswith("EPUB holds a 65,536 KiB file list, more than the server's limit")


def _declare_size(data: bytes, member: str, size: int) -> bytes:
    """``data`` with ``member``'s uncompressed size in the central directory set to ``size``."""
    patched = bytearray(data)
    header = patched.find(b"PK\x01\x02")
    while header >= 0:
        name_length = struct.unpack_from("<H", patched, header + 28)[0]
        if patched[header + 46 : header + 46 + name_length] == member.encode():
            struct.pack_into("<L", patched, header + 24, size)
            return bytes(patched)
        header = patched.find(b"PK\x01\x02", header + 4)
    raise AssertionError(f"{member} not in the archive")


def test_a_declared_unzipped_size_past_the_limit_is_refused_before_inflating() -> None:
    data = _declare_size(make_epub(three_chapters()), "OEBPS/ch2.xhtml", 300 * 2**20)
    assert refused(data) == (
        "EPUB expands to 300 MiB when unzipped, more than the server's limit of 256 MiB (possible zip bomb)"
    )


def test_a_member_that_inflates_past_its_declared_size_is_cut_there() -> None:
    # A bomb that lies about its size is never inflated past what it declares: the chapter
    # fails its checksum and is skipped, the rest of the book is read.
    chapters = three_chapters()
    chapters[1] = ("two", "ch2.xhtml", chapter("<p>" + "ha " * 2_000_000 + "</p>"))
    data = _declare_size(make_epub(chapters), "OEBPS/ch2.xhtml", 1024)
    doc = parse(data)
    (warning,) = doc.warnings
    assert warning.startswith("chapter OEBPS/ch2.xhtml: damaged in the archive")
    assert "The third chapter ends the book." in doc.text and "ha ha" not in doc.text


def test_a_member_past_the_per_file_limit_is_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(epub, "MAX_MEMBER_BYTES", 2**20)
    chapters = three_chapters()
    chapters[0] = ("one", "ch1.xhtml", chapter("<p>" + "snow " * 500_000 + "</p>"))
    doc = parse(make_epub(chapters))
    assert doc.warnings == (
        "chapter OEBPS/ch1.xhtml: 2 MiB when unzipped, more than the server's limit of 1 MiB for one "
        "file of the book",
    )
    assert "The second chapter follows it." in doc.text


@pytest.mark.parametrize(
    ("container", "expected"),
    [
        (None, "EPUB is damaged: its container file META-INF/container.xml is missing from the archive"),
        (
            "this is not XML at all",
            "EPUB is damaged: its container file META-INF/container.xml is not readable XML",
        ),
        (
            CONTAINER.replace('full-path="OEBPS/content.opf" ', ""),
            "EPUB is damaged: META-INF/container.xml names no package document (rootfile)",
        ),
        (
            CONTAINER.replace("OEBPS/content.opf", "OEBPS/missing.opf"),
            "EPUB is damaged: its package document OEBPS/missing.opf is missing from the archive",
        ),
    ],
)
def test_a_broken_container_is_refused_with_the_reason(container: str | None, expected: str) -> None:
    assert refused(make_epub(three_chapters(), container=container)) == expected


def test_a_package_without_a_spine_is_damaged() -> None:
    data = rewritten(
        make_epub(three_chapters()),
        "OEBPS/content.opf",
        lambda opf: opf.replace(b"<spine>", b"<notspine>").replace(b"</spine>", b"</notspine>"),
    )
    assert refused(data) == "EPUB is damaged: its package document has no spine (reading order)"


def test_entities_in_the_package_are_not_expanded() -> None:
    # A "billion laughs" title: libxml2 stops at its amplification limit, and the refusal
    # says it is the server's limit, not damage.
    laughs = billion_laughs("package")
    data = rewritten(
        make_epub(three_chapters(), title="&lol9;"),
        "OEBPS/content.opf",
        lambda opf: opf.replace(b"?>", b"?>" + laughs.encode(), 1),
    )
    began = time.monotonic()
    reason = refused(data)
    assert time.monotonic() - began < 5
    assert reason == (
        "EPUB cannot be read: its package document OEBPS/content.opf goes past the server's limits "
        "for XML (nesting depth, entity expansion or text size)"
    )


@needs_shared_data("doc-samples")
def test_a_real_book_reads_in_spine_order_with_its_chapters_as_sections() -> None:
    doc = parse_document(WINTER_SPORTS.read_bytes(), WINTER_SPORTS.name)
    assert doc.format == "epub"
    assert doc.title == "Winter Sports in Switzerland"
    assert doc.warnings == ()
    assert (
        "There is an amazingly silly proverb which quite mistakenly tells us that “seeing is believing.”"
        in doc.text
    )
    chapters = [path[1] for path in (s.heading_path for s in doc.sections) if len(path) > 1]
    first, last = (
        chapters.index("CHAPTER I THE SUN-SEEKER"),
        chapters.index("CHAPTER VIII FOR PARENTS AND GUARDIANS"),
    )
    assert first < chapters.index("CHAPTER IV TOBOGGANING") < last
    proverb = doc.text.index("There is an amazingly silly proverb")
    (section,) = [s for s in doc.sections if s.start <= proverb < s.end]
    assert section.heading_path == ("WINTER SPORTS IN SWITZERLAND", "CHAPTER I THE SUN-SEEKER")
    assert all(s.page is None for s in doc.sections)
