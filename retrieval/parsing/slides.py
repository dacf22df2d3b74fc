"""A slide as the presentation readers (PPTX, PPT) hand it to the document: each slide a page,
its title a level-1 heading (a slide without one is under no heading, never under the slide
before), its paragraphs and tables in reading order, then its speaker notes under a level-2
"Notes" heading, so the notes are found with the slide, and a passage quoted from them says
that it comes from the notes, which the audience never saw."""

from __future__ import annotations

from dataclasses import dataclass, field

from retrieval.parsing.builder import DocumentBuilder

NOTES_HEADING = "Notes"
MAX_SLIDE_WARNINGS = 20  # past this, one line counts the rest

Block = str | list[list[str]]  # a paragraph or a table's rows


@dataclass
class Slide:
    """What one slide says, read in full before any of it goes into the document."""

    title: str = ""
    blocks: list[Block] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # what was not read, without "slide N: "


def add_slide(builder: DocumentBuilder, number: int, slide: Slide) -> None:
    """Slide `number` (1-based) as a page of the document. A table's first row is its header:
    slide tables nearly always start with their column names."""
    builder.start_page(number)
    builder.clear_headings()
    if slide.title:
        builder.add_heading(1, slide.title)
    for block in slide.blocks:
        if isinstance(block, str):
            builder.add_paragraph(block)
        else:
            builder.add_table(block, header_rows=1 if len(block) > 1 else 0)
    if any(note.strip() for note in slide.notes):
        builder.add_heading(2, NOTES_HEADING)
        for note in slide.notes:
            builder.add_paragraph(note)


def slide_warnings(builder: DocumentBuilder, warnings: list[str]) -> None:
    """The slides' warnings ("slide 4: …", in slide order) on the document, at most
    MAX_SLIDE_WARNINGS of them and a line counting the rest."""
    builder.warnings.extend(warnings[:MAX_SLIDE_WARNINGS])
    if len(warnings) > MAX_SLIDE_WARNINGS:
        builder.warnings.append(f"and {len(warnings) - MAX_SLIDE_WARNINGS} more slides were not read in full")
