"""Charts: a DrawingML chart part (``c:chartSpace``, the same in PPTX and XLSX) read as a person
sees the chart: its title, then its data as tables.

The data is the values the chart part caches, as the chart was last drawn; the cells its
series name (a PPTX chart's embedded workbook, an XLSX chart's sheet) are not read. A category
chart (column, bar, line, pie, area, radar…) gives a header row of its category labels (of
multi-level ones, the innermost), the first cell the chart's title or empty, then a row per
series: its name and its values, each through its number format (number_formats.py: 12 and
not 12.0, "12.5%"; a date format gives 2024-01-31). An XY or bubble chart has no categories:
it gives a row per point, its series' name then x, y (and size), under its axes' titles (else
"x", "y", "size"). A chart without cached points reads as its title alone (openpyxl, for one,
writes charts that cache nothing, and a table of only their title would say it twice). A
chart reads at most ``limit`` data points (MAX_CHART_POINTS by default), series by series;
``cap_warning`` words what was left out. The Office 2016 chart kinds (waterfall, treemap…) are
another part type (``cx:chart``) and not read here.

``read_chart`` raises ValueError when the part is malformed (a point index that is not a
number); its caller words that as a chart that could not be read.
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree
from openpyxl.styles.numbers import is_date_format
from openpyxl.utils.datetime import from_excel

from retrieval.parsing.builder import DocumentBuilder, clean_inline
from retrieval.parsing.drawingml import A, C, paragraph_text
from retrieval.parsing.number_formats import format_moment, format_number

MAX_CHART_POINTS = 1_000  # data points read per chart; past this, a warning says how many there are

_XY_COLUMNS = {"xVal": "x", "yVal": "y", "bubbleSize": "size"}  # an XY table's header without axis titles

Rows = list[list[str]]


@dataclass(frozen=True)
class Chart:
    """What a chart reads as: its title ("" without one), then its tables (a header row, then
    a row per series or per point), and how many of its data points were read of how many."""

    title: str = ""
    tables: tuple[Rows, ...] = ()
    points_read: int = 0
    points: int = 0


def read_chart(chart_space: etree._Element, limit: int = MAX_CHART_POINTS) -> Chart:
    """The chart in a ``c:chartSpace`` element (see the module docstring)."""
    chart = chart_space.find(f"{C}chart")
    plot_area = chart.find(f"{C}plotArea") if chart is not None else None
    if chart is None or plot_area is None:
        return Chart()
    title = _chart_label(chart.find(f"{C}title"))
    by_category: list[etree._Element] = []
    xy: list[tuple[etree._Element, etree._Element]] = []  # (plot, series)
    for plot in plot_area:
        for series in plot.iterfind(f"{C}ser"):
            if series.find(f"{C}yVal") is not None:
                xy.append((plot, series))
            else:
                by_category.append(series)
    tables: list[Rows] = []
    read = total = 0
    if by_category:
        table, read, total = _category_table(title, by_category, limit)
        tables += [table] if read else []
    if xy:
        table, xy_read, xy_total = _xy_table(title, plot_area, xy, limit - read)
        tables += [table] if xy_read else []
        read, total = read + xy_read, total + xy_total
    return Chart(title, tuple(tables), read, total)


def add_chart(builder: DocumentBuilder, chart: Chart) -> None:
    """A chart into a document as a person reads it: its title as a paragraph, then its tables,
    each headed by its first row."""
    if chart.title:
        builder.add_paragraph(chart.title)
    for table in chart.tables:
        builder.add_table(table, header_rows=1)


def cap_warning(chart: Chart) -> str | None:
    """What a chart cut by its limit left out, for the document's warnings; None when it was read whole."""
    if chart.points <= chart.points_read:
        return None
    return f"a chart has {chart.points:,} data points; the first {chart.points_read:,} were read"


