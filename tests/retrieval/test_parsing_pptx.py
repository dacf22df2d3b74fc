"""PPTX: slides as pages, titles as headings, shapes in reading order, tables, speaker notes,
and refusals with a reason. Small decks are built here with python-pptx; three real ones come
from the shared doc-samples (one with docling's groundtruth to compare with)."""

from __future__ import annotations

import io
import re
import time
from collections.abc import Callable

import pptx
import pytest
from pptx.util import Inches

from retrieval.document import ParsedDocument, ParseError
from retrieval.parsing import detect_format, parse_document
from tests.conftest import SHARED_DATA, needs_shared_data
from tests.retrieval.zip_builder import billion_laughs, rewritten

DOC_SAMPLES = SHARED_DATA / "doc-samples"
EXAMPLE_DOCS = DOC_SAMPLES / "unstructured" / "example-docs"
DOCLING_PPTX = DOC_SAMPLES / "docling" / "tests" / "data" / "pptx"
TITLE_ONLY = 5  # layouts of python-pptx's default template
TITLE_AND_CONTENT = 1
TITLE_SLIDE = 0
BLANK = 6

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


def parse(data: bytes, name: str = "deck.pptx") -> ParsedDocument:
    return parse_document(data, name)


def refused(data: bytes, name: str = "deck.pptx") -> str:
    with pytest.raises(ParseError) as caught:
        parse_document(data, name)
    return str(caught.value)


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
