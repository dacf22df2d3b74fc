"""PPTX: each slide a page, its title a heading, its text in reading order, then its notes.

python-pptx opens the package, finds each slide's shapes and resolves a placeholder's
position from its layout; the text itself is read from the XML (runs, fields, line breaks).
A slide reads as: its title placeholder as a level-1 heading (a slide without one is under
no heading, never under the slide before), then its shapes top to bottom and, among shapes
whose tops are within ROW_TOLERANCE_EMU of each other, left to right; grouped shapes are
read in the same order inside the group. A text frame gives a paragraph per paragraph, and
a bulleted or numbered one (its own bullet, else its placeholder's inherited from the
layout and master) starts with "- " as DOCX list items do. A table's rows are a table whose
first row is its header: slide tables nearly always start with their column names, and
Google Slides does not write PowerPoint's header-row flag. Date, footer and slide-number
placeholders repeat on every slide and are left out, as are pictures, equations and the
Office 2016 chart kinds (waterfall, treemap…: python-pptx gives no shape for them).

A chart reads as charts.py reads a chart part: its title as a paragraph, then its data as
tables (a header row of categories and a row per series, or a row per point of an XY chart),
from the values the chart part caches (the embedded workbook is not opened), at most
charts.MAX_CHART_POINTS data points, with a warning saying how many it has. A SmartArt
graphic's text is read from its data part by smartart.py: a "- " list item per node, in the
graphic's outline order, not indented, as nested bullets are not.

Speaker notes follow the slide's body under a level-2 "Notes" heading: the notes stay under
the slide's title in the heading path, so they are found with the slide, and a passage
quoted from them says that it comes from the notes, which the audience never saw.

Hidden slides are read: PowerPoint shows them to whoever opens the file. A slide that
cannot be read costs only itself ("slide 4: …"), and a chart or SmartArt graphic only
itself ("slide 3: a chart could not be read (…)"); a slide, notes or chart part that is not
even well-formed XML, which python-pptx refuses to open, is blanked and warned about the
same way. SmartArt data, which python-pptx does not parse, is parsed without entities or
network. The archive is bounded (zip_limits.py) before python-pptx inflates it.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from collections.abc import Callable, Sequence

import pptx
from lxml import etree
from pptx.enum.shapes import MSO_SHAPE_TYPE
from pptx.exc import PythonPptxError
from pptx.parts.chart import ChartPart

from retrieval.document import ParsedDocument, ParseError
from retrieval.parsing.builder import DocumentBuilder, clean_inline
from retrieval.parsing.charts import cap_warning, read_chart
from retrieval.parsing.drawingml import A, C, paragraph_text
from retrieval.parsing.ooxml_variants import as_document
from retrieval.parsing.safe_xml import XML_LIMITS, strict_parser
from retrieval.parsing.slides import Block, Slide, add_slide, slide_warnings
from retrieval.parsing.smartart import DGM, diagram_items
from retrieval.parsing.titles import first_real_title
from retrieval.parsing.zip_limits import check_archive

# Shapes whose tops are this close (0.2 inch, in EMU) sit side by side: read left to right.
ROW_TOLERANCE_EMU = 182_880

_P = "{http://schemas.openxmlformats.org/presentationml/2006/main}"
_NAMESPACES = {"a": A[1:-1], "p": _P[1:-1]}
_SMARTART_URI = DGM[1:-1]
_BULLETS = frozenset({f"{A}buChar", f"{A}buAutoNum", f"{A}buBlip"})
_REPEATED_PLACEHOLDERS = frozenset({"dt", "ftr", "sldNum", "hdr"})
_TITLE_PLACEHOLDERS = frozenset({"title", "ctrTitle"})
# Parts a damaged copy of which costs one slide, its notes or one chart, and the empty part
# that stands in for it; parts python-pptx never parses (SmartArt's) are left as they are.
_SLIDE_PART = re.compile(r"ppt/slides/slide\d+\.xml")
_NOTES_PART = re.compile(r"ppt/notesSlides/notesSlide\d+\.xml")
_CHART_PART = re.compile(r"ppt/charts/chart\d+\.xml")
_UNPARSED_PART = re.compile(r"ppt/(diagrams/\w+|charts/(style|colors)\d+)\.xml")
_EMPTY_CHART = f'<c:chartSpace xmlns:c="{C[1:-1]}"/>'.encode()
_EMPTY_TREE = (
    '<p:cSld><p:spTree><p:nvGrpSpPr><p:cNvPr id="1" name=""/><p:cNvGrpSpPr/><p:nvPr/></p:nvGrpSpPr>'
    "<p:grpSpPr/></p:spTree></p:cSld>"
)
_EMPTY_PART = '<p:{root} xmlns:a="{a}" xmlns:r="{r}" xmlns:p="{p}">{tree}</p:{root}>'
_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
# What reading a damaged slide, or a damaged chart or SmartArt graphic on one, raises.
_READ_ERRORS = (PythonPptxError, etree.LxmlError, ValueError, KeyError, TypeError, IndexError)


class _Unreadable(Exception):
    """A graphic that cannot be read, for a reason that is its message."""


def parse_pptx(data: bytes) -> ParsedDocument:
    check_archive(data, "PPTX")
    presentation, damaged = _open(data)
    builder = DocumentBuilder("pptx")
    warnings: list[str] = []  # in slide order
    unread = 0  # slides skipped whole
    slides = list(presentation.slides)
    opening_title = None
    for number, slide in enumerate(slides, start=1):
        partname = str(slide.part.partname).lstrip("/")
        if partname in damaged:
            warnings.append(f"slide {number}: damaged ({damaged[partname]}); not read")
            unread += 1
            continue
        try:
            read = _read_slide(slide, damaged)
        except _READ_ERRORS as error:
            warnings.append(f"slide {number}: could not be read ({type(error).__name__}: {error})")
            unread += 1
            continue
        warnings += [f"slide {number}: {warning}" for warning in read.warnings]
        if number == 1 and _is_title_slide(slide):
            opening_title = read.title
        add_slide(builder, number, read)

    if builder.is_empty:
        raise ParseError(f"no text was read: {_nothing_read(warnings, unread, len(slides))}")
    slide_warnings(builder, warnings)
    title = first_real_title(_core_title(presentation), opening_title)
    return builder.build(title=title, page_count=len(slides))


def _open(data: bytes) -> tuple[pptx.presentation.Presentation, dict[str, str]]:
    """The presentation, and the slide and notes parts (by name) that were not well-formed
    XML and were opened as empty ones, each with the reason."""
    try:
        data = as_document(data, "pptx")
        try:
            return pptx.Presentation(io.BytesIO(data)), {}
        except etree.XMLSyntaxError:
            pass  # find the part that is damaged: a slide's costs only that slide
        repaired, damaged = _blank_damaged_slides(data)
        return pptx.Presentation(io.BytesIO(repaired)), damaged
    except NotImplementedError as error:
        raise ParseError(f"PPTX is compressed with a method the server cannot read ({error})") from error
    except (zipfile.BadZipFile, zlib.error, EOFError) as error:
        raise ParseError(f"PPTX is damaged: a part of the archive cannot be unzipped ({error})") from error
    except (PythonPptxError, KeyError, ValueError, etree.LxmlError) as error:
        reason = str(error) if not str(error).startswith("file '<") else "its main part is not a presentation"
        raise ParseError(
            f"not a readable PowerPoint presentation ({type(error).__name__}: {reason})"
        ) from error


def _blank_damaged_slides(data: bytes) -> tuple[bytes, dict[str, str]]:
    """``data`` with each slide or notes part that is not well-formed XML replaced by an
    empty one. Raises ParseError naming the part when any other part is damaged."""
    damaged: dict[str, str] = {}
    output = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(output, "w") as target:
        for info in source.infolist():
            body = source.read(info)
            if info.filename.endswith((".xml", ".rels")):
                problem = _xml_problem(body)
                stand_in = _stand_in(info.filename) if problem else None
                if problem and stand_in:
                    body, damaged[info.filename] = stand_in, problem
                elif problem and not _UNPARSED_PART.fullmatch(info.filename):
                    raise ParseError(f"PPTX is damaged: its part {info.filename} is {problem}")
            target.writestr(info, body)
    return output.getvalue(), damaged


def _stand_in(partname: str) -> bytes | None:
    """The empty part that stands in for a damaged ``partname``, when it may be blanked."""
    if _SLIDE_PART.fullmatch(partname):
        return _empty_part("sld")
    if _NOTES_PART.fullmatch(partname):
        return _empty_part("notes")
    return _EMPTY_CHART if _CHART_PART.fullmatch(partname) else None


def _xml_problem(body: bytes) -> str | None:
    """Why ``body`` cannot be parsed the way python-pptx parses it, or None."""
    parser = strict_parser()
    try:
        etree.fromstring(body, parser)
    except etree.XMLSyntaxError as error:
        if any(entry.type_name == "ERR_RESOURCE_LIMIT" for entry in parser.error_log):
            return f"past {XML_LIMITS}"
        return f"not well-formed XML: {error}"
    return None


def _empty_part(root: str) -> bytes:
    return _EMPTY_PART.format(root=root, a=A[1:-1], r=_R, p=_P[1:-1], tree=_EMPTY_TREE).encode()


def _read_slide(slide, damaged: dict[str, str]) -> Slide:
    read = Slide()
    title_shape = slide.shapes.title
    if title_shape is not None:
        read.title = clean_inline(" ".join(paragraph_text(p) for p in _paragraphs(title_shape.element)))
    styles = _InheritedStyles(slide)
    for shape in _in_reading_order(slide.shapes):
        if title_shape is not None and shape.element is title_shape.element:
            continue
        _read_shape(shape, styles, read, damaged)
    if slide.has_notes_slide:
        notes_slide = slide.notes_slide
        partname = str(notes_slide.part.partname).lstrip("/")
        if partname in damaged:
            read.warnings.append(f"its notes are damaged ({damaged[partname]}); not read")
        elif notes_slide.notes_placeholder is not None:
            body = notes_slide.notes_placeholder.element
            read.notes = [_list_item(p, paragraph_text(p), []) for p in _paragraphs(body)]
    return read


def _in_reading_order(shapes):
    """Shapes top to bottom; those whose tops are within ROW_TOLERANCE_EMU of the first of
    a row's, left to right. Shapes without a position (none of their own, none inherited)
    come last, in the file's order."""
    placed = []
    unplaced = []
    for index, shape in enumerate(shapes):
        top, left = shape.top, shape.left
        if top is None or left is None:
            unplaced.append(shape)
        else:
            placed.append((int(top), int(left), index, shape))
    placed.sort(key=lambda item: (item[0], item[2]))
    ordered = []
    row: list[tuple[int, int, int, object]] = []
    for item in placed:
        if row and item[0] - row[0][0] > ROW_TOLERANCE_EMU:
            ordered += [shape for *_, shape in sorted(row, key=lambda i: (i[1], i[2]))]
            row = []
        row.append(item)
    ordered += [shape for *_, shape in sorted(row, key=lambda i: (i[1], i[2]))]
    return ordered + unplaced


