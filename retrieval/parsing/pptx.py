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

A chart reads as a person sees it: its title, then its data as a table, from the values the
chart part keeps (the embedded workbook is not opened). A category chart (column, bar, line,
pie, area, radar…) gives a header row of its category labels (of multi-level ones, the
innermost), the first cell the chart's title or empty, then a row per series: its name and
its values, each through its number format (number_formats.py: 12 and not 12.0, "12.5%";
a date format gives 2024-01-31). An XY or bubble chart has no categories: it gives a row
per point, its series' name then x, y (and size), under its axes' titles (else "x", "y",
"size"). A chart reads at most MAX_CHART_POINTS data points, series by series, and warns
with how many it has. A SmartArt graphic's text is in its data part: a "- " list item per
node, in the graphic's outline order (a node's children right after it, by their order;
nodes outside the outline last), not indented, as nested bullets are not.

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

import datetime
import io
import re
import zipfile
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import pptx
from lxml import etree
from openpyxl.styles.numbers import is_date_format
from openpyxl.utils.datetime import from_excel
from pptx.enum.shapes import MSO_SHAPE_TYPE
from pptx.exc import PythonPptxError
from pptx.parts.chart import ChartPart

from retrieval.document import ParsedDocument, ParseError
from retrieval.parsing.builder import DocumentBuilder, clean_inline
from retrieval.parsing.number_formats import format_number
from retrieval.parsing.titles import first_real_title
from retrieval.parsing.zip_limits import check_archive

# Shapes whose tops are this close (0.2 inch, in EMU) sit side by side: read left to right.
ROW_TOLERANCE_EMU = 182_880
MAX_SLIDE_WARNINGS = 20  # past this, one line counts the rest
MAX_CHART_POINTS = 1_000  # data points read per chart; past this, a warning says how many there are
NOTES_HEADING = "Notes"

_A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
_P = "{http://schemas.openxmlformats.org/presentationml/2006/main}"
_C = "{http://schemas.openxmlformats.org/drawingml/2006/chart}"
_DGM = "{http://schemas.openxmlformats.org/drawingml/2006/diagram}"
_NAMESPACES = {"a": _A[1:-1], "p": _P[1:-1]}
_SMARTART_URI = _DGM[1:-1]
_BULLETS = frozenset({f"{_A}buChar", f"{_A}buAutoNum", f"{_A}buBlip"})
_REPEATED_PLACEHOLDERS = frozenset({"dt", "ftr", "sldNum", "hdr"})
_TITLE_PLACEHOLDERS = frozenset({"title", "ctrTitle"})
# Parts a damaged copy of which costs one slide, its notes or one chart, and the empty part
# that stands in for it; parts python-pptx never parses (SmartArt's) are left as they are.
_SLIDE_PART = re.compile(r"ppt/slides/slide\d+\.xml")
_NOTES_PART = re.compile(r"ppt/notesSlides/notesSlide\d+\.xml")
_CHART_PART = re.compile(r"ppt/charts/chart\d+\.xml")
_UNPARSED_PART = re.compile(r"ppt/(diagrams/\w+|charts/(style|colors)\d+)\.xml")
_EMPTY_CHART = f'<c:chartSpace xmlns:c="{_C[1:-1]}"/>'.encode()
_EMPTY_TREE = (
    '<p:cSld><p:spTree><p:nvGrpSpPr><p:cNvPr id="1" name=""/><p:cNvGrpSpPr/><p:nvPr/></p:nvGrpSpPr>'
    "<p:grpSpPr/></p:spTree></p:cSld>"
)
_EMPTY_PART = '<p:{root} xmlns:a="{a}" xmlns:r="{r}" xmlns:p="{p}">{tree}</p:{root}>'
_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_XY_COLUMNS = {"xVal": "x", "yVal": "y", "bubbleSize": "size"}  # an XY table's header without axis titles
# What reading a damaged slide, or a damaged chart or SmartArt graphic on one, raises.
_READ_ERRORS = (PythonPptxError, etree.LxmlError, ValueError, KeyError, TypeError, IndexError)

Block = str | list[list[str]]  # a paragraph or a table's rows


@dataclass
class _Slide:
    """What one slide says, read in full before any of it goes into the document."""

    title: str = ""
    blocks: list[Block] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # what was not read, without "slide N: "


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
        _add_slide(builder, number, read)

    if builder.is_empty:
        raise ParseError(f"no text was read: {_nothing_read(warnings, unread, len(slides))}")
    builder.warnings.extend(warnings[:MAX_SLIDE_WARNINGS])
    if len(warnings) > MAX_SLIDE_WARNINGS:
        builder.warnings.append(f"and {len(warnings) - MAX_SLIDE_WARNINGS} more slides were not read in full")
    title = first_real_title(_core_title(presentation), opening_title)
    return builder.build(title=title, page_count=len(slides))


