"""PPTX: slides as pages, titles as headings, shapes in reading order, tables, charts, SmartArt,
speaker notes, and refusals with a reason. Small decks are built here with python-pptx (SmartArt,
which it cannot write, from its parts); three real ones come from the shared doc-samples (one
with docling's groundtruth to compare with). None of those has a chart or SmartArt."""

from __future__ import annotations

import datetime
import io
import re
import time
from collections.abc import Callable

import pptx
from pptx.chart.data import BubbleChartData, CategoryChartData, XyChartData
from pptx.enum.chart import XL_CHART_TYPE
from pptx.opc.constants import CONTENT_TYPE, RELATIONSHIP_TYPE
from pptx.opc.package import Part
from pptx.opc.packuri import PackURI
from pptx.oxml import parse_xml
from pptx.util import Inches

from retrieval.document import ParsedDocument
from retrieval.parsing import detect_format, parse_document
from tests.conftest import SHARED_DATA, needs_shared_data
from tests.retrieval.conftest import refusal
from tests.retrieval.zip_builder import billion_laughs, rewritten

DOC_SAMPLES = SHARED_DATA / "doc-samples"
EXAMPLE_DOCS = DOC_SAMPLES / "unstructured" / "example-docs"
DOCLING_PPTX = DOC_SAMPLES / "docling" / "tests" / "data" / "pptx"
TITLE_ONLY = 5  # layouts of python-pptx's default template
TITLE_AND_CONTENT = 1
TITLE_SLIDE = 0
BLANK = 6
_DGM = "http://schemas.openxmlformats.org/drawingml/2006/diagram"

Slide = Callable[[pptx.presentation.Presentation], None]


def make_deck(*slides: Slide, title: str | None = None) -> bytes:
    deck = pptx.Presentation()
    if title is not None:
        deck.core_properties.title = title
    for add in slides:
        add(deck)
    buffer = io.BytesIO()
    deck.save(buffer)
    return buffer.getvalue()


def titled(title: str, *lines: str, notes: str | None = None) -> Slide:
    """A "Title and Content" slide: its body placeholder holds ``lines`` (bulleted by the
    template's master), and ``notes`` its speaker notes."""

    def add(deck: pptx.presentation.Presentation) -> None:
        slide = deck.slides.add_slide(deck.slide_layouts[TITLE_AND_CONTENT])
        slide.shapes.title.text = title
        body = slide.placeholders[1].text_frame
        body.text = lines[0] if lines else ""
        for line in lines[1:]:
            body.add_paragraph().text = line
        if notes is not None:
            slide.notes_slide.notes_text_frame.text = notes

    return add


def boxes(*placed: tuple[float, float, str], title: str | None = None) -> Slide:
    """A slide of text boxes, each (top, left, text) in inches, added in the order given."""

    def add(deck: pptx.presentation.Presentation) -> None:
        slide = deck.slides.add_slide(deck.slide_layouts[TITLE_ONLY if title else BLANK])
        if title:
            slide.shapes.title.text = title
        for top, left, text in placed:
            box = slide.shapes.add_textbox(Inches(left), Inches(top), Inches(2), Inches(0.5))
            box.text_frame.text = text

    return add


def quarterly(number_format: str = "General", **series: tuple[float | None, ...]) -> CategoryChartData:
    data = CategoryChartData(number_format=number_format)
    data.categories = ["Q1", "Q2", "Q3"]
    for name, values in series.items():
        data.add_series(name, values)
    return data


def charted(
    *charts: tuple[float, CategoryChartData | XyChartData | BubbleChartData, str | None],
    title: str = "Charts",
) -> Slide:
    """A titled slide of charts, each (top in inches, chart data, chart title or None): a
    clustered column chart of category data, a scatter or bubble chart of XY or bubble data."""

    def add(deck: pptx.presentation.Presentation) -> None:
        slide = deck.slides.add_slide(deck.slide_layouts[TITLE_ONLY])
        slide.shapes.title.text = title
        for top, data, chart_title in charts:
            kind = {
                CategoryChartData: XL_CHART_TYPE.COLUMN_CLUSTERED,
                XyChartData: XL_CHART_TYPE.XY_SCATTER,
                BubbleChartData: XL_CHART_TYPE.BUBBLE,
            }[type(data)]
            chart = slide.shapes.add_chart(kind, Inches(1), Inches(top), Inches(6), Inches(1), data).chart
            chart.has_title = chart_title is not None
            if chart_title is not None:
                chart.chart_title.text_frame.text = chart_title

    return add