def _read_shape(shape, styles: _InheritedStyles, read: Slide, damaged: dict[str, str]) -> None:
    blocks = read.blocks
    if shape.shape_type == MSO_SHAPE_TYPE.GROUP:
        for member in _in_reading_order(shape.shapes):
            _read_shape(member, styles, read, damaged)
    elif getattr(shape, "has_table", False):
        rows = _table_rows(shape.element)
        if rows:
            blocks.append(rows)
    elif getattr(shape, "has_chart", False):
        _read_graphic(read, "a chart", lambda: _chart_blocks(shape, damaged))
    elif shape.element.find(f"{A}graphic/{A}graphicData[@uri='{_SMARTART_URI}']") is not None:
        _read_graphic(read, "a SmartArt graphic", lambda: (_smartart_items(shape), None))
    elif shape.has_text_frame:
        placeholder = _placeholder(shape.element)
        if placeholder is not None and placeholder[0] in _REPEATED_PLACEHOLDERS:
            return
        inherited = styles.for_placeholder(placeholder) if placeholder is not None else []
        for paragraph in _paragraphs(shape.element):
            text = paragraph_text(paragraph)
            if text.strip():
                blocks.append(_list_item(paragraph, text, inherited))


def _paragraphs(shape: etree._Element) -> list[etree._Element]:
    body = shape.find(f"{_P}txBody")
    return [] if body is None else body.findall(f"{A}p")


