"""DrawingML, the graphics markup PPTX slides and the chart parts of PPTX and XLSX share: its
namespaces (in ElementTree's "{uri}" form, ready for tags: f"{A}p") and the text of a paragraph."""

from __future__ import annotations

from lxml import etree

A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"  # text, shapes, tables
C = "{http://schemas.openxmlformats.org/drawingml/2006/chart}"  # charts (c:chartSpace parts)


def paragraph_text(paragraph: etree._Element) -> str:
    """An ``a:p`` paragraph's runs and fields, its line breaks as newlines."""
    parts: list[str] = []
    for child in paragraph:
        if child.tag in {f"{A}r", f"{A}fld"}:
            parts.append(child.findtext(f"{A}t") or "")
        elif child.tag == f"{A}br":
            parts.append("\n")
    return "".join(parts)