def smartart(points: str, links: str) -> Slide:
    """A slide with a SmartArt graphic whose data part holds ``points`` (dgm:pt elements) and
    ``links`` (dgm:cxn elements), and a text box below it."""

    def add(deck: pptx.presentation.Presentation) -> None:
        slide = deck.slides.add_slide(deck.slide_layouts[TITLE_ONLY])
        slide.shapes.title.text = "Process"
        data = (
            f'<dgm:dataModel xmlns:dgm="{_DGM}" xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main">'
            f"<dgm:ptLst>{points}</dgm:ptLst><dgm:cxnLst>{links}</dgm:cxnLst><dgm:bg/><dgm:whole/></dgm:dataModel>"
        )
        part = Part(
            PackURI("/ppt/diagrams/data1.xml"),
            CONTENT_TYPE.DML_DIAGRAM_DATA,
            deck.part.package,
            data.encode(),
        )
        rid = slide.part.relate_to(part, RELATIONSHIP_TYPE.DIAGRAM_DATA)
        frame = parse_xml(
            '<p:graphicFrame xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"'
            ' xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"'
            ' xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            '<p:nvGraphicFramePr><p:cNvPr id="9" name="Diagram 1"/><p:cNvGraphicFramePr/><p:nvPr/>'
            f'</p:nvGraphicFramePr><p:xfrm><a:off x="914400" y="{Inches(2)}"/>'
            '<a:ext cx="5486400" cy="914400"/>'
            f'</p:xfrm><a:graphic><a:graphicData uri="{_DGM}"><dgm:relIds xmlns:dgm="{_DGM}" r:dm="{rid}"'
            ' r:lo="" r:qs="" r:cs=""/></a:graphicData></a:graphic></p:graphicFrame>'
        )
        slide.shapes.add_textbox(Inches(1), Inches(6), Inches(4), Inches(0.5)).text_frame.text = "After it"
        slide.shapes.element.append(frame)

    return add


def node(model_id: str, text: str, kind: str = "node") -> str:
    paragraph = (
        f"<a:p><a:r><a:t>{text}</a:t></a:r></a:p>" if text else '<a:p><a:endParaRPr lang="en-US"/></a:p>'
    )
    body = f"<dgm:t><a:bodyPr/><a:lstStyle/>{paragraph}</dgm:t>"
    return f'<dgm:pt modelId="{model_id}" type="{kind}">{body}</dgm:pt>'


def parent_of(source: str, destination: str, order: int, kind: str = "parOf") -> str:
    ends = f'srcId="{source}" destId="{destination}" srcOrd="{order}" destOrd="0"'
    return f'<dgm:cxn modelId="{source}-{destination}" type="{kind}" {ends}/>'


def parse(data: bytes, name: str = "deck.pptx") -> ParsedDocument:
    return parse_document(data, name)


def refused(data: bytes, name: str = "deck.pptx") -> str:
    return refusal(data, name)


def paragraphs(doc: ParsedDocument) -> list[str]:
    return doc.text.split("\n\n")


def section_of(doc: ParsedDocument, needle: str):  # type: ignore[no-untyped-def]
    offset = doc.text.find(needle)
    assert offset >= 0, f"{needle!r} not in the text"
    return doc.section_at(offset)


# --- decks built here ---------------------------------------------------------------------------


def test_pptx_is_a_supported_format() -> None:
    data = make_deck(titled("Agenda", "Welcome"))
    assert detect_format("Deck.PPTX", data) == "pptx"
    assert parse(data).format == "pptx"


def test_each_slide_is_a_page_in_slide_order_with_its_title_as_heading() -> None:
    doc = parse(
        make_deck(titled("Agenda", "Welcome"), titled("Results", "Revenue grew"), titled("Next", "Hire"))
    )
    assert doc.page_count == 3
    assert doc.text.index("Agenda") < doc.text.index("Results") < doc.text.index("Next")
    revenue = section_of(doc, "Revenue grew")
    assert (revenue.page, revenue.heading_path) == (2, ("Results",))
    assert section_of(doc, "Hire").page == 3
    assert "Results" in paragraphs(doc)  # the title is in the text, as its own paragraph


