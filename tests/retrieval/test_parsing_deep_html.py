"""Deep HTML keeps all of its text: in the tree up to libxml2's huge-tree limit, read flat
(with a warning naming what is lost) beyond it, in bounded time."""

from __future__ import annotations

import time

import pytest

from retrieval.parsing import parse_document


def _deep_page(depth: int) -> bytes:
    return (
        "<html><head><title>Deep page</title><style>p { color: red }</style></head><body>"
        "<h1>Surface</h1><p>Before the descent.</p>"
        + "<div>" * depth
        + "<h2>Bottom</h2><p>Text at the very bottom.</p><script>var hidden = 1;</script>"
        + "</div>" * depth
        + "<p>After the climb back up.</p><table><tr><td>cell one</td><td>cell two</td></tr></table>"
        "</body></html>"
    ).encode()


@pytest.mark.parametrize("depth", [300, 2000])
def test_deep_html_within_the_tree_limit_is_read_in_full(depth: int) -> None:
    parsed = parse_document(_deep_page(depth), "deep.html")
    for text in ("Before the descent.", "Text at the very bottom.", "After the climb back up."):
        assert text in parsed.text
    assert "cell one | cell two" in parsed.text
    assert parsed.warnings == ()
    assert parsed.title == "Deep page"
    assert any(section.heading_path == ("Surface", "Bottom") for section in parsed.sections)


def test_html_deeper_than_the_tree_limit_is_read_flat_with_a_warning() -> None:
    began = time.monotonic()
    parsed = parse_document(_deep_page(100_000), "deep.html")
    assert time.monotonic() - began < 10
    for text in ("Before the descent.", "Text at the very bottom.", "After the climb back up."):
        assert text in parsed.text
    assert "var hidden" not in parsed.text and "color: red" not in parsed.text
    assert "cell one" in parsed.text and "cell two" in parsed.text
    assert parsed.title == "Deep page"
    (warning,) = parsed.warnings
    assert "more than 2048 levels deep" in warning and "tables are not kept as rows" in warning
    assert any(section.heading_path == ("Surface", "Bottom") for section in parsed.sections)