def _category_table(title: str, all_series: list[etree._Element], limit: int) -> tuple[Rows, int, int]:
    """A header row (``title``, then the category labels) and a row per series (its name,
    then its values); the points read (at most ``limit``) and the points there are."""
    width = max(_extent(series.find(f"{C}{tag}")) for series in all_series for tag in ("cat", "val"))
    columns = min(width, limit)
    rows = all_series[: limit // max(columns, 1)]
    sources = (series.find(f"{C}cat") for series in all_series)
    categories = next((source for source in sources if source is not None), None)
    # Without categories, a chart numbers its points from 1.
    labels = (
        _points(categories, columns) if categories is not None else {i: str(i + 1) for i in range(columns)}
    )
    table = [[title, *(labels.get(i, "") for i in range(columns))]]
    for series in rows:
        values = _points(series.find(f"{C}val"), columns)
        table.append([_series_name(series), *(values.get(i, "") for i in range(columns))])
    return table, len(rows) * columns, len(all_series) * width


def _xy_table(
    title: str, plot_area: etree._Element, all_series: list[tuple[etree._Element, etree._Element]], limit: int
) -> tuple[Rows, int, int]:
    """A header row (``title``, then the axes' titles, else x, y and size) and a row per
    point (its series' name, x, y and, in a bubble chart, size); the first ``limit`` points."""
    first_plot = all_series[0][0]
    tags = ("xVal", "yVal", "bubbleSize") if first_plot.tag == f"{C}bubbleChart" else ("xVal", "yVal")
    axes = [_axis_title(plot_area, first_plot, index) for index in range(2)]
    table = [[title, *(axes[i] if i < 2 and axes[i] else _XY_COLUMNS[tag] for i, tag in enumerate(tags))]]
    read = total = 0
    for _, series in all_series:
        count = _extent(series.find(f"{C}yVal"))
        shown = min(count, limit - read)
        name, columns = _series_name(series), [_points(series.find(f"{C}{tag}"), shown) for tag in tags]
        table += [[name, *(column.get(i, "") for column in columns)] for i in range(shown)]
        read, total = read + shown, total + count
    return table, read, total


def _chart_label(title: etree._Element | None) -> str:
    """A chart's or an axis's title: its text, else the cell it names (as cached)."""
    if title is None:
        return ""
    paragraphs = title.findall(f"{C}tx/{C}rich/{A}p")
    if paragraphs:
        return clean_inline(" ".join(paragraph_text(p) for p in paragraphs))
    return clean_inline(title.findtext(f"{C}tx/{C}strRef/{C}strCache/{C}pt/{C}v") or "")


def _axis_title(plot_area: etree._Element, plot: etree._Element, index: int) -> str:
    """The title of the ``index``-th axis of ``plot`` (0: x, 1: y), or ""."""
    ids = [axis.get("val") for axis in plot.iterfind(f"{C}axId")]
    if index >= len(ids):
        return ""
    for axis in plot_area.iterfind(f"{C}valAx"):
        if ids[index] in {axis_id.get("val") for axis_id in axis.iterfind(f"{C}axId")}:
            return _chart_label(axis.find(f"{C}title"))
    return ""


def _series_name(series: etree._Element) -> str:
    """The series' name: literal, or the cell it names (as cached)."""
    return clean_inline(next((value.text or "" for value in series.iterfind(f"{C}tx//{C}v")), ""))


def _extent(source: etree._Element | None) -> int:
    """How many points a data source spans (its highest index, plus one)."""
    if source is None:
        return 0
    return max((int(point.get("idx", "")) for point in source.iter(f"{C}pt")), default=-1) + 1


def _points(source: etree._Element | None, limit: int) -> dict[int, str]:
    """A data source's points below ``limit`` by index, shown as the chart shows them: a
    number through its number format. Of multi-level categories, the innermost level."""
    if source is None:
        return {}
    cache = next(source.iter(f"{C}lvl"), source)
    numeric = source.find(f"{C}numRef") is not None or source.find(f"{C}numLit") is not None
    number_format = cache.findtext(f".//{C}formatCode")
    shown = {}
    for point in cache.iter(f"{C}pt"):
        index = int(point.get("idx", ""))
        if index < limit:
            value = point.findtext(f"{C}v") or ""
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
        return format_moment(from_excel(number))  # below 1, a time of day
    return format_number(number, number_format)