def test_body_placeholder_paragraphs_are_list_items_from_the_master_bullets() -> None:
    doc = parse(make_deck(titled("Plan", "Find the layout", "Add the bullets")))
    assert "- Find the layout" in paragraphs(doc)
    assert "- Add the bullets" in paragraphs(doc)
    assert "Plan" in paragraphs(doc)  # a title is never a list item


def test_shapes_read_top_to_bottom_then_left_to_right() -> None:
    # Boxes side by side are rarely aligned to the EMU: within 0.2 inch they are one row.
    slide = boxes(
        (4.0, 1.0, "Last, at the bottom."),
        (1.0, 5.0, "Second, on the right, a little higher."),
        (1.05, 1.0, "First, top left."),
        (2.5, 1.0, "Third, in the middle."),
        title="Layout",
    )
    text = parse(make_deck(slide)).text
    order = ["Layout", "First, top left.", "Second, on the right", "Third, in the middle.", "Last, at"]
    positions = [text.index(part) for part in order]
    assert positions == sorted(positions)


def test_the_title_leads_the_slide_wherever_it_is_placed() -> None:
    def add(deck: pptx.presentation.Presentation) -> None:
        slide = deck.slides.add_slide(deck.slide_layouts[TITLE_ONLY])
        slide.shapes.title.text = "Bottom title"
        slide.shapes.title.top = Inches(6)
        slide.shapes.add_textbox(Inches(1), Inches(1), Inches(3), Inches(1)).text_frame.text = "Above it"

    doc = parse(make_deck(add))
    assert doc.text.index("Bottom title") < doc.text.index("Above it")
    assert section_of(doc, "Above it").heading_path == ("Bottom title",)


def test_grouped_shapes_are_read_in_place_and_in_order() -> None:
    def add(deck: pptx.presentation.Presentation) -> None:
        slide = deck.slides.add_slide(deck.slide_layouts[TITLE_ONLY])
        slide.shapes.title.text = "Org chart"
        slide.shapes.add_textbox(
            Inches(1), Inches(5), Inches(3), Inches(1)
        ).text_frame.text = "Below the group"
        group = slide.shapes.add_group_shape()
        inner = group.shapes.add_group_shape()  # a group inside the group
        inner.shapes.add_textbox(Inches(4), Inches(3), Inches(2), Inches(1)).text_frame.text = "Engineering"
        group.shapes.add_textbox(Inches(1), Inches(3), Inches(2), Inches(1)).text_frame.text = "Sales"
        group.shapes.add_textbox(Inches(2), Inches(2), Inches(2), Inches(1)).text_frame.text = "Director"

    text = parse(make_deck(add)).text
    order = ["Org chart", "Director", "Sales", "Engineering", "Below the group"]
    positions = [text.index(part) for part in order]
    assert positions == sorted(positions)


def test_a_table_is_a_table_with_its_first_row_as_header() -> None:
    def add(deck: pptx.presentation.Presentation) -> None:
        slide = deck.slides.add_slide(deck.slide_layouts[TITLE_ONLY])
        slide.shapes.title.text = "Revenue by region"
        shape = slide.shapes.add_table(3, 3, Inches(1), Inches(2), Inches(6), Inches(2))
        table = shape.table
        table.first_row = False  # the header is the first row whatever the style flag says
        for r, row in enumerate(
            [["Region", "2023", "2024"], ["North", "1,200", "1,450"], ["South", "980", ""]]
        ):
            for c, text in enumerate(row):
                table.cell(r, c).text = text
        table.cell(2, 1).merge(table.cell(2, 2))
        table.cell(2, 1).text = "980 (both years)"

    doc = parse(make_deck(add))
    (table,) = doc.tables
    rows = [(doc.text[row.start : row.end], row.header) for row in table.rows]
    assert rows == [
        ("Region | 2023 | 2024", True),
        ("North | 1,200 | 1,450", False),
        ("South | 980 (both years)", False),
    ]
    assert section_of(doc, "North | 1,200").heading_path == ("Revenue by region",)


def test_speaker_notes_follow_the_slide_under_a_notes_heading() -> None:
    data = make_deck(
        titled("Results", "Revenue grew", notes="Thank the sales team.\nMention the new office."),
        titled("Next", "Hire two engineers"),
    )
    doc = parse(data)
    notes = section_of(doc, "Thank the sales team.")
    assert (notes.page, notes.heading_path) == (1, ("Results", "Notes"))
    assert doc.text.index("Revenue grew") < doc.text.index("Notes") < doc.text.index("Thank the sales")
    assert "Mention the new office." in paragraphs(doc)
    assert section_of(doc, "Hire two engineers").heading_path == ("Next",)
    assert doc.text.count("Notes") == 1  # a slide without notes gets no heading