def _list_item(paragraph: etree._Element, text: str, inherited: list[etree._Element]) -> str:
    """``text`` as a list item ("- …") when the paragraph shows a bullet or a number."""
    properties = paragraph.find(f"{A}pPr")
    level = _level(properties)
    body = paragraph.getparent()
    own_style = body.find(f"{A}lstStyle") if body is not None else None
    sources = [properties, *_levels([own_style], level), *_levels(inherited, level)]
    for source in sources:
        if source is None:
            continue
        if source.find(f"{A}buNone") is not None:
            return text
        if any(source.find(tag) is not None for tag in _BULLETS):
            return "- " + text.strip()
    return text


def _level(properties: etree._Element | None) -> int:
    value = (properties.get("lvl") or "0") if properties is not None else "0"
    return min(int(value), 8) if value.isdigit() else 0


def _levels(styles: Sequence[etree._Element | None], level: int) -> list[etree._Element | None]:
    """Each list style's properties for paragraphs of ``level`` (lvl1pPr ... lvl9pPr)."""
    return [style.find(f"{A}lvl{level + 1}pPr") if style is not None else None for style in styles]


def _placeholder(shape: etree._Element) -> tuple[str, str] | None:
    """(type, idx) of a placeholder shape: type "obj" and idx "0" when the file leaves them out."""
    ph = shape.find(f"{_P}nvSpPr/{_P}nvPr/{_P}ph")
    if ph is None:
        return None
    return ph.get("type", "obj"), ph.get("idx", "0")


