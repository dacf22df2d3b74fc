"""SmartArt: a DrawingML diagram's data part read as the text its graphic shows.

A SmartArt graphic keeps its text in a data part (``dgm:dataModel``): points (``dgm:pt``), of
which the nodes and assistants hold text, and connections (``dgm:cxn``) saying which node is
whose child, in what order. The text reads as a "- " list item per node with text, in the
order of the graphic's outline: each node's children (by their order) right after it; nodes
outside the outline come last, in the file's order. Connector, layout and root points hold no
text. The part is parsed strictly and safely (``safe_xml.strict_parser``): a damaged one raises
etree.XMLSyntaxError, a bad order ValueError, and its caller words that as the graphic lost.
"""

from __future__ import annotations

from lxml import etree

from retrieval.parsing.builder import clean_inline
from retrieval.parsing.drawingml import A, paragraph_text
from retrieval.parsing.safe_xml import strict_parser

DGM = "{http://schemas.openxmlformats.org/drawingml/2006/diagram}"


def diagram_items(data: bytes) -> list[str]:
    """The list items of a diagram data part (see the module docstring)."""
    model = etree.fromstring(data, strict_parser())
    texts: dict[str | None, str] = {}  # node by id, in the file's order
    roots = []
    for point in model.iterfind(f"{DGM}ptLst/{DGM}pt"):
        kind = point.get("type", "node")
        if kind == "doc":
            roots.append(point.get("modelId"))
        elif kind in {"node", "asst"}:  # the others are connectors and layout points
            paragraphs = point.iterfind(f"{DGM}t/{A}p")
            texts[point.get("modelId")] = clean_inline(" ".join(paragraph_text(p) for p in paragraphs))
    children: dict[str | None, list[tuple[int, int, str | None]]] = {}
    for index, link in enumerate(model.iterfind(f"{DGM}cxnLst/{DGM}cxn")):
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