def test_a_slide_without_a_title_is_under_no_heading() -> None:
    doc = parse(make_deck(titled("Chapter one", "Opening"), boxes((1, 1, "An untitled slide's text"))))
    untitled = section_of(doc, "An untitled slide's text")
    assert (untitled.page, untitled.heading_path) == (2, ())


def test_footers_dates_and_slide_numbers_are_left_out() -> None:
    def add(deck: pptx.presentation.Presentation) -> None:
        slide = deck.slides.add_slide(deck.slide_layouts[TITLE_AND_CONTENT])
        slide.shapes.title.text = "Results"
        slide.placeholders[1].text_frame.text = "Revenue grew"
        for kind, text in (("ftr", "Company confidential"), ("dt", "June 2024"), ("sldNum", "7")):
            box = slide.shapes.add_textbox(Inches(1), Inches(7), Inches(2), Inches(0.3))
            nv_pr = box.element.find(".//{http://schemas.openxmlformats.org/presentationml/2006/main}nvPr")
            nv_pr.append(
                nv_pr.makeelement(
                    "{http://schemas.openxmlformats.org/presentationml/2006/main}ph", {"type": kind}
                )
            )
            box.text_frame.text = text

    text = parse(make_deck(add)).text
    assert "Revenue grew" in text
    assert "confidential" not in text and "June 2024" not in text


def test_line_breaks_inside_a_paragraph_keep_the_words_apart() -> None:
    def add(deck: pptx.presentation.Presentation) -> None:
        slide = deck.slides.add_slide(deck.slide_layouts[BLANK])
        slide.shapes.add_textbox(Inches(1), Inches(1), Inches(3), Inches(1)).text_frame.text = "first\vsecond"

    assert "first\nsecond" in parse(make_deck(add)).text


def test_the_title_is_the_core_title_else_the_title_slide_title() -> None:
    def opening(deck: pptx.presentation.Presentation) -> None:
        slide = deck.slides.add_slide(deck.slide_layouts[TITLE_SLIDE])
        slide.shapes.title.text = "Annual Strategy Review"

    assert parse(make_deck(opening, title="Board Meeting Deck")).title == "Board Meeting Deck"
    assert parse(make_deck(opening, title="PowerPoint Presentation")).title == "Annual Strategy Review"
    # A content slide's title is the slide's, not the deck's.
    assert parse(make_deck(titled("Agenda", "Welcome"))).title is None


def test_a_slide_that_cannot_be_read_costs_only_itself() -> None:
    data = make_deck(boxes((1, 1, "Slide one")), boxes((1, 1, "Slide two")), boxes((1, 1, "Slide three")))
    data = rewritten(
        data, "ppt/slides/slide2.xml", lambda xml: re.sub(rb'<a:off x="\d+"', b'<a:off x="bogus"', xml)
    )
    doc = parse(data)
    assert "Slide one" in doc.text and "Slide three" in doc.text and "Slide two" not in doc.text
    (warning,) = doc.warnings
    assert warning.startswith("slide 2: could not be read (ValueError: ")
    assert section_of(doc, "Slide three").page == 3


