"""XLSX charts: where a sheet's charts are in the workbook's package, each read by charts.py.

A worksheet or chart sheet part names its drawing in its relationships
(``xl/worksheets/_rels/sheet1.xml.rels`` → ``xl/drawings/drawing1.xml``); the drawing anchors
each graphic to a cell and names a chart's part in its own relationships
(→ ``xl/charts/chart1.xml``). A sheet's charts come in the order a reader scans the sheet:
by the top-left cell of their anchors, row then column; charts placed by position (a chart
sheet's), after those, in the drawing's order. Pictures, shapes and the Office 2016 chart kinds
(``cx:chart``) in a drawing are not charts here.

Bounds: parts are read through zip_limits.read_member, at most MAX_PART_BYTES each, and parsed
by safe_xml.parse_part (no entities, no network); each chart part is read once per workbook,
whatever refers to it, so the work is bounded by the archive's own limits. A sheet's charts
read at most ``room`` data points together (the workbook's cell budget), each at most
charts.MAX_CHART_POINTS. A drawing or chart that cannot be read costs only itself: why is a
note for the sheet's warning.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from dataclasses import dataclass, field

from lxml import etree

from retrieval.parsing.charts import MAX_CHART_POINTS, Chart, cap_warning, read_chart
from retrieval.parsing.drawingml import C
from retrieval.parsing.safe_xml import XML_LIMITS, parse_part
from retrieval.parsing.zip_limits import MemberUnreadable, read_member

MAX_PART_BYTES = 16 * 2**20  # one workbook, relationships, drawing or chart part: real ones are KBs

_XDR = "{http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing}"
_RELATIONSHIP_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_PACKAGE_RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_CELL_ANCHORS = (f"{_XDR}twoCellAnchor", f"{_XDR}oneCellAnchor")
_PLACED_ANCHOR = f"{_XDR}absoluteAnchor"
_DRAWING_PART = re.compile(r"xl/drawings/drawing\d+\.xml")
_EMPTY_DRAWING = f'<xdr:wsDr xmlns:xdr="{_XDR[1:-1]}"/>'.encode()


class PartUnreadable(Exception):
    """A part that cannot be read; the message names it and says why ("xl/charts/chart1.xml
    is not well-formed XML (…)")."""


@dataclass
class SheetCharts:
    charts: list[Chart] = field(default_factory=list)  # in the sheet's reading order
    notes: list[str] = field(default_factory=list)  # what could not be read, for the sheet's warning

    @property
    def points_read(self) -> int:
        return sum(chart.points_read for chart in self.charts)


class WorkbookCharts:
    """The charts of a workbook's sheets, read from its open archive."""

    def __init__(self, archive: zipfile.ZipFile) -> None:
        self._archive = archive
        self._seen: set[str] = set()  # chart parts read already

    def read(self, sheet_part: str, room: int) -> SheetCharts:
        """The charts of the sheet whose part is ``sheet_part``, at most ``room`` data points in all."""
        found = SheetCharts()
        try:
            rels = relationships(self._archive, sheet_part).values()
            anchored = [chart for kind, path in rels if kind == "drawing" for chart in self._anchored(path)]
        except PartUnreadable as error:
            found.notes.append(f"its drawing could not be read, nor any chart in it ({error})")
            return found
        for part in anchored:
            if part in self._seen:
                continue
            try:
                if isinstance(part, PartUnreadable):
                    raise part
                self._seen.add(part)
                chart = read_chart(_chart_space(self._archive, part), min(MAX_CHART_POINTS, room))
            except PartUnreadable as error:
                found.notes.append(f"a chart could not be read ({error})")
                continue
            except ValueError as error:  # read_chart's malformed part
                found.notes.append(f"a chart could not be read (ValueError: {error})")
                continue
            room -= chart.points_read
            found.charts.append(chart)
            warning = cap_warning(chart)
            if warning:
                found.notes.append(warning)
        return found

    def _anchored(self, drawing: str) -> list[str | PartUnreadable]:
        """The chart parts a drawing anchors, in the sheet's reading order; a chart whose part
        the drawing does not name, as why it cannot be read."""
        root = parse(self._archive, drawing)
        targets = relationships(self._archive, drawing)
        placed: list[tuple[tuple[int, int, int, int], str | PartUnreadable]] = []
        for index, anchor in enumerate(root.iter(*_CELL_ANCHORS, _PLACED_ANCHOR)):
            if anchor.tag == _PLACED_ANCHOR:
                key = (1, 0, 0, index)
            else:
                key = (0, _cell_index(anchor, "row"), _cell_index(anchor, "col"), index)
            for chart in anchor.iter(f"{C}chart"):
                target = targets.get(chart.get(_RELATIONSHIP_ID, ""))
                placed.append(
                    (key, target[1] if target else PartUnreadable(f"{drawing} names no part for it"))
                )
        return [part for _, part in sorted(placed, key=lambda item: item[0])]


def relationships(archive: zipfile.ZipFile, part: str) -> dict[str, tuple[str, str]]:
    """A part's relationships by id: (kind, target part), the kind the last segment of the
    relationship's type ("drawing", "chart", "worksheet"), the target resolved against the
    part's folder ("" for the package's own). Empty when the part has none; external targets
    (hyperlinks) are left out."""
    folder, name = posixpath.split(part)
    path = posixpath.join(folder, "_rels", f"{name}.rels")
    try:
        archive.getinfo(path)
    except KeyError:
        return {}
    root = parse(archive, path)
    found = {}
    for relationship in root.iter(f"{_PACKAGE_RELS}Relationship"):
        target = relationship.get("Target", "")
        if relationship.get("TargetMode") != "External":
            resolved = target.lstrip("/") if target.startswith("/") else posixpath.join(folder, target)
            kind = relationship.get("Type", "").rsplit("/", 1)[-1]
            found[relationship.get("Id", "")] = (kind, posixpath.normpath(resolved))
    return found


def parse(archive: zipfile.ZipFile, path: str) -> etree._Element:
    """The root of an XML part, read and parsed within the bounds above; PartUnreadable when
    it is missing or cannot be read."""
    try:
        body = read_member(archive, path, limit=MAX_PART_BYTES, what="one part outside the sheets")
    except KeyError as error:
        raise PartUnreadable(f"{path} is missing") from error
    except MemberUnreadable as error:
        raise PartUnreadable(f"{path} is {error}") from error
    parsed = parse_part(body)
    if parsed.past_limits:
        raise PartUnreadable(f"{path} is past {XML_LIMITS}")
    if parsed.root is None or parsed.damage:
        raise PartUnreadable(f"{path} is not well-formed XML ({parsed.damage or 'no root element'})")
    return parsed.root


def _chart_space(archive: zipfile.ZipFile, path: str) -> etree._Element:
    root = parse(archive, path)
    if root.tag != f"{C}chartSpace":
        raise PartUnreadable(f"{path} is not a chart")
    return root


def _cell_index(anchor: etree._Element, axis: str) -> int:
    """The row or column (from 0) of an anchor's top-left cell; 0 when it is not a number."""
    text = anchor.findtext(f"{_XDR}from/{_XDR}{axis}") or ""
    return int(text) if text.isascii() and text.isdigit() else 0


def without_drawings(data: bytes) -> bytes:
    """The workbook ``data`` with each drawing part emptied, for openpyxl: opening a workbook,
    it parses a chart sheet's drawing and charts, and fails whole over a damaged one."""
    output = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(output, "w") as target:
        for info in source.infolist():
            drawing = _DRAWING_PART.fullmatch(info.filename)
            target.writestr(info, _EMPTY_DRAWING if drawing else source.read(info))
    return output.getvalue()