class _InheritedStyles:
    """The list styles a slide's placeholder inherits, nearest first: its layout
    placeholder's (same idx), the master placeholder's (title or body) and the master's
    title or body text style."""

    def __init__(self, slide) -> None:
        layout = slide.slide_layout
        self._layout = layout.element
        self._master = layout.slide_master.element

    def for_placeholder(self, placeholder: tuple[str, str]) -> list[etree._Element]:
        kind, idx = placeholder
        is_title = kind in _TITLE_PLACEHOLDERS
        if idx == "0":
            layout_shape = self._find(self._layout, "not(@idx) or @idx='0'")
        else:
            layout_shape = self._find(self._layout, f"@idx='{idx}'") if idx.isdigit() else None
        master_shape = self._find(self._master, "@type='title'" if is_title else "@type='body'")
        styles = [
            style
            for shape in (layout_shape, master_shape)
            if shape is not None
            for style in shape.iterfind(f"{_P}txBody/{A}lstStyle")
        ]
        text_style = self._master.find(f"{_P}txStyles/{_P}{'titleStyle' if is_title else 'bodyStyle'}")
        return styles if text_style is None else [*styles, text_style]

    @staticmethod
    def _find(part: etree._Element, condition: str) -> etree._Element | None:
        found = etree.XPath(f".//p:sp[p:nvSpPr/p:nvPr/p:ph[{condition}]]", namespaces=_NAMESPACES)(part)
        first = found[0] if isinstance(found, list) and found else None
        return first if isinstance(first, etree._Element) else None


def _table_rows(frame: etree._Element) -> list[list[str]]:
    """A table's rows as cell texts, one per grid column: a merged cell's text in its first
    column, the columns and rows it covers empty (as table_cells.spread makes them)."""
    rows = []
    for row in frame.iter(f"{A}tr"):
        cells = []
        for cell in row.findall(f"{A}tc"):
            covered = cell.get("hMerge") in {"1", "true"} or cell.get("vMerge") in {"1", "true"}
            text = " ".join(paragraph_text(p) for p in cell.iterfind(f"{A}txBody/{A}p"))
            cells.append("" if covered else clean_inline(text))
        if any(cells):
            rows.append(cells)
    return rows


def _read_graphic(read: Slide, what: str, reader: Callable[[], tuple[list[Block], str | None]]) -> None:
    """Add what ``reader`` reads of a graphic (and its warning, if any); a graphic that
    cannot be read costs only itself."""
    try:
        blocks, warning = reader()
    except (_Unreadable, *_READ_ERRORS) as error:
        reason = str(error) if isinstance(error, _Unreadable) else f"{type(error).__name__}: {error}"
        read.warnings.append(f"{what} could not be read ({reason})")
        return
    read.blocks += blocks
    if warning:
        read.warnings.append(warning)


def _chart_blocks(shape, damaged: dict[str, str]) -> tuple[list[Block], str | None]:
    """A chart's title, then its data as tables (charts.py), and a warning when it has more
    data points than charts.MAX_CHART_POINTS."""
    part = shape.chart_part
    if not isinstance(part, ChartPart):
        raise _Unreadable("its part is not a chart")
    problem = damaged.get(str(part.partname).lstrip("/"))
    if problem:
        raise _Unreadable(f"damaged: {problem}")
    chart = read_chart(part.chart.element)
    return [*([chart.title] if chart.title else []), *chart.tables], cap_warning(chart)


def _smartart_items(shape) -> list[Block]:
    """A SmartArt graphic's text (smartart.py), from the data part the graphic names."""
    ids = shape.element.find(f"{A}graphic/{A}graphicData/{DGM}relIds")
    data_id = ids.get(f"{{{_R}}}dm") if ids is not None else None
    if not data_id:
        raise _Unreadable("it names no data part")
    return list(diagram_items(shape.part.related_part(data_id).blob))


def _is_title_slide(slide) -> bool:
    title = slide.shapes.title
    return title is not None and (_placeholder(title.element) or ("", ""))[0] == "ctrTitle"


def _core_title(presentation) -> str | None:
    try:
        return clean_inline(presentation.core_properties.title or "") or None
    except Exception:
        return None  # a broken core.xml only costs the title


def _nothing_read(warnings: list[str], unread: int, total: int) -> str:
    if total == 0:
        return "the presentation has no slides"
    if not unread:
        return "the slides hold no text (only pictures or charts?)"
    shown = "; ".join(warnings[:3]) + ("; …" if len(warnings) > 3 else "")
    if unread == total:
        return f"no slide of the presentation could be read ({shown})"
    return f"{unread} of {total} slides could not be read ({shown}) and the others hold no text"
