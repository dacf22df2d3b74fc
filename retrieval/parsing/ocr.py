"""OCR of PDF pages that have no text layer (scans, faxes, photographed pages).

The page is rendered by PDFium (pypdfium2), so whatever the scan is made of (one JPEG,
CCITT strips, an image inside a form XObject) it becomes one grayscale bitmap, and the
bitmap is read by the Tesseract binary (Debian's ``tesseract-ocr``) in a subprocess.
Both are bounded: the bitmap has at most MAX_PIXELS pixels, and Tesseract gets a time
limit per page and one thread (the machine's cores are shared with the web process and
the encoder). Where Tesseract is not installed, ``tesseract_available`` says so and the
PDF parser warns per page instead of reading it.

``ocr_words`` reads the same page as words with their boxes: the page viewer
(``retrieval.pages.render``) highlights a quote from an OCR'd page with them, as PDFium's
characters cannot place it there.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import threading
from dataclasses import dataclass

import numpy as np
import pypdfium2

# 300 dpi is what Tesseract is trained for; smaller text loses accuracy fast below it.
OCR_DPI = 300
# A letter page at 300 dpi is 8.4 Mpixel; a poster-sized page is scaled down to this.
MAX_PIXELS = 25_000_000
PAGE_TIMEOUT_SECONDS = 60
OCR_LANGUAGES = "eng"  # Debian's tesseract-ocr ships English (and the script-detection model)
# A rendered page whose darkest pixel is this light has nothing on it to read.
_BLANK_LEVEL = 200
# PDFium is not thread-safe; the embedded ingestion thread and any other user share it.
_PDFIUM_LOCK = threading.Lock()


class OcrError(Exception):
    """A page could not be read by OCR; ``str(error)`` says why."""


@functools.cache
def _tesseract_path() -> str | None:
    return shutil.which("tesseract")


def tesseract_available() -> bool:
    return _tesseract_path() is not None


class PageRenderer:
    """One PDF opened by PDFium, for rendering pages to OCR (opened once per document)."""

    def __init__(self, data: bytes) -> None:
        with _PDFIUM_LOCK:
            try:
                self._document = pypdfium2.PdfDocument(data)
            except pypdfium2.PdfiumError as error:
                raise OcrError(f"the page cannot be rendered ({error})") from error

    def close(self) -> None:
        with _PDFIUM_LOCK:
            self._document.close()

    def grayscale(self, index: int) -> np.ndarray:
        """Page ``index`` (0-based) as a 2-D uint8 array at OCR_DPI (or fewer pixels)."""
        with _PDFIUM_LOCK:
            try:
                page = self._document[index]
                try:
                    return render_grayscale(page)
                finally:
                    page.close()
            except pypdfium2.PdfiumError as error:
                raise OcrError(f"the page cannot be rendered ({error})") from error


def render_grayscale(page: pypdfium2.PdfPage) -> np.ndarray:
    """The page as a 2-D uint8 array at OCR_DPI (or fewer pixels), as OCR reads it. The
    caller holds PDFium for itself (PDFium is not thread-safe)."""
    width, height = page.get_size()  # points, 1/72 inch
    scale = OCR_DPI / 72
    pixels = width * height * scale * scale
    if pixels > MAX_PIXELS:
        scale *= (MAX_PIXELS / pixels) ** 0.5
    bitmap = page.render(scale=scale, grayscale=True)
    array = np.array(bitmap.to_numpy(), copy=True)
    return array.reshape(array.shape[0], array.shape[1], -1)[:, :, 0]


@dataclass(frozen=True)
class OcrWord:
    """A word Tesseract read, with its box in the image's pixels."""

    text: str
    left: int
    top: int
    width: int
    height: int
    line: tuple[int, int, int]  # (block, paragraph, line): the words of one line share it


def ocr_image(image: np.ndarray, *, timeout: float = PAGE_TIMEOUT_SECONDS, dpi: int = OCR_DPI) -> str:
    """The text Tesseract reads in a grayscale image; "" for a blank one."""
    return _tesseract(image, timeout, dpi)


def ocr_words(
    image: np.ndarray, *, timeout: float = PAGE_TIMEOUT_SECONDS, dpi: int = OCR_DPI
) -> list[OcrWord]:
    """The words Tesseract reads in a grayscale image, in reading order, with their boxes
    (its TSV output: the same recognition as `ocr_image`'s text); [] for a blank image."""
    words = []
    for row in _tesseract(image, timeout, dpi, "tsv").splitlines()[1:]:
        fields = row.split("\t")
        # level 5 is a word; the columns: level, page, block, paragraph, line, word, left,
        # top, width, height, confidence, text.
        if len(fields) != 12 or fields[0] != "5" or not fields[11].strip():
            continue
        try:
            block, paragraph, line, left, top, width, height = (int(fields[i]) for i in (2, 3, 4, 6, 7, 8, 9))
        except ValueError:
            continue
        words.append(OcrWord(fields[11], left, top, width, height, (block, paragraph, line)))
    return words


def _tesseract(image: np.ndarray, timeout: float, dpi: int, *configs: str) -> str:
    """Tesseract's output for a grayscale image (plain text, or what `configs` ask for);
    "" for a blank image."""
    tesseract = _tesseract_path()
    if tesseract is None:
        raise OcrError("Tesseract is not installed")
    if image.size == 0 or int(image.min()) >= _BLANK_LEVEL:
        return ""
    height, width = image.shape
    # A binary PGM on stdin: no temporary file, and Leptonica reads it without any codec.
    pgm = b"P5\n%d %d\n255\n" % (width, height) + np.ascontiguousarray(image, dtype=np.uint8).tobytes()
    command = [tesseract, "stdin", "stdout", "-l", OCR_LANGUAGES, "--dpi", str(dpi), "--psm", "3", *configs]
    environment = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    try:
        result = subprocess.run(
            command, input=pgm, capture_output=True, timeout=max(1.0, timeout), env=environment, check=False
        )
    except subprocess.TimeoutExpired as error:
        raise OcrError(f"OCR took longer than {timeout:.0f} s") from error
    except OSError as error:
        raise OcrError(f"Tesseract could not be started ({error})") from error
    if result.returncode != 0:
        message = result.stderr.decode("utf-8", "replace").strip().splitlines()
        raise OcrError(f"Tesseract failed ({message[-1] if message else f'exit {result.returncode}'})")
    return result.stdout.decode("utf-8", "replace")