def _open(data: bytes) -> tuple[pptx.presentation.Presentation, dict[str, str]]:
    """The presentation, and the slide and notes parts (by name) that were not well-formed
    XML and were opened as empty ones, each with the reason."""
    try:
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


def _safe_parser() -> etree.XMLParser:
    """A parser that expands no entities and loads nothing, within libxml2's size limits."""
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


def _xml_problem(body: bytes) -> str | None:
    """Why ``body`` cannot be parsed the way python-pptx parses it, or None."""
    parser = _safe_parser()
    try:
        etree.fromstring(body, parser)
    except etree.XMLSyntaxError as error:
        if any(entry.type_name == "ERR_RESOURCE_LIMIT" for entry in parser.error_log):
            return "past the server's limits for XML (nesting depth or text size)"
        return f"not well-formed XML: {error}"
    return None


def _empty_part(root: str) -> bytes:
    return _EMPTY_PART.format(root=root, a=_A[1:-1], r=_R, p=_P[1:-1], tree=_EMPTY_TREE).encode()


def _read_slide(slide, damaged: dict[str, str]) -> _Slide:
    read = _Slide()
    title_shape = slide.shapes.title
    if title_shape is not None:
        read.title = clean_inline(" ".join(_paragraph_text(p) for p in _paragraphs(title_shape.element)))
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
            read.notes = [_list_item(p, _paragraph_text(p), []) for p in _paragraphs(body)]
    return read


def _add_slide(builder: DocumentBuilder, number: int, read: _Slide) -> None:
    builder.start_page(number)
    builder.clear_headings()
    if read.title:
        builder.add_heading(1, read.title)
    for block in read.blocks:
        if isinstance(block, str):
            builder.add_paragraph(block)
        else:
            builder.add_table(block, header_rows=1 if len(block) > 1 else 0)
    if any(note.strip() for note in read.notes):
        builder.add_heading(2, NOTES_HEADING)
        for note in read.notes:
            builder.add_paragraph(note)


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


def _read_shape(shape, styles: _InheritedStyles, read: _Slide, damaged: dict[str, str]) -> None:
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
    elif shape.element.find(f"{_A}graphic/{_A}graphicData[@uri='{_SMARTART_URI}']") is not None:
        _read_graphic(read, "a SmartArt graphic", lambda: (_smartart_items(shape), None))
    elif shape.has_text_frame:
        placeholder = _placeholder(shape.element)
        if placeholder is not None and placeholder[0] in _REPEATED_PLACEHOLDERS:
            return
        inherited = styles.for_placeholder(placeholder) if placeholder is not None else []
        for paragraph in _paragraphs(shape.element):
            text = _paragraph_text(paragraph)
            if text.strip():
                blocks.append(_list_item(paragraph, text, inherited))


def _paragraphs(shape: etree._Element) -> list[etree._Element]:
    body = shape.find(f"{_P}txBody")
    return [] if body is None else body.findall(f"{_A}p")


def _paragraph_text(paragraph: etree._Element) -> str:
    """A paragraph's runs and fields, its line breaks as newlines."""
    parts: list[str] = []
    for child in paragraph:
        if child.tag in {f"{_A}r", f"{_A}fld"}:
            parts.append(child.findtext(f"{_A}t") or "")
        elif child.tag == f"{_A}br":
            parts.append("\n")
    return "".join(parts)


def _list_item(paragraph: etree._Element, text: str, inherited: list[etree._Element]) -> str:
    """``text`` as a list item ("- …") when the paragraph shows a bullet or a number."""
    properties = paragraph.find(f"{_A}pPr")
    level = _level(properties)
    body = paragraph.getparent()
    own_style = body.find(f"{_A}lstStyle") if body is not None else None
    sources = [properties, *_levels([own_style], level), *_levels(inherited, level)]
    for source in sources:
        if source is None:
            continue
        if source.find(f"{_A}buNone") is not None:
            return text
        if any(source.find(tag) is not None for tag in _BULLETS):
            return "- " + text.strip()
    return text


def _level(properties: etree._Element | None) -> int:
    value = (properties.get("lvl") or "0") if properties is not None else "0"
    return min(int(value), 8) if value.isdigit() else 0


