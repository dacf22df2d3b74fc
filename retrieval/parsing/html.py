"""HTML: the page's main text, with headings, paragraphs, lists and tables.

lxml's HTML parser (libxml2) is used directly rather than through BeautifulSoup: it is
as lenient with broken markup and several times faster on large pages. The tree is
walked with an explicit stack, so deeply nested markup cannot hit Python's recursion limit.
"""

from __future__ import annotations

import html.parser
import re
from collections.abc import Iterator
from dataclasses import dataclass

import lxml.etree
import lxml.html

from retrieval.document import ParsedDocument, ParseError
from retrieval.parsing.builder import DocumentBuilder, clean_inline
from retrieval.parsing.decoding import decode_text
from retrieval.parsing.table_cells import spread
from retrieval.parsing.table_header import guess_header_rows
from retrieval.parsing.titles import first_real_title

# Never text a reader sees.
# fmt: off
_INVISIBLE_TAGS = frozenset({
    "audio", "button", "canvas", "datalist", "dialog", "embed", "head", "iframe", "input",
    "map", "noscript", "object", "option", "script", "select", "style", "svg", "template",
    "textarea", "video"
})
# fmt: on
# Page chrome: menus and side bars repeat on every page of a site and drown the content.
# <form> itself is kept: some sites (ASP.NET) wrap their whole page in one.
_CHROME_TAGS = frozenset({"nav", "aside"})
_CHROME_ROLES = frozenset({"navigation", "banner", "contentinfo", "complementary", "search"})
# Words in class and id attributes that mark chrome in pages that do not use the semantic
# tags (a short form of Readability's "unlikely candidates"). "header" is not among them:
# article titles often sit in a "...-header" container.
# fmt: off
_CHROME_WORDS = frozenset({
    "ads", "advert", "breadcrumb", "breadcrumbs", "catlinks", "cookie", "cookies", "dropdown",
    "editsection", "footer", "jump", "masthead", "menu", "menubar", "modal", "nav", "navbar",
    "navigation", "noprint", "pager", "pagination", "popup", "portlet", "share", "sidebar",
    "skip", "social", "toolbar"
})
# fmt: on
_ATTRIBUTE_WORDS = re.compile(r"[\s_-]+")
# ...unless the element also says it is content, or holds much of the page's text: a
# "post share-enabled" wrapper is the article, not a share bar.
_CONTENT_WORDS = frozenset({"article", "body", "content", "entry", "main", "post", "story", "text"})
_CHROME_MAX_SHARE = 0.3
# fmt: off
_BLOCK_TAGS = frozenset({
    "address", "article", "blockquote", "body", "caption", "center", "dd", "details", "dialog",
    "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "header",
    "hgroup", "hr", "html", "legend", "li", "main", "menu", "ol", "p", "section", "summary",
    "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul"
})
# fmt: on
_NEVER_CHROME = frozenset({"html", "body", "main", "article", "h1", "h2", "h3", "h4", "h5", "h6"})
_HEADING_LEVELS = {f"h{n}": n for n in range(1, 7)}
_SPACE = re.compile(r"\s+")
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_DECLARED_CHARSET = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)|<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9._:-]+)""",
    re.IGNORECASE,
)


def parse_html(data: bytes) -> ParsedDocument:
    builder = DocumentBuilder("html")
    title = add_html_document(builder, data)
    return builder.build(title=first_real_title(title, builder.first_h1))


def add_html_document(builder: DocumentBuilder, data: bytes) -> str | None:
    """Add the main text of a whole HTML (or XHTML) page to ``builder``; return the text of
    its ``<title>``, if any, for the caller to weigh as a title.

    The one reader of pages: ``parse_html`` and each chapter of an EPUB come through here.
    Raises ParseError when the bytes are no page at all.
    """
    match = _DECLARED_CHARSET.search(data[:4096])
    declared = (match.group(1) or match.group(2)).decode("ascii") if match else None
    text = decode_text(data, declared=declared)
    try:
        root = _parse_tree(text)
    except _TooDeep as error:
        return _add_flat(builder, text, str(error))
    title_element = root.find(".//title")
    title = title_element.text_content() if title_element is not None else None

    before = builder.length
    _drop(root, _is_invisible)
    _HtmlWalker(builder).walk(_without_chrome(root))
    if builder.length == before:
        # Everything was in what looked like chrome (a page that is all <header>, say):
        # then the chrome is the content.
        root = _parse_tree(text)
        _drop(root, _is_invisible)
        _HtmlWalker(builder).walk(root)
    return title


def add_html_fragment(builder: DocumentBuilder, fragment: str) -> None:
    """Add the text of an HTML snippet (raw HTML inside Markdown) to ``builder``."""
    try:
        root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    except (lxml.etree.ParserError, ValueError):
        return  # nothing parseable: a lone closing tag, say
    _drop(root, _is_invisible)
    _HtmlWalker(builder).walk(root)


class _TooDeep(Exception):
    """libxml2 stopped at its nesting limit: what follows that depth is not in the tree."""


def _parse_tree(text: str) -> lxml.html.HtmlElement:
    # Parse UTF-8 bytes rather than str: lxml refuses a str that carries its own
    # <?xml encoding=...?> declaration. huge_tree raises libxml2's nesting limit from 256
    # to 2,048 levels; past it libxml2 silently drops the rest of the page, so a depth
    # error sends the page to the flat reader instead.
    parser = lxml.html.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True, huge_tree=True)
    try:
        root = lxml.html.document_fromstring(text.encode("utf-8", "replace"), parser=parser)
    except (lxml.etree.ParserError, ValueError) as error:
        if any("Excessive depth" in entry.message for entry in parser.error_log):
            raise _TooDeep(_depth_limit(parser)) from error
        if "empty" in str(error).lower():  # lxml's "Document is empty": only blanks or comments
            raise ParseError("no extractable text: the HTML page has no content") from error
        raise ParseError(f"not a readable HTML document ({error})") from error
    if any("Excessive depth" in entry.message for entry in parser.error_log):
        raise _TooDeep(_depth_limit(parser))
    return root


def _depth_limit(parser: lxml.html.HTMLParser) -> str:
    for entry in parser.error_log:
        found = re.search(r"Excessive depth in document: (\d+)", entry.message)
        if found:
            return found.group(1)
    return "2048"


# Elements whose content is never text a reader sees, for the flat reader (no void tags:
# they have no end tag to close the count).
_FLAT_HIDDEN = frozenset({
    "audio", "canvas", "head", "iframe", "noscript", "object", "script", "select", "style", "svg",
    "template", "textarea", "video",
})  # fmt: skip


class _FlatReader(html.parser.HTMLParser):
    """Reads HTML as a stream of tags, with no tree: any depth, linear time and memory."""

    def __init__(self, builder: DocumentBuilder) -> None:
        super().__init__(convert_charrefs=True)
        self.builder = builder
        self.inline: list[str] = []
        self.hidden = 0
        self.heading: int | None = None
        self.title: list[str] | None = None
        self.titles: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title":
            self.title = []
        elif tag == "body":
            self.hidden = 0  # an unclosed <head> ends here
        elif tag in _FLAT_HIDDEN:
            self.hidden += 1
        elif tag == "br":
            self.inline.append("\n")
        elif tag in _HEADING_LEVELS:
            self.flush()
            self.heading = _HEADING_LEVELS[tag]
        elif tag in _BLOCK_TAGS:
            self.flush()
            if tag == "li":
                self.inline.append("- ")
        elif tag in {"td", "th"}:
            self.inline.append(" | ")

    def handle_endtag(self, tag: str) -> None:
        if tag == "title" and self.title is not None:
            self.titles.append(clean_inline("".join(self.title)))
            self.title = None
        elif tag in _FLAT_HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag in _HEADING_LEVELS and self.heading is not None:
            text = clean_inline("".join(self.inline))
            self.inline = []
            if text:
                self.builder.add_heading(self.heading, text)
            self.heading = None
        elif tag in _BLOCK_TAGS:
            self.flush()

    def handle_data(self, data: str) -> None:
        if self.title is not None:
            self.title.append(data)
        elif not self.hidden:
            self.inline.append(_SPACE.sub(" ", data))

    def flush(self) -> None:
        if self.heading is not None:
            return  # block tags inside a heading: keep collecting the heading's text
        text = "".join(self.inline)
        self.inline = []
        if text.strip() and text.strip() not in {"-", "|"}:
            self.builder.add_paragraph(text)


def _add_flat(builder: DocumentBuilder, text: str, depth_limit: str) -> str | None:
    """The whole page as text when it nests deeper than libxml2 can build a tree for."""
    reader = _FlatReader(builder)
    reader.feed(text)
    reader.close()
    reader.flush()
    builder.warnings.append(
        f"the page nests elements more than {depth_limit} levels deep, so it was read as plain "
        "text without its layout: tables are not kept as rows, and menus or side bars may be "
        "included with the content"
    )
    return next((t for t in reader.titles if t), None)


def _drop(root: lxml.html.HtmlElement, should_drop) -> None:
    doomed = [el for el in root.iter() if isinstance(el.tag, str) and should_drop(el)]
    for el in doomed:
        if el.getparent() is not None:
            el.drop_tree()  # keeps the element's tail text, which belongs to its parent


def _is_invisible(el: lxml.html.HtmlElement) -> bool:
    if el.tag.lower() in _INVISIBLE_TAGS:
        return True
    if el.get("hidden") is not None or el.get("aria-hidden", "").lower() == "true":
        return True
    return bool(_HIDDEN_STYLE.search(el.get("style", "")))


def _without_chrome(root: lxml.html.HtmlElement) -> lxml.html.HtmlElement:
    """The page without navigation chrome; just its <main> element when it has one.

    Changes the tree in place.
    """
    body = root.find(".//body")
    body = body if body is not None else root
    mains = {
        el for el in body.iter() if isinstance(el.tag, str) and (el.tag == "main" or el.get("role") == "main")
    }

    page_length = len(body.text_content())

    def is_chrome(el: lxml.html.HtmlElement) -> bool:
        tag = el.tag.lower()
        if tag in _CHROME_TAGS or el.get("role", "").lower() in _CHROME_ROLES:
            return True
        words = set(_ATTRIBUTE_WORDS.split(f"{el.get('class', '')} {el.get('id', '')}".lower()))
        if (
            words & _CHROME_WORDS
            and not words & _CONTENT_WORDS
            and tag not in _NEVER_CHROME
            and el.find(".//h1") is None
            and len(el.text_content()) < _CHROME_MAX_SHARE * page_length
        ):
            return True
        # An article's own <header>/<footer> holds its title and byline: keep those.
        return tag in {"header", "footer"} and not any(
            ancestor.tag in {"article", "main"} for ancestor in el.iterancestors()
        )

    _drop(body, is_chrome)
    if len(mains) == 1:
        (main,) = mains
        if main.getparent() is not None and main.text_content().strip():
            return main
    return body


@dataclass(frozen=True)
class _Close:
    element: lxml.html.HtmlElement


class _HtmlWalker:
    def __init__(self, builder: DocumentBuilder) -> None:
        self.builder = builder
        self.inline: list[str] = []

    def walk(self, root: lxml.html.HtmlElement) -> None:
        stack: list[lxml.html.HtmlElement | _Close | str] = [root]
        while stack:
            item = stack.pop()
            if isinstance(item, str):
                self.inline.append(_SPACE.sub(" ", item))
                continue
            if isinstance(item, _Close):
                if item.element.tag.lower() in _BLOCK_TAGS:
                    self.flush()
                continue
            if item is not root and item.tail:
                stack.append(item.tail)  # the tail follows the element's close
            if not isinstance(item.tag, str):
                continue  # comments and processing instructions carry no content
            if self.leaf(item):
                continue
            if item.tag.lower() in _BLOCK_TAGS:
                self.flush()
                if item.tag.lower() == "li":
                    self.inline.append("- ")
            stack.append(_Close(item))
            stack.extend(reversed(item))
            if item.text:
                stack.append(item.text)
        self.flush()

    def leaf(self, el: lxml.html.HtmlElement) -> bool:
        """Handle elements whose text is read as a whole; False for ordinary elements."""
        tag = el.tag.lower()
        if tag == "br":
            self.inline.append("\n")
        elif tag in _HEADING_LEVELS:
            self.flush()
            self.builder.add_heading(_HEADING_LEVELS[tag], _inline_text(el))
        elif tag == "pre":
            self.flush()
            self.builder.add_paragraph(el.text_content(), preformatted=True)
        elif tag == "table" and not _is_layout_table(el):
            self.flush()
            caption = el.find("caption")
            if caption is not None:
                self.builder.add_paragraph(_inline_text(caption))
            rows = list(_table_rows(el))
            self.builder.add_table([cells for cells, _ in rows], header_rows=_header_rows(rows))
        else:
            return False
        return True

    def flush(self) -> None:
        text = "".join(self.inline)
        self.inline = []
        if text.strip() and text.strip() != "-":
            self.builder.add_paragraph(text)


def _is_layout_table(table: lxml.html.HtmlElement) -> bool:
    """A table that lays out a page (old sites put everything in one) rather than holding
    data: it contains headings, or a cell holds a run of paragraphs. Its cells are read as
    blocks. Counted per cell: SEC filings and other generated reports wrap every value of
    their financial tables in a <p> of its own, and read as blocks those tables became one
    figure per paragraph, "$" and ")" included, with no row to say what each figure is."""
    if next(table.iter("h1", "h2", "h3", "h4", "h5", "h6"), None) is not None:
        return True
    return any(
        sum(1 for _ in zip(cell.iter("p"), range(3), strict=False)) >= 3 for cell in table.iter("td", "th")
    )


def _inline_text(el: lxml.html.HtmlElement) -> str:
    return clean_inline(_SPACE.sub(" ", " ".join(el.itertext())))


def _table_rows(table: lxml.html.HtmlElement) -> Iterator[tuple[list[str], lxml.html.HtmlElement]]:
    """Each row with text as (cell texts, the row); a nested table is flattened into its cell."""
    for row in table.iter("tr"):
        if next(row.iterancestors("table"), None) is not table:
            continue  # a row of a nested table: already in its outer cell's text
        cells = spread((_inline_text(cell), _colspan(cell)) for cell in row if cell.tag in {"td", "th"})
        if any(cells):
            yield cells, row


def _colspan(cell: lxml.html.HtmlElement) -> int:
    value = (cell.get("colspan") or "1").strip()
    return int(value) if value.isdigit() else 1


def _header_rows(rows: list[tuple[list[str], lxml.html.HtmlElement]]) -> int:
    """How many leading rows hold column names: those in <thead>, else those made only of
    <th> cells, else the rows before the first with figures (``guess_header_rows``)."""
    count = 0
    for _, row in rows:
        parent = row.getparent()
        in_head = parent is not None and parent.tag == "thead"
        all_th = all(cell.tag == "th" for cell in row if cell.tag in {"td", "th"})
        if not (in_head or all_th):
            break
        count += 1
    if count == 0:
        return guess_header_rows([cells for cells, _ in rows])
    return count if count < len(rows) else 1
