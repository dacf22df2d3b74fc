"""XML parts of uploaded files (EPUB, ODT), parsed without the risks XML carries.

No entity is expanded (a "billion laughs" stays a few bytes), no DTD is loaded and nothing
is fetched from the network; libxml2's default limits on depth and text size hold
(``huge_tree`` off). Parsing recovers from the small errors real files have (an unescaped
"&" in a description): what was read before the damage is kept, and the first error is
reported for a warning. A part cut short by a limit is not "recovered": its reader must
refuse it as past the server's limits, since the rest of it is not in the tree.
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

# How a refusal names the limits a part went past (`XmlPart.past_limits`).
XML_LIMITS = "the server's limits for XML (nesting depth, entity expansion or text size)"


@dataclass(frozen=True)
class XmlPart:
    root: etree._Element | None  # None when nothing readable was found
    past_limits: bool  # a libxml2 limit stopped the parse: the tree holds only a beginning
    damage: str | None  # the first error recovered from ("line 3: …"), if any


def strict_parser() -> etree.XMLParser:
    """The same settings, without recovery: for parts that must parse whole, as the library
    that reads them parses them (python-pptx), where damage costs the part."""
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


def parse_part(body: bytes) -> XmlPart:
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
        load_dtd=False,
        recover=True,
        remove_comments=True,
        remove_pis=True,
    )
    try:
        root = etree.fromstring(body.lstrip(), parser=parser)
    except (etree.XMLSyntaxError, ValueError):
        root = None
    errors = [entry for entry in parser.error_log if entry.level >= etree.ErrorLevels.ERROR]
    return XmlPart(
        root=root,
        past_limits=any(entry.type_name == "ERR_RESOURCE_LIMIT" for entry in parser.error_log),
        damage=f"line {errors[0].line}: {errors[0].message}" if errors else None,
    )
