"""OpenDocument charts (an embedded chart object, "Object 1/content.xml", as LibreOffice writes
one into an ODS or ODT) read as charts.py reads a DrawingML chart, so a chart reads alike in
every format: its title, then its data as a table.

The data is the chart's own copy of it, its local table (``table:table`` inside
``chart:chart``): a header row of series names, then a row per category, its label first, then
a value per series, each cell as the chart shows it (its ``text:p``). A category chart (bar,
line, area, pie, radar…) reads as charts.py's category table: a header row of the category
labels (its first cell the chart's title or empty), then a row per series, its name and its
values. A scatter chart reads as charts.py's XY table: a row per point, its series' name then
x and y, under the axes' titles (else "x", "y"); the local table's first column holds the x
values. A chart without a local table, or with an empty one, reads as its title alone. At most
``limit`` data points are read (charts.MAX_CHART_POINTS by default), series by series, and
``Chart.points`` says how many it has, for charts.cap_warning.
"""

from __future__ import annotations

from collections.abc import Iterable

from lxml import etree

from retrieval.parsing.builder import clean_inline
from retrieval.parsing.charts import MAX_CHART_POINTS, Chart, cap_warning
from retrieval.parsing.opendocument import OFFICE, all_text, attribute_count

CHART = "{urn:oasis:names:tc:opendocument:xmlns:chart:1.0}"
_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
_MAX_REPEAT = 1_000  # a repeated row or cell in a local table counts this many times at most
_HREF = "{http://www.w3.org/1999/xlink}href"


def embedded_charts(
    objects: Iterable[etree._Element], embedded: dict[str, etree._Element | str], room: int
) -> tuple[list[Chart], list[str]]:
    """The charts of `objects` (``draw:object`` elements, in the order they are to be read),
    from the package's embedded objects (`opendocument.Package.objects`), at most `room` data
    points together; and what could not be read or was cut, for a warning. An object that is
    no chart (a formula) is passed over."""
    charts: list[Chart] = []
    notes: list[str] = []
    for element in objects:
        found = embedded.get((element.get(_HREF) or "").strip())
        if isinstance(found, str):
            notes.append(f"a chart could not be read ({found})")
            continue
        chart = read_odf_chart(found, max(room, 0)) if found is not None else None
        if chart is None:
            continue
        room -= chart.points_read
        charts.append(chart)
        warning = cap_warning(chart)
        if warning:
            notes.append(warning)
    return charts, notes


def read_odf_chart(root: etree._Element, limit: int = MAX_CHART_POINTS) -> Chart | None:
    """The chart in an embedded object's content.xml root; None when the object is no chart
    (a formula, a drawing)."""
    chart = root.find(f"{OFFICE}body/{OFFICE}chart/{CHART}chart")
    if chart is None:
        return None
    title = _label(chart.find(f"{CHART}title"))
    local = chart.find(f"{_TABLE}table")
    header, rows = _local_table(local) if local is not None else ([], [])
    if not rows or len(header) < 2:
        return Chart(title)
    names = header[1:]
    if (chart.get(f"{CHART}class") or "").endswith("scatter"):
        return _xy_chart(chart, title, names, rows, limit)
    points = sum(1 for _ in names for _ in rows)
    table = [[title, *(row[0] for row in rows)]]
    read = 0
    for column, name in enumerate(names, start=1):
        if read >= limit:
            break
        values = [row[column] if column < len(row) else "" for row in rows][: limit - read]
        read += len(values)
        table.append([name, *values])
    return Chart(title, (table,), read, points)


def _xy_chart(
    chart: etree._Element, title: str, names: list[str], rows: list[list[str]], limit: int
) -> Chart:
    """A scatter chart: the local table's first column is x, each other column a series' y."""
    axes = {a.get(f"{CHART}dimension"): _label(a.find(f"{CHART}title")) for a in chart.iter(f"{CHART}axis")}
    table = [[title, axes.get("x") or "x", axes.get("y") or "y"]]
    points = 0
    for column, name in enumerate(names[1:], start=2):  # names[0] is the x column's
        for row in rows:
            if column < len(row) and row[column]:
                points += 1
                if len(table) - 1 < limit:
                    table.append([name, row[1] if len(row) > 1 else "", row[column]])
    return Chart(title, (table,), len(table) - 1, points)


def _local_table(table: etree._Element) -> tuple[list[str], list[list[str]]]:
    """The local table's header row (its cells' texts) and its other rows."""
    header: list[str] = []
    rows: list[list[str]] = []
    for group in table:
        if group.tag == f"{_TABLE}table-header-rows":
            header = next((_cells(row) for row in group.iter(f"{_TABLE}table-row")), [])
        elif group.tag == f"{_TABLE}table-rows":
            for row in group.iter(f"{_TABLE}table-row"):
                repeat = min(attribute_count(row, f"{_TABLE}number-rows-repeated"), _MAX_REPEAT)
                rows.extend([_cells(row)] * repeat)
    if header and not any(header[1:]) and rows:
        header = ["", *(f"Series {i}" for i in range(1, len(header)))]
    return header, rows


def _cells(row: etree._Element) -> list[str]:
    cells: list[str] = []
    for cell in row.iter(f"{_TABLE}table-cell"):
        text = " ".join(clean_inline(all_text(p)) for p in cell.iter(f"{_TEXT}p"))
        repeat = min(attribute_count(cell, f"{_TABLE}number-columns-repeated"), _MAX_REPEAT)
        cells.extend(text.strip() for _ in range(repeat))
    return cells


def _label(title: etree._Element | None) -> str:
    if title is None:
        return ""
    return clean_inline(" ".join(all_text(p) for p in title.iter(f"{_TEXT}p")))
