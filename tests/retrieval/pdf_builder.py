"""Hand-written PDFs for the parsing tests: pages of positioned text lines in Helvetica or
Helvetica-Bold, optional page labels, outline and raw content, written object by object
with a correct xref table (pypdf's writer cannot typeset text)."""

from __future__ import annotations

import io
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass
class Line:
    text: str
    y: float
    size: float = 10.0
    x: float = 72.0
    bold: bool = False  # Helvetica-Bold instead of Helvetica


@dataclass
class Bookmark:
    title: str
    page: int  # 0-based
    top: float | None = None
    children: list[Bookmark] = field(default_factory=list)


def _escape(text: str) -> bytes:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)").encode("latin-1")


def text_content(lines: Sequence[Line]) -> bytes:
    parts = [
        b"BT /F%d %g Tf 1 0 0 1 %g %g Tm (%s) Tj ET"
        % (2 if ln.bold else 1, ln.size, ln.x, ln.y, _escape(ln.text))
        for ln in lines
    ]
    return b"\n".join(parts)


class PdfWriter:
    def __init__(self) -> None:
        self.objects: list[bytes] = []

    def add(self, body: bytes) -> int:
        self.objects.append(body)
        return len(self.objects)

    def reserve(self) -> int:
        return self.add(b"null")

    def set(self, number: int, body: bytes) -> None:
        self.objects[number - 1] = body

    def stream(self, data: bytes, extra: bytes = b"", *, compress: bool = False) -> int:
        if compress:
            data = zlib.compress(data)
            extra += b" /Filter /FlateDecode"
        return self.add(b"<< /Length %d%s >>\nstream\n" % (len(data), extra) + data + b"\nendstream")

    def write(self, root: int) -> bytes:
        out = io.BytesIO()
        out.write(b"%PDF-1.5\n")
        offsets = []
        for number, body in enumerate(self.objects, start=1):
            offsets.append(out.tell())
            out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
        xref = out.tell()
        out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(self.objects) + 1))
        for offset in offsets:
            out.write(b"%010d 00000 n \n" % offset)
        out.write(
            b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n"
            % (len(self.objects) + 1, root, xref)
        )
        return out.getvalue()


def build_pdf(
    pages: Sequence[Sequence[Line] | bytes],
    *,
    page_labels: bytes | None = None,
    outline: list[Bookmark] | None = None,
    images: dict[int, tuple[int, int, bytes]] | None = None,
    compress: bool = False,
    info_title: str | None = None,
    rotate: int = 0,
) -> bytes:
    """A PDF of letter-size pages. A page is text lines, or raw content-stream bytes.
    ``images`` maps a page index to a grayscale image (width, height, pixels) drawn over
    the whole page as /Im1. ``page_labels`` is the /Nums array's inside. ``rotate`` is every
    page's /Rotate (degrees clockwise when shown)."""
    writer = PdfWriter()
    catalog = writer.reserve()
    tree = writer.reserve()
    font, bold = (
        writer.add(b"<< /Type /Font /Subtype /Type1 /BaseFont /%s /Encoding /WinAnsiEncoding >>" % name)
        for name in (b"Helvetica", b"Helvetica-Bold")
    )
    page_numbers = []
    for index, page in enumerate(pages):
        content = page if isinstance(page, bytes) else text_content(page)
        xobjects = b""
        if images and index in images:
            width, height, pixels = images[index]
            packed = zlib.compress(pixels)
            image = writer.add(
                b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray "
                b"/BitsPerComponent 8 /Filter /FlateDecode /Length %d >>\nstream\n"
                % (width, height, len(packed))
                + packed
                + b"\nendstream"
            )
            xobjects = b" /XObject << /Im1 %d 0 R >>" % image
            content = b"q 612 0 0 792 0 0 cm /Im1 Do Q\n" + content
        stream = writer.stream(content, compress=compress)
        page_numbers.append(
            writer.add(
                b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 612 792]%s "
                b"/Resources << /Font << /F1 %d 0 R /F2 %d 0 R >>%s >> /Contents %d 0 R >>"
                % (tree, b" /Rotate %d" % rotate if rotate else b"", font, bold, xobjects, stream)
            )
        )
    kids = b" ".join(b"%d 0 R" % n for n in page_numbers)
    writer.set(tree, b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, len(page_numbers)))
    extra = b""
    if page_labels is not None:
        extra += b" /PageLabels << /Nums [%s] >>" % page_labels
    if outline:
        root = writer.reserve()
        first, last = _bookmarks(writer, outline, root, page_numbers)
        writer.set(
            root, b"<< /Type /Outlines /First %d 0 R /Last %d 0 R /Count %d >>" % (first, last, len(outline))
        )
        extra += b" /Outlines %d 0 R /PageMode /UseOutlines" % root
    writer.set(catalog, b"<< /Type /Catalog /Pages %d 0 R%s >>" % (tree, extra))
    if info_title is not None:
        info = writer.add(b"<< /Title (%s) >>" % _escape(info_title))
        data = writer.write(catalog)
        return data.replace(b"/Root %d 0 R >>" % catalog, b"/Root %d 0 R /Info %d 0 R >>" % (catalog, info))
    return writer.write(catalog)


def _bookmarks(writer: PdfWriter, items: list[Bookmark], parent: int, pages: list[int]) -> tuple[int, int]:
    numbers = [writer.reserve() for _ in items]
    for i, (item, number) in enumerate(zip(items, numbers, strict=True)):
        top = b"%g" % item.top if item.top is not None else b"null"
        body = b"<< /Title (%s) /Parent %d 0 R /Dest [%d 0 R /XYZ 0 %s 0]" % (
            _escape(item.title),
            parent,
            pages[item.page],
            top,
        )
        if i > 0:
            body += b" /Prev %d 0 R" % numbers[i - 1]
        if i + 1 < len(items):
            body += b" /Next %d 0 R" % numbers[i + 1]
        if item.children:
            first, last = _bookmarks(writer, item.children, number, pages)
            body += b" /First %d 0 R /Last %d 0 R /Count %d" % (first, last, len(item.children))
        writer.set(number, body + b" >>")
    return numbers[0], numbers[-1]


# A page as a scanner delivers it: pixels only, its text read back by OCR.
SCANNED_TEXT = ["The quick brown fox jumps over the lazy dog.", "Invoice number 4711 is due in March."]


def scanned_page_pixels(text_lines: list[str]) -> tuple[int, int, bytes]:
    """A page image with printed text, for `build_pdf(images=...)`: a text PDF (each line at
    18 pt, the first at y = 700 and every next one 30 pt lower) rendered to gray pixels by
    PDFium at 200 dpi, so drawn over a whole letter page it prints the lines where they were."""
    import pypdfium2

    source = build_pdf([[Line(t, 700 - 30 * i, 18) for i, t in enumerate(text_lines)]])
    document = pypdfium2.PdfDocument(source)
    bitmap = document[0].render(scale=200 / 72, grayscale=True)
    array = bitmap.to_numpy()
    pixels = array.reshape(array.shape[0], array.shape[1], -1)[:, :, 0].copy()
    document.close()
    return pixels.shape[1], pixels.shape[0], pixels.tobytes()
