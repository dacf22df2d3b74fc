"""The SVG charts escape what they are given and draw what the data says."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from app.evaluation import charts

HOSTILE = "<script>alert(1)</script>"


def _parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 (our own output; also proves it is well-formed XML)


def test_line_chart_escapes_labels_and_plots_each_point() -> None:
    svg = charts.line_chart(
        {HOSTILE: [[1, 0.5], [10, 0.8], [100, 0.9]], "bm25": [[1, 0.4], [10, None], [100, 0.85]]},
        title=f"Recall {HOSTILE}",
        x_label="k",
        y_label="recall",
    )
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    root = _parse(svg)
    ns = {"svg": "http://www.w3.org/2000/svg"}
    assert len(root.findall("svg:polyline", ns)) == 2
    assert len(root.findall("svg:circle", ns)) == 5  # the missing point is not drawn
    # Higher recall is drawn higher (smaller y).
    ys = [float(c.attrib["cy"]) for c in root.findall("svg:circle", ns)[:3]]
    assert ys[0] > ys[1] > ys[2]


def test_bar_chart_heights_follow_values() -> None:
    svg = charts.bar_chart(
        [("hit", {"f1": 0.8, "em": 0.4}), (HOSTILE, {"f1": 0.2, "em": None})], title="F1", y_label="score"
    )
    assert "<script>" not in svg
    heights = [float(h) for h in re.findall(r'<rect x="[^"]+" y="[^"]+" width="[^"]+" height="([^"]+)"', svg)]
    # Three bars (the None is skipped), besides the legend's squares (height 10).
    bars = [h for h in heights if h != 10]
    assert len(bars) == 3
    assert bars[0] == pytest.approx(2 * bars[1], abs=0.2) and bars[0] == pytest.approx(4 * bars[2], abs=0.2)


def test_histogram_names_what_it_leaves_out() -> None:
    svg = charts.histogram_chart([0, 1, 2], [3, 1], title="TTFT", x_label="seconds", overflow=2)
    assert "2 above 2 not shown" in svg
    _parse(svg)