def _levels(styles: Sequence[etree._Element | None], level: int) -> list[etree._Element | None]:
    """Each list style's properties for paragraphs of ``level`` (lvl1pPr ... lvl9pPr)."""
    return [style.find(f"{_A}lvl{level + 1}pPr") if style is not None else None for style in styles]


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
            for style in shape.iterfind(f"{_P}txBody/{_A}lstStyle")
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
    for row in frame.iter(f"{_A}tr"):
        cells = []
        for cell in row.findall(f"{_A}tc"):
            covered = cell.get("hMerge") in {"1", "true"} or cell.get("vMerge") in {"1", "true"}
            text = " ".join(_paragraph_text(p) for p in cell.iterfind(f"{_A}txBody/{_A}p"))
            cells.append("" if covered else clean_inline(text))
        if any(cells):
            rows.append(cells)
    return rows


def _read_graphic(read: _Slide, what: str, reader: Callable[[], tuple[list[Block], str | None]]) -> None:
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
    """A chart's title, then its data as tables (see the module docstring), and a warning
    when it has more than MAX_CHART_POINTS data points."""
    part = shape.chart_part
    if not isinstance(part, ChartPart):
        raise _Unreadable("its part is not a chart")
    problem = damaged.get(str(part.partname).lstrip("/"))
    if problem:
        raise _Unreadable(f"damaged: {problem}")
    chart = part.chart.element.find(f"{_C}chart")
    plot_area = chart.find(f"{_C}plotArea") if chart is not None else None
    if chart is None or plot_area is None:
        return [], None
    title = _chart_label(chart.find(f"{_C}title"))
    by_category: list[etree._Element] = []
    xy: list[tuple[etree._Element, etree._Element]] = []  # (plot, series)
    for plot in plot_area:
        for series in plot.iterfind(f"{_C}ser"):
            if series.find(f"{_C}yVal") is not None:
                xy.append((plot, series))
            else:
                by_category.append(series)
    blocks: list[Block] = [title] if title else []
    read = total = 0
    if by_category:
        table, read, total = _category_table(title, by_category)
        blocks.append(table)
    if xy:
        table, xy_read, xy_total = _xy_table(title, plot_area, xy, MAX_CHART_POINTS - read)
        blocks += [table] if xy_read else []
        read, total = read + xy_read, total + xy_total
    return blocks, (
        f"a chart has {total:,} data points; the first {read:,} were read" if total > read else None
    )