def test_a_slide_that_is_not_well_formed_xml_is_skipped_with_a_warning() -> None:
    data = make_deck(titled("One", "Kept"), titled("Two", "Lost"), titled("Three", "Kept too", notes="Noted"))
    data = rewritten(data, "ppt/slides/slide2.xml", lambda xml: xml[: len(xml) // 2])
    doc = parse(data)
    assert "- Kept" in paragraphs(doc) and "- Kept too" in paragraphs(doc) and "Lost" not in doc.text
    (warning,) = doc.warnings
    assert re.fullmatch(r"slide 2: damaged \(not well-formed XML: .+\); not read", warning)
    assert section_of(doc, "Noted").heading_path == ("Three", "Notes")


def test_a_deck_whose_only_slide_is_damaged_has_no_text_and_says_why() -> None:
    data = rewritten(make_deck(titled("One", "Lost")), "ppt/slides/slide1.xml", lambda xml: xml[:-40])
    reason = refused(data)
    assert reason.startswith("no text was read: no slide of the presentation could be read (slide 1: damaged")


def test_damaged_notes_cost_only_the_notes() -> None:
    data = make_deck(titled("One", "Body text", notes="Lost notes"))
    data = rewritten(data, "ppt/notesSlides/notesSlide1.xml", lambda xml: xml[:-40])
    doc = parse(data)
    assert "- Body text" in paragraphs(doc) and "Lost notes" not in doc.text
    (warning,) = doc.warnings
    assert warning.startswith("slide 1: its notes are damaged (not well-formed XML: ")


def test_a_damaged_presentation_part_is_refused_naming_it() -> None:
    data = rewritten(make_deck(titled("One", "Body")), "ppt/presentation.xml", lambda xml: xml[:-40])
    assert refused(data).startswith("PPTX is damaged: its part ppt/presentation.xml is not well-formed XML")


def test_a_word_document_renamed_pptx_is_refused() -> None:
    import docx

    buffer = io.BytesIO()
    docx.Document().save(buffer)
    reason = refused(buffer.getvalue())
    assert (
        reason == "not a readable PowerPoint presentation (ValueError: its main part is not a presentation)"
    )


def test_a_deck_without_slides_or_without_text_has_no_text() -> None:
    assert refused(make_deck()) == "no text was read: the presentation has no slides"

    def blank(deck: pptx.presentation.Presentation) -> None:
        deck.slides.add_slide(deck.slide_layouts[BLANK])

    assert refused(make_deck(blank)) == "no text was read: the slides hold no text (only pictures or charts?)"


def test_a_chart_reads_as_its_title_then_a_table_of_its_data_in_reading_order() -> None:
    revenue = quarterly(North=(1200.0, 1450.5, 990.0), South=(980.0, None, 1010.25))
    shares = quarterly("0.0%", Online=(0.125, 0.25, 0.5))
    doc = parse(make_deck(charted((4.0, shares, None), (1.5, revenue, "Revenue by region"))))
    text = doc.text
    assert text.index("Charts") < text.index("Revenue by region") < text.index("Online")
    assert "Revenue by region" in paragraphs(doc)  # the title, read as a person sees it, then the data
    rows = [[(doc.text[row.start : row.end], row.header) for row in table.rows] for table in doc.tables]
    assert rows == [
        [
            ("Revenue by region | Q1 | Q2 | Q3", True),  # floats that are whole print as integers
            ("North | 1200 | 1450.5 | 990", False),
            ("South | 980 | | 1010.25", False),  # a missing value keeps its column
        ],
        [("| Q1 | Q2 | Q3", True), ("Online | 12.5% | 25.0% | 50.0%", False)],  # the series' number format
    ]
    assert section_of(doc, "North | 1200").heading_path == ("Charts",)
    assert doc.warnings == ()


def test_a_chart_shows_dates_as_dates() -> None:
    data = CategoryChartData()
    data.categories = [datetime.date(2024, 1, 31), datetime.date(2024, 2, 29)]  # a date axis
    data.add_series("Sales", (10.0, 12.5))
    doc = parse(make_deck(charted((2.0, data, None))))
    assert "| 2024-01-31 | 2024-02-29\nSales | 10 | 12.5" in doc.text


def test_a_chart_in_a_group_is_read_in_its_place() -> None:
    def add(deck: pptx.presentation.Presentation) -> None:
        slide = deck.slides.add_slide(deck.slide_layouts[TITLE_ONLY])
        slide.shapes.title.text = "Grouped"
        slide.shapes.add_textbox(Inches(1), Inches(6), Inches(3), Inches(1)).text_frame.text = "Below"
        group = slide.shapes.add_group_shape()
        group.shapes.add_textbox(Inches(1), Inches(1.5), Inches(3), Inches(0.5)).text_frame.text = "Above"
        data = quarterly(Visits=(3.0, 4.0, 5.0))
        group.shapes.add_chart(XL_CHART_TYPE.LINE, Inches(1), Inches(3), Inches(4), Inches(2), data)

    text = parse(make_deck(add)).text
    assert text.index("Above") < text.index("| Q1 | Q2 | Q3\nVisits | 3 | 4 | 5") < text.index("Below")


def test_an_xy_chart_reads_a_row_per_point_under_its_axis_titles() -> None:
    heights = XyChartData()
    for name, points in (("Girls", ((4, 101.5), (6, 115.0))), ("Boys", ((4, 102.25),))):
        series = heights.add_series(name)
        for x, y in points:
            series.add_data_point(x, y)
    sizes = BubbleChartData()
    sizes.add_series("Cities").add_data_point(1.5, 2, 30)

    def add(deck: pptx.presentation.Presentation) -> None:
        charted((1.5, heights, "Height by age"), (4.0, sizes, None))(deck)
        axis = deck.slides[0].shapes[1].chart.category_axis  # an XY chart's x axis
        axis.has_title = True
        axis.axis_title.text_frame.text = "Age (years)"

    doc = parse(make_deck(add))
    rows = [[doc.text[row.start : row.end] for row in table.rows] for table in doc.tables]
    assert rows == [
        ["Height by age | Age (years) | y", "Girls | 4 | 101.5", "Girls | 6 | 115", "Boys | 4 | 102.25"],
        ["| x | y | size", "Cities | 1.5 | 2 | 30"],
    ]


def test_a_huge_chart_is_read_up_to_its_cap_with_a_warning() -> None:
    points = "".join(f'<c:pt idx="{i}"><c:v>{i}</c:v></c:pt>' for i in range(100_000))
    cache = f'<c:numCache><c:ptCount val="100000"/>{points}</c:numCache>'
    values = f"<c:val><c:numRef><c:f>Sheet1!$B$2</c:f>{cache}</c:numRef></c:val>"
    data = make_deck(charted((2.0, quarterly(Load=(1.0, 2.0, 3.0)), None)))
    data = rewritten(
        data, "ppt/charts/chart1.xml", lambda xml: re.sub(rb"<c:val>.*</c:val>", values.encode(), xml)
    )
    began = time.monotonic()
    doc = parse(data)
    assert time.monotonic() - began < 5
    assert doc.warnings == ("slide 1: a chart has 100,000 data points; the first 1,000 were read",)
    header, load = [doc.text[row.start : row.end] for row in doc.tables[0].rows]
    assert (
        header == "| Q1 | Q2 | Q3"
        and load.startswith("Load | 0 | 1 | 2 | 3")
        and load.endswith("| 998 | 999")
    )


def test_a_damaged_chart_costs_only_itself() -> None:
    data = make_deck(
        charted(
            (1.5, quarterly(Lost=(1.0, 2.0, 3.0)), "Truncated"),
            (3.0, quarterly(Bogus=(1.0, 2.0, 3.0)), "Bad index"),
            (5.0, quarterly(Kept=(7.0, 8.0, 9.0)), "Fine"),
        ),
        titled("Next", "Still read"),
    )
    data = rewritten(data, "ppt/charts/chart1.xml", lambda xml: xml[:-40])
    data = rewritten(
        data, "ppt/charts/chart2.xml", lambda xml: xml.replace(b'<c:pt idx="1">', b'<c:pt idx="one">')
    )
    doc = parse(data)
    assert "Kept | 7 | 8 | 9" in doc.text and "- Still read" in paragraphs(doc)
    assert "Lost" not in doc.text and "Bogus" not in doc.text and "Truncated" not in doc.text
    truncated, bad_index = doc.warnings
    assert re.fullmatch(r"slide 1: a chart could not be read \(damaged: not well-formed XML: .+\)", truncated)
    assert (
        bad_index
        == "slide 1: a chart could not be read (ValueError: invalid literal for int() with base 10: 'one')"
    )


def test_smartart_text_is_read_as_list_items_in_the_order_of_its_outline() -> None:
    # The points are in the file in another order than the outline's: a node added last in
    # PowerPoint, moved to the front, keeps its place at the end of the list.
    points = "".join(
        [
            node("0", "", "doc"),
            node("2", "Build"),
            node("3", "Ship"),
            node("1", "Plan"),
            node("11", "Estimate"),
            node("t", "", "parTrans"),
            node("e", ""),  # a node left empty shows nothing
            '<dgm:pt modelId="p" type="pres"><dgm:prSet/></dgm:pt>',
            node("x", "Loose"),  # connected to nothing: at the end
        ]
    )
    links = "".join(
        [
            parent_of("0", "2", 1),
            parent_of("0", "3", 2),
            parent_of("0", "1", 0),
            parent_of("1", "11", 0),
            parent_of("0", "e", 3),
            parent_of("1", "p", 0, "presOf"),
        ]
    )
    doc = parse(make_deck(smartart(points, links)))
    assert paragraphs(doc) == ["Process", "- Plan", "- Estimate", "- Build", "- Ship", "- Loose", "After it"]
    assert section_of(doc, "- Build").heading_path == ("Process",)


def test_a_damaged_smartart_costs_only_itself() -> None:
    data = make_deck(smartart(node("0", "", "doc") + node("1", "Lost"), parent_of("0", "1", 0)))
    data = rewritten(data, "ppt/diagrams/data1.xml", lambda xml: xml[:-30])
    doc = parse(data)
    assert paragraphs(doc) == ["Process", "After it"]
    (warning,) = doc.warnings
    assert warning.startswith("slide 1: a SmartArt graphic could not be read (XMLSyntaxError: ")


# --- real decks -------------------------------------------------------------------------------


@needs_shared_data("doc-samples")
def test_google_slides_deck_titles_lists_columns_and_a_table() -> None:
    doc = parse_document((EXAMPLE_DOCS / "sample-presentation.pptx").read_bytes(), "sample-presentation.pptx")
    assert doc.page_count == 4
    assert doc.title is None  # "PowerPoint Presentation" and "Title Slide" are placeholders
    sub_bullet = section_of(doc, "With a sub-bullet")
    assert (sub_bullet.page, sub_bullet.heading_path) == (2, ("This is the first content slide",))
    assert "- With a sub-bullet" in paragraphs(doc)
    # Two columns side by side: the left one first.
    assert doc.text.index("Topic 2") < doc.text.index("What happens when there\u2019s 2")
    # Slide 4's title sits below its table, and still heads it.
    (table,) = doc.tables
    rows = [(doc.text[row.start : row.end], row.header) for row in table.rows]
    assert rows[:2] == [("Table | A | B | C", True), ("1 | A1 | B1 | C1", False)]
    assert section_of(doc, "2 | A2 | B2 | C2").heading_path == ("This is kinda backwards, huh?",)


@needs_shared_data("doc-samples")
def test_a_text_box_after_a_body_placeholder() -> None:
    doc = parse_document((EXAMPLE_DOCS / "fake-power-point.pptx").read_bytes(), "fake-power-point.pptx")
    assert paragraphs(doc)[:2] == ["Adding a Bullet Slide", "- Find the bullet slide layout"]
    assert paragraphs(doc)[-1] == "Here is some text in a text box!"
    assert section_of(doc, "Here is some text").heading_path == ("Adding a Bullet Slide",)


@needs_shared_data("doc-samples")
def test_docling_sample_reads_as_its_groundtruth_in_order_with_notes() -> None:
    source = DOCLING_PPTX / "sources" / "powerpoint_sample.pptx"
    doc = parse_document(source.read_bytes(), source.name)
    assert doc.title == "Test Table Slide"  # the title slide's title: the file has no core title
    # Every paragraph of docling's groundtruth, list markers aside, in the same order; its
    # table rows repeat a merged cell's text in each column it covers, ours once.
    groundtruth = (DOCLING_PPTX / "groundtruth" / "powerpoint_sample.pptx.md").read_text()
    expected = [
        re.sub(r"^(#+ |- |\d+\. )", "", line).strip()
        for line in groundtruth.splitlines()
        if line.strip() and not line.startswith("|")
    ]
    ours = [re.sub(r"^- ", "", p) for p in paragraphs(doc) if "|" not in p]
    found = [p for p in ours if p in expected]
    assert found == expected
    header, *_ = [doc.text[row.start : row.end] for row in doc.tables[0].rows]
    assert header == "| Class1 | | | Class2"
    assert "R1 | True | False | | False | True | True" in doc.text
    notes = section_of(doc, "Some notes on the second slide.")
    assert (notes.page, notes.heading_path) == (2, ("Second slide title", "Notes"))
    final = section_of(doc, "Second line of notes.")
    assert (final.page, final.heading_path) == (3, ("Notes",))


def test_entities_in_a_slide_are_not_expanded() -> None:
    # A "billion laughs" slide: entities are not resolved, libxml2 stops at its amplification
    # limit, and the slide is refused as past the server's limits, at once.
    laughs = billion_laughs("p:sld")
    data = rewritten(
        make_deck(titled("One", "&lol9;")),
        "ppt/slides/slide1.xml",
        lambda xml: xml.replace(b"?>", b"?>" + laughs.encode(), 1).replace(b"&amp;lol9;", b"&lol9;"),
    )
    began = time.monotonic()
    reason = refused(data)
    assert time.monotonic() - began < 5
    assert "slide 1: damaged (past the server's limits for XML" in reason
