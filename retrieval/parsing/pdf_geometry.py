"""Where each string a PDF page shows starts and ends, read beside pypdf's text extraction.

pypdf gives a page's text line by line and joins the strings of one line with single
spaces, so "Net sales      81,797      82,959" arrives as "Net sales 81,797 82,959": the
column gaps that make a table are gone. ``RunTracker`` follows the same content stream
through pypdf's operator visitor and measures each shown string ("run") with the font's
glyph widths, as pypdf itself does to decide where spaces go: its left and right edges on
the page, and its text as pypdf extracts it, so the runs can be laid over pypdf's lines.

Measuring uses pypdf's ``Font`` (the class its own extraction builds from a font
dictionary: encodings, ToUnicode maps, widths, the standard 14 fonts' metrics). It lives
in a private module of pypdf, pinned in requirements.txt; if it moves, ``fonts_available``
is False and PDFs are read as before, without table rows (tests/retrieval say so loudly).

Geometry is reported only where it can be trusted: strings drawn inside form XObjects (own
resources), rotated or skewed text, and fonts that cannot be read make the runs of their
line unknown (None), never a guess.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

try:  # pypdf's own font model; private, see the module docstring
    from pypdf.generic._font import Font
except ImportError:  # pragma: no cover - only after a pypdf upgrade moved it
    Font = None  # type: ignore[assignment,misc]

fonts_available = Font is not None

# pypdf's extract_text default for a font whose space glyph has no width (1/1000 em).
_DEFAULT_SPACE_WIDTH = 200.0
_SHOW = frozenset({b"Tj", b"TJ", b"'", b'"'})
_MOVE = frozenset({b"BT", b"Td", b"TD", b"Tm", b"T*", b"'", b'"'})
# Every operator the tracker acts on; pypdf calls it for all of them (paths, colours...).
_TRACKED = _SHOW | _MOVE | {b"Do", b"q", b"Q", b"Tf", b"Tc", b"Tw", b"Tz"}


class Run(NamedTuple):
    """One shown string: its horizontal extent on the page, in points, and its text.
    (A named tuple: a page makes thousands, and a frozen dataclass is slower to build.)"""

    x0: float
    x1: float
    text: str
    size: float  # the font size on the page, in points
    bold: bool = False  # set in a bold face (by its name, weight or ForceBold flag)


@dataclass(frozen=True)
class Cell:
    """Runs of a line close enough to read as one table cell: their extent and text."""

    x0: float
    x1: float
    text: str
    bold: bool = False  # all its runs are bold


@dataclass
class _TextState:
    font: Any = None  # a pypdf Font, or None when unknown
    size: float = 0.0
    char_spacing: float = 0.0  # Tc
    word_spacing: float = 0.0  # Tw
    scale: float = 1.0  # Tz / 100

    def copy(self) -> _TextState:
        return _TextState(self.font, self.size, self.char_spacing, self.word_spacing, self.scale)


class RunTracker:
    """Collects the runs of a page as pypdf's extraction visits its operators.

    Hook ``before`` and ``after`` as pypdf's ``visitor_operand_before`` and
    ``visitor_operand_after``; call ``take`` from the text visitor to get the runs shown
    since the previous call (the strings of the text pypdf hands over then).
    """

    def __init__(self, page: Any) -> None:
        self._page = page
        self._fonts: dict[str, Any] = {}
        self._measured: dict[tuple[int, bytes | str], tuple[float, int, int, str, bool]] = {}
        self._state = _TextState()
        self._stack: list[_TextState] = []
        self._advance = 0.0  # text-space advance since the last positioning operator
        self._forms = 0  # depth inside form XObjects, whose fonts are their own
        self._runs: list[Run] = []
        self._unknown = False

    def take(self) -> list[Run] | None:
        """The runs since the last call, or None when any of them could not be measured."""
        runs, unknown = self._runs, self._unknown
        self._runs, self._unknown = [], False
        return None if unknown else runs

    def space_width(self) -> float | None:
        """The current font's space width (thousandths of an em) as pypdf's extraction takes
        it; None when the font is unknown, or inside a form XObject, whose fonts are its own."""
        font = self._state.font
        return None if font is None or self._forms else float(font.space_width)

    def before(self, operator: bytes, operands: list[Any], cm: Any, tm: Any) -> None:
        if operator == b"Do":
            self._forms += 1

    def after(self, operator: bytes, operands: list[Any], cm: Any, tm: Any) -> None:
        if operator not in _TRACKED:
            return
        try:
            self._operator(operator, operands, cm, tm)
        except (TypeError, ValueError, IndexError, KeyError, AttributeError, ZeroDivisionError):
            self._unknown = True  # a malformed operator: no geometry for its line

    def _operator(self, operator: bytes, operands: list[Any], cm: Any, tm: Any) -> None:
        state = self._state
        if operator == b"Do":
            self._forms = max(0, self._forms - 1)
        elif operator == b"q":
            self._stack.append(state.copy())
        elif operator == b"Q":
            if self._stack:
                self._state = self._stack.pop()
        elif operator == b"Tf":
            state.font = self._font(operands[0])
            state.size = float(operands[1])
        elif operator == b"Tc":
            state.char_spacing = float(operands[0])
        elif operator == b"Tw":
            state.word_spacing = float(operands[0])
        elif operator == b"Tz":
            state.scale = float(operands[0]) / 100
        if operator == b'"':
            state.word_spacing, state.char_spacing = float(operands[0]), float(operands[1])
        if operator in _MOVE:
            self._advance = 0.0
        if operator not in _SHOW:
            return
        if self._forms or state.font is None or abs(float(tm[1])) > 1e-6 or abs(float(cm[1])) > 1e-6:
            self._unknown = True  # a form's own fonts, an unreadable font, or rotated text
            return
        # The page x of the text-space point (advance, 0) is slope * advance + origin.
        slope = float(tm[0]) * float(cm[0]) + float(tm[1]) * float(cm[2])
        origin = float(tm[4]) * float(cm[0]) + float(tm[5]) * float(cm[2]) + float(cm[4])
        size = state.size * abs(float(tm[3]) * float(cm[3]))
        if operator == b"TJ":
            for item in operands[0]:
                if isinstance(item, (bytes, str)):
                    self._show(item, slope, origin, size)
                else:  # a number moves the pen back by thousandths of an em
                    self._advance -= float(item) / 1000 * state.size * state.scale
        else:
            self._show(operands[-1], slope, origin, size)

    def _show(self, string: bytes | str, slope: float, origin: float, size: float) -> None:
        state = self._state
        glyphs, count, spaces, display, bold = self._measure(state.font, string)
        width = glyphs / 1000 * state.size + state.char_spacing * count + state.word_spacing * spaces
        start = self._advance
        self._advance += width * state.scale
        x0, x1 = slope * start + origin, slope * self._advance + origin
        self._runs.append(Run(min(x0, x1), max(x0, x1), display, size, bold))

    def _measure(self, font: Any, string: bytes | str) -> tuple[float, int, int, str, bool]:
        """A string's glyph widths (thousandths of an em), glyph and word-space counts,
        text as pypdf extracts it, and boldness; cached, since words recur on every page."""
        key = (id(font), string)
        measured = self._measured.get(key)
        if measured is None:
            text, raw = _decode(font, string)
            # Font.get_text_width, inlined: this runs for every string a page shows.
            widths, space, space_width = font.character_widths, font.space_char, font.space_width
            default = widths["default"]
            glyphs = sum(space_width if char == space else widths.get(char, default) for char in raw)
            spaces = raw.count(" ") if isinstance(string, bytes) else 0  # Tw applies to byte 32
            mapping = font.character_map
            display = "".join(mapping.get(char, char) for char in text) if mapping else text
            measured = self._measured[key] = (glyphs, len(raw), spaces, display, _is_bold(font))
        return measured

    def _font(self, name: Any) -> Any:
        key = str(name)
        if key not in self._fonts:
            self._fonts[key] = _load_font(self._page, key)
        return self._fonts[key]


def _load_font(page: Any, name: str) -> Any:
    if Font is None:
        return None
    try:
        resource = page["/Resources"].get_object()["/Font"].get_object()[name].get_object()
        font = Font.from_font_resource(resource)
    except Exception:  # a missing or broken font costs the geometry of its lines only
        return None
    if font.character_widths.get(font.space_char, 0) == 0:
        font.space_width = _DEFAULT_SPACE_WIDTH  # as pypdf's extraction does
    return font


_BOLD_NAMES = ("bold", "black", "heavy", "semibold", "demi")
_FORCE_BOLD = 1 << 18  # /Flags bit 19 of a font descriptor


def _is_bold(font: Any) -> bool:
    descriptor = font.font_descriptor
    names = f"{font.name} {descriptor.weight}".casefold()
    return any(word in names for word in _BOLD_NAMES) or bool(int(descriptor.flags) & _FORCE_BOLD)


def _decode(font: Any, string: bytes | str) -> tuple[str, str]:
    """The string's characters as pypdf decodes them, and the codes its widths are keyed by."""
    if isinstance(string, str):
        return string, string
    if isinstance(font.encoding, str):
        try:
            text = string.decode(font.encoding, "surrogatepass")
        except UnicodeDecodeError:
            text = string.decode(font.encoding, "replace")
        return text, text
    text = "".join(font.encoding.get(byte, chr(byte)) for byte in string)
    return text, "".join(chr(byte) for byte in string)