def _category_table(title: str, all_series: list[etree._Element]) -> tuple[list[list[str]], int, int]:
    """A header row (``title``, then the category labels) and a row per series (its name,
    then its values); the points read and the points there are."""
    width = max(_extent(series.find(f"{_C}{tag}")) for series in all_series for tag in ("cat", "val"))
    columns = min(width, MAX_CHART_POINTS)
    rows = all_series[: MAX_CHART_POINTS // max(columns, 1)]
    sources = (series.find(f"{_C}cat") for series in all_series)
    categories = next((source for source in sources if source is not None), None)
    # Without categories, a chart numbers its points from 1.
    labels = (
        _points(categories, columns) if categories is not None else {i: str(i + 1) for i in range(columns)}
    )
    table = [[title, *(labels.get(i, "") for i in range(columns))]]
    for series in rows:
        values = _points(series.find(f"{_C}val"), columns)
        table.append([_series_name(series), *(values.get(i, "") for i in range(columns))])
    return table, len(rows) * columns, len(all_series) * width


def _xy_table(
    title: str, plot_area: etree._Element, all_series: list[tuple[etree._Element, etree._Element]], limit: int
) -> tuple[list[list[str]], int, int]:
    """A header row (``title``, then the axes' titles, else x, y and size) and a row per
    point (its series' name, x, y and, in a bubble chart, size); the first ``limit`` points."""
    first_plot = all_series[0][0]
    tags = ("xVal", "yVal", "bubbleSize") if first_plot.tag == f"{_C}bubbleChart" else ("xVal", "yVal")
    axes = [_axis_title(plot_area, first_plot, index) for index in range(2)]
    table = [[title, *(axes[i] if i < 2 and axes[i] else _XY_COLUMNS[tag] for i, tag in enumerate(tags))]]
    read = total = 0
    for _, series in all_series:
        count = _extent(series.find(f"{_C}yVal"))
        shown = min(count, limit - read)
        name, columns = _series_name(series), [_points(series.find(f"{_C}{tag}"), shown) for tag in tags]
        table += [[name, *(column.get(i, "") for column in columns)] for i in range(shown)]
        read, total = read + shown, total + count
    return table, read, total


def _chart_label(title: etree._Element | None) -> str:
    """A chart's or an axis's title: its text, else the cell it names (as cached)."""
    if title is None:
        return ""
    paragraphs = title.findall(f"{_C}tx/{_C}rich/{_A}p")
    if paragraphs:
        return clean_inline(" ".join(_paragraph_text(p) for p in paragraphs))
    return clean_inline(title.findtext(f"{_C}tx/{_C}strRef/{_C}strCache/{_C}pt/{_C}v") or "")


def _axis_title(plot_area: etree._Element, plot: etree._Element, index: int) -> str:
    """The title of the ``index``-th axis of ``plot`` (0: x, 1: y), or ""."""
    ids = [axis.get("val") for axis in plot.iterfind(f"{_C}axId")]
    if index >= len(ids):
        return ""
    for axis in plot_area.iterfind(f"{_C}valAx"):
        if ids[index] in {axis_id.get("val") for axis_id in axis.iterfind(f"{_C}axId")}:
            return _chart_label(axis.find(f"{_C}title"))
    return ""


def _series_name(series: etree._Element) -> str:
    """The series' name: literal, or the cell it names (as cached)."""
    return clean_inline(next((value.text or "" for value in series.iterfind(f"{_C}tx//{_C}v")), ""))


def _extent(source: etree._Element | None) -> int:
    """How many points a data source spans (its highest index, plus one)."""
    if source is None:
        return 0
    return max((int(point.get("idx", "")) for point in source.iter(f"{_C}pt")), default=-1) + 1


def _points(source: etree._Element | None, limit: int) -> dict[int, str]:
    """A data source's points below ``limit`` by index, shown as the chart shows them: a
    number through its number format. Of multi-level categories, the innermost level."""
    if source is None:
        return {}
    cache = next(source.iter(f"{_C}lvl"), source)
    numeric = source.find(f"{_C}numRef") is not None or source.find(f"{_C}numLit") is not None
    number_format = cache.findtext(f".//{_C}formatCode")
    shown = {}
    for point in cache.iter(f"{_C}pt"):
        index = int(point.get("idx", ""))
        if index < limit:
            value = point.findtext(f"{_C}v") or ""
            own_format = point.get("formatCode") or number_format
            shown[index] = _number(value, own_format) if numeric else clean_inline(value)
    return shown


def _number(value: str, number_format: str | None) -> str:
    """A cached value as its number format shows it; a date format gives 2024-01-31."""
    try:
        number = float(value)
    except ValueError:
        return clean_inline(value)  # not a number after all: shown as written
    if number_format and is_date_format(number_format) and 0 <= number < 2_958_466:  # up to 9999-12-31
        moment = from_excel(number)  # below 1, a time of day
        if isinstance(moment, datetime.time):
            return f"{moment:%H:%M}"
        return moment.date().isoformat() if moment.time() == datetime.time(0) else f"{moment:%Y-%m-%d %H:%M}"
    return format_number(number, number_format)


def _smartart_items(shape) -> list[Block]:
    """A SmartArt graphic's text, a list item per node in the order of its outline: each
    node's children (by their order) right after it, nodes outside the outline at the end in
    the file's order."""
    ids = shape.element.find(f"{_A}graphic/{_A}graphicData/{_DGM}relIds")
    data_id = ids.get(f"{{{_R}}}dm") if ids is not None else None
    if not data_id:
        raise _Unreadable("it names no data part")
    data = etree.fromstring(shape.part.related_part(data_id).blob, _safe_parser())
    texts: dict[str | None, str] = {}  # node by id, in the file's order
    roots = []
    for point in data.iterfind(f"{_DGM}ptLst/{_DGM}pt"):
        kind = point.get("type", "node")
        if kind == "doc":
            roots.append(point.get("modelId"))
        elif kind in {"node", "asst"}:  # the others are connectors and layout points
            paragraphs = point.iterfind(f"{_DGM}t/{_A}p")
            texts[point.get("modelId")] = clean_inline(" ".join(_paragraph_text(p) for p in paragraphs))
    children: dict[str | None, list[tuple[int, int, str | None]]] = {}
    for index, link in enumerate(data.iterfind(f"{_DGM}cxnLst/{_DGM}cxn")):
        if link.get("type", "parOf") == "parOf":
            child = (int(link.get("srcOrd", "0")), index, link.get("destId"))
            children.setdefault(link.get("srcId"), []).append(child)
    ordered, seen, stack = [], set(), roots[::-1]
    while stack:
        node = stack.pop()
        if node not in seen:
            seen.add(node)
            ordered += [node] if node in texts else []
            stack += [child for *_, child in sorted(children.get(node, []), reverse=True)]
    ordered += [node for node in texts if node not in seen]
    return ["- " + texts[node] for node in ordered if texts[node]]


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
