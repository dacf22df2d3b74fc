"""Chunking with the real encoder tokenizer: nothing lost, nothing over budget, cuts in
sensible places, on every sample document, on SQuAD and on pathological text."""

from __future__ import annotations

import itertools
import json
import logging
import random
import re
import time
from collections.abc import Sequence
from typing import Any

import pytest

from retrieval.chunking import (
    HEADER_MAX_TOKENS,
    HEADER_SEPARATOR,
    MAX_WINDOW_CHARS,
    ChunkSpec,
    TokenCounter,
    chunk_document,
    content_text,
)
from retrieval.document import ParsedDocument, ParseError, Section
from retrieval.parsing import parse_document
from tests.conftest import SHARED_DATA, require_shared_data

DOC_SAMPLES = SHARED_DATA / "doc-samples"
MAX_SEQ_LENGTH = 256  # all-MiniLM-L6-v2, [CLS] and [SEP] included
MAX_TOKENS = MAX_SEQ_LENGTH - 2
OVERLAP = 32


def assert_chunks_valid(
    doc: ParsedDocument, chunks: Sequence[ChunkSpec], tokenizer: Any, max_tokens: int = MAX_TOKENS
) -> None:
    """Every chunk invariant, checked with the real tokenizer."""
    assert chunks, "a document with text gives at least one chunk"
    assert [c.ordinal for c in chunks] == list(range(len(chunks)))
    embed_texts = [c.embed_text for c in chunks]
    encoded = tokenizer(embed_texts, add_special_tokens=True, truncation=False)["input_ids"]
    for chunk, ids in zip(chunks, encoded, strict=True):
        lead = ""
        if chunk.table_header is not None:
            # The repeated column names of a table whose rows the chunk starts with.
            header_start, header_end = chunk.table_header
            assert header_end <= chunk.start
            lead = doc.text[header_start:header_end] + "\n"
        assert chunk.text == lead + content_text(doc, chunk.start, chunk.end)
        assert not any(
            a < chunk.end and b > chunk.start and doc.text[a:b] in chunk.text for a, b in excluded(doc)
        )
        assert chunk.text and chunk.text == chunk.text.strip()
        assert len(ids) <= max_tokens + 2 <= MAX_SEQ_LENGTH, chunk
        assert chunk.token_count == len(ids) - 2
        header, newline, text = chunk.embed_text.rpartition("\n" + chunk.text)
        assert chunk.embed_text == chunk.text or (newline and not text and "\n" not in header)
        assert chunk.page == doc.section_at(chunk.start).page
        assert chunk.last_page == doc.section_at(chunk.end - 1).page
        _assert_one_heading_path(doc, chunk)
    for before, after in itertools.pairwise(chunks):
        assert before.start < after.start and before.end < after.end
    covered = bytearray(len(doc.text))
    for chunk in chunks:
        covered[chunk.start : chunk.end] = b"\1" * (chunk.end - chunk.start)
    for a, b in doc.excluded:
        covered[a:b] = b"\1" * (b - a)  # in the text, in no chunk (checked above)
    lost = [i for i, ch in enumerate(doc.text) if not covered[i] and not ch.isspace()]
    assert not lost, (
        f"{len(lost)} characters in no chunk, first at {lost[0]}: {doc.text[lost[0] : lost[0] + 40]!r}"
    )


def excluded(doc: ParsedDocument) -> list[tuple[int, int]]:
    """Excluded spans whose text occurs nowhere else (a repeated footer's text may also be
    content elsewhere, and then may legitimately be in a chunk)."""
    return [(a, b) for a, b in doc.excluded if doc.text.count(doc.text[a:b]) == 1]


def _assert_one_heading_path(doc: ParsedDocument, chunk: ChunkSpec) -> None:
    """A chunk lies under one heading path; it may start with heading lines that name the
    levels above it (a heading directly followed by its first subheading)."""
    for section in doc.sections:
        if section.end <= chunk.start or section.start >= chunk.end:
            continue
        if section.heading_path == chunk.heading_path:
            continue
        path = section.heading_path
        assert path and chunk.heading_path[: len(path)] == path, (section, chunk)
        assert doc.text[section.start : section.end].strip() == path[-1], (section, chunk)


def _overlap_tokens(tokenizer: Any, doc: ParsedDocument, before: ChunkSpec, after: ChunkSpec) -> int:
    if after.start >= before.end:
        return 0
    return len(tokenizer(doc.text[after.start : before.end], add_special_tokens=False)["input_ids"])


def squad_articles() -> list[dict[str, Any]]:
    return json.loads(require_shared_data("squad-v1.1-dev/dev-v1.1.reconstructed.json").read_text())["data"]


def single_section(text: str, title: str | None = None) -> ParsedDocument:
    return ParsedDocument(text=text, sections=(Section(0, len(text), None, ()),), format="txt", title=title)


# --- real documents -------------------------------------------------------------------------

SAMPLES = sorted(p for p in DOC_SAMPLES.rglob("*") if p.is_file()) if DOC_SAMPLES.is_dir() else []


@pytest.fixture(scope="module")
def sample_documents() -> list[ParsedDocument]:
    """Every sample file that parses (refusals are test_parsing_samples' business)."""
    require_shared_data("doc-samples")
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    docs = []
    for path in SAMPLES:
        try:
            docs.append(parse_document(path.read_bytes(), path.name))
        except ParseError:
            continue
    assert len(docs) >= 50
    return docs


@pytest.mark.parametrize(("max_tokens", "overlap"), [(MAX_TOKENS, OVERLAP), (64, 16)])
def test_every_sample_document_chunks_validly(
    tokenizer: Any, sample_documents: list[ParsedDocument], max_tokens: int, overlap: int
) -> None:
    for doc in sample_documents:
        chunks = chunk_document(doc, tokenizer, max_tokens, overlap)
        assert_chunks_valid(doc, chunks, tokenizer, max_tokens)


def test_squad_paragraphs(tokenizer: Any) -> None:
    docs = [
        single_section(p["context"], a["title"].replace("_", " "))
        for a in squad_articles()
        for p in a["paragraphs"]
    ]
    assert len(docs) == 2067
    all_chunks = [chunk_document(doc, tokenizer, MAX_TOKENS, OVERLAP) for doc in docs]
    for doc, chunks in zip(docs, all_chunks, strict=True):
        assert_chunks_valid(doc, chunks, tokenizer)
        assert chunks[0].embed_text.startswith(f"{doc.title}\n")
    # Nearly every paragraph fits one chunk, and chunks use the whole budget: the 128-token
    # truncation in the model's tokenizer.json does not leak into the counts.
    assert sum(len(c) == 1 for c in all_chunks) >= 0.9 * len(docs)
    assert max(c.token_count for chunks in all_chunks for c in chunks) > 200


def test_chunking_is_cheap_next_to_encoding(tokenizer: Any) -> None:
    docs = [single_section(p["context"], a["title"]) for a in squad_articles() for p in a["paragraphs"]]
    chunk_document(docs[0], tokenizer, MAX_TOKENS, OVERLAP)  # the tokenizer copy is made once
    started = time.perf_counter()
    count = sum(len(chunk_document(doc, tokenizer, MAX_TOKENS, OVERLAP)) for doc in docs)
    rate = count / (time.perf_counter() - started)
    # About 2,000 chunks/s here; the encoder manages well under 200 paragraphs/s on CPU.
    assert rate > 250, f"{rate:.0f} chunks/s"


def test_long_prose_is_cut_at_sentences_with_the_overlap_asked_for(tokenizer: Any) -> None:
    article = squad_articles()[0]
    text = "\n\n".join(p["context"] for p in article["paragraphs"])
    doc = parse_document(text.encode(), "article.txt")
    chunks = chunk_document(doc, tokenizer, 128, 24, title="Super Bowl 50")
    assert_chunks_valid(doc, chunks, tokenizer, 128)
    assert len(chunks) > 10
    inner = chunks[:-1]
    at_sentence = [c for c in inner if re.search(r"[.!?][\"')\]]?$", c.text)]
    assert len(at_sentence) >= 0.9 * len(inner)
    # No chunk is tiny: each fills at least half of its budget, the last a quarter.
    budget = 128 - len(tokenizer("Super Bowl 50", add_special_tokens=False)["input_ids"])
    assert all(c.token_count >= budget // 2 for c in inner)
    assert chunks[-1].token_count >= budget // 4
    overlaps = [_overlap_tokens(tokenizer, doc, a, b) for a, b in itertools.pairwise(chunks)]
    assert all(6 <= o <= 24 + 2 for o in overlaps), overlaps
    # Each next chunk starts on a word, not inside one.
    assert all(doc.text[c.start - 1].isspace() for c in chunks[1:])


def test_no_overlap_when_none_is_asked(tokenizer: Any) -> None:
    text = " ".join(p["context"] for p in squad_articles()[1]["paragraphs"])
    doc = single_section(text)
    chunks = chunk_document(doc, tokenizer, 96, 0)
    assert_chunks_valid(doc, chunks, tokenizer, 96)
    assert all(b.start >= a.end for a, b in itertools.pairwise(chunks))


# --- structure ------------------------------------------------------------------------------


def test_chunks_follow_heading_paths_and_carry_them_in_the_header(tokenizer: Any) -> None:
    source = (
        "# Manual\n\nIntro text.\n\n## Installation\n\n### On Debian\n\nRun apt-get install thing.\n\n"
        "### On Fedora\n\nRun dnf install thing.\n\n## Usage\n\nStart it.\n"
    )
    doc = parse_document(source.encode(), "thing.md")
    chunks = chunk_document(doc, tokenizer, MAX_TOKENS, OVERLAP, title="Thing")
    assert_chunks_valid(doc, chunks, tokenizer)
    assert [c.heading_path for c in chunks] == [
        ("Manual",),
        ("Manual", "Installation", "On Debian"),
        ("Manual", "Installation", "On Fedora"),
        ("Manual", "Usage"),
    ]
    # "Installation" has no text of its own: its heading line leads the next chunk.
    assert chunks[1].text == "Installation\n\nOn Debian\n\nRun apt-get install thing."
    sep = HEADER_SEPARATOR
    assert chunks[1].embed_text == f"Thing{sep}Manual{sep}Installation{sep}On Debian\n{chunks[1].text}"
    assert chunks[0].embed_text == f"Thing{sep}Manual\nManual\n\nIntro text."


def test_the_file_name_joins_the_header_when_it_differs_from_the_title(tokenizer: Any) -> None:
    doc = parse_document(b"Revenue grew 8% in the quarter.", "2023_Q3-AAPL.txt")
    sep = HEADER_SEPARATOR
    titled = chunk_document(doc, tokenizer, MAX_TOKENS, OVERLAP, title="Apple Inc. Form 10-Q")
    assert titled[0].embed_text == "Apple Inc. Form 10-Q (2023 Q3 AAPL)\nRevenue grew 8% in the quarter."
    plain = chunk_document(doc, tokenizer, MAX_TOKENS, OVERLAP, title="2023 Q3 AAPL")
    assert plain[0].embed_text == "2023 Q3 AAPL\nRevenue grew 8% in the quarter."
    assert sep not in plain[0].embed_text


def test_nested_headings_without_text_all_lead_the_first_chunk_below_them(tokenizer: Any) -> None:
    doc = parse_document(b"# A\n\n## B\n\n### C\n\nText under C.\n\n## D\n\nText under D.\n", "n.md")
    chunks = chunk_document(doc, tokenizer, MAX_TOKENS, OVERLAP)
    assert_chunks_valid(doc, chunks, tokenizer)
    assert [(c.heading_path, c.text) for c in chunks] == [
        (("A", "B", "C"), "A\n\nB\n\nC\n\nText under C."),
        (("A", "D"), "D\n\nText under D."),
    ]


def test_title_equal_to_the_top_heading_is_not_repeated(tokenizer: Any) -> None:
    doc = parse_document(b"# Manual\n\nIntro text.\n", "manual.md")
    assert doc.title == "Manual"
    (chunk,) = chunk_document(doc, tokenizer, MAX_TOKENS, OVERLAP)
    assert chunk.embed_text == "Manual\nManual\n\nIntro text."


def test_no_header_without_title_or_headings(tokenizer: Any) -> None:
    doc = single_section("Just some text.")
    (chunk,) = chunk_document(doc, tokenizer, MAX_TOKENS, OVERLAP)
    assert chunk.embed_text == chunk.text == "Just some text."
    assert chunk.token_count == 4


def test_long_headers_are_capped(tokenizer: Any) -> None:
    title = " ".join(f"word{i}" for i in range(100))
    doc = single_section("Body text.", title=title)
    (chunk,) = chunk_document(doc, tokenizer, MAX_TOKENS, OVERLAP)
    header = chunk.embed_text.split("\n")[0]
    assert header.endswith("\u2026") and header.startswith("word0 word1")
    assert len(tokenizer(header, add_special_tokens=False)["input_ids"]) <= HEADER_MAX_TOKENS


def test_pdf_chunks_cross_pages_and_say_where_they_start_and_end(tokenizer: Any) -> None:
    pages = ["First page ends mid-sentence and the", "sentence goes on here on page two."]
    text = "\n\n".join(pages)
    doc = ParsedDocument(
        text=text,
        sections=(Section(0, len(pages[0]) + 2, 1, ()), Section(len(pages[0]) + 2, len(text), 2, ())),
        format="pdf",
        title=None,
        page_count=2,
    )
    (chunk,) = chunk_document(doc, tokenizer, MAX_TOKENS, OVERLAP)
    assert (chunk.page, chunk.last_page) == (1, 2)
    assert chunk.text == text


def test_many_tiny_headings(tokenizer: Any) -> None:
    parts = []
    for i in range(300):
        parts.append(f"## Heading {i}\n\nword{i}\n")
        if i % 7 == 0:
            parts.append(f"### Sub {i}\n\n### Subsub {i}\n\ntext {i}\n")
    doc = parse_document("# Top\n\n".join(["", *parts]).encode(), "tiny.md")
    chunks = chunk_document(doc, tokenizer, 32, 8)
    assert_chunks_valid(doc, chunks, tokenizer, 32)
    assert len({c.heading_path for c in chunks}) == len(chunks)


def test_a_trailing_piece_is_not_left_tiny(tokenizer: Any) -> None:
    words = " ".join(f"w{i}" for i in range(400))
    doc = single_section(words)
    n = len(tokenizer(words, add_special_tokens=False)["input_ids"])
    max_tokens = int(n / 1.1)  # one budget and a bit
    chunks = chunk_document(doc, tokenizer, max_tokens, 0)
    assert len(chunks) == 2
    assert chunks[-1].token_count >= max_tokens // 4


# --- pathological text ----------------------------------------------------------------------

PATHOLOGICAL = {
    "one 5,000-character word": "".join(random.Random(1).choices("abcdefghij", k=5000)),
    "a long line without punctuation": " ".join(
        random.Random(2).choice(["alpha", "beta", "gamma", "delta", "epsilon"]) for _ in range(6000)
    ),
    "CJK without spaces": "".join(chr(0x4E00 + random.Random(3).randrange(5000)) for _ in range(4000)),
    "CJK sentences": "\u6211\u4eec\u4eca\u5929\u53bb\u516c\u56ed\u3002" * 500,
    "Hangul words without spaces": "\ud55c\uad6d\uc5b4\ub294" * 800,
    "punctuation runs": "!?.,;:" * 2000,
    "a URL without spaces": "https://example.com/" + "/".join(f"seg{i}?q={i}&x=y" for i in range(800)),
    "a 90-letter word repeated": " ".join(["pneumonoultramicroscopicsilicovolcanoconiosis" * 2] * 200),
    "digits": "1234567890" * 600,
    "invisible and dropped characters": " ".join(f"w{i}\u200b\ufffd\x7f" for i in range(2000)),
    "one line per word": "\n".join(f"row {i} | cell" for i in range(2000)),
}


@pytest.mark.parametrize("name", list(PATHOLOGICAL))
@pytest.mark.parametrize(("max_tokens", "overlap"), [(MAX_TOKENS, OVERLAP), (16, 4)])
def test_pathological_text_direct(tokenizer: Any, name: str, max_tokens: int, overlap: int) -> None:
    doc = single_section(PATHOLOGICAL[name], title="Pathological")
    chunks = chunk_document(doc, tokenizer, max_tokens, overlap)
    assert_chunks_valid(doc, chunks, tokenizer, max_tokens)


@pytest.mark.parametrize("name", list(PATHOLOGICAL))
def test_pathological_text_through_the_parser(tokenizer: Any, name: str) -> None:
    doc = parse_document(PATHOLOGICAL[name].encode(), "odd.txt")
    chunks = chunk_document(doc, tokenizer, MAX_TOKENS, OVERLAP)
    assert_chunks_valid(doc, chunks, tokenizer)


def test_a_long_line_is_cut_between_words(tokenizer: Any) -> None:
    doc = single_section(PATHOLOGICAL["a long line without punctuation"])
    chunks = chunk_document(doc, tokenizer, 64, 16)
    for chunk in chunks:
        assert chunk.start == 0 or doc.text[chunk.start - 1] == " "
        assert chunk.end == len(doc.text) or doc.text[chunk.end] == " "


# --- interface ------------------------------------------------------------------------------


def test_budget_arguments_are_checked(tokenizer: Any) -> None:
    doc = single_section("text")
    with pytest.raises(ValueError, match="max_tokens"):
        chunk_document(doc, tokenizer, 4, 0)
    with pytest.raises(ValueError, match="overlap_tokens"):
        chunk_document(doc, tokenizer, 64, -1)


class WhitespaceWords:
    """A TokenCounter of another kind (one token per run of non-spaces, not additive), to
    check the path that counts every embed_text again."""

    additive = False

    def spans(self, texts: Sequence[str]) -> list[list[tuple[int, int]]]:
        return [[m.span() for m in re.finditer(r"\S+", text)] for text in texts]

    def count(self, texts: Sequence[str]) -> list[int]:
        return [len(text.split()) for text in texts]


def test_any_token_counter_can_measure(tokenizer: Any) -> None:
    counter = WhitespaceWords()
    assert isinstance(counter, TokenCounter)
    text = " ".join(p["context"] for p in squad_articles()[2]["paragraphs"][:5])
    doc = single_section(text, title="Some Title")
    chunks = chunk_document(doc, counter, 50, 10)
    assert len(chunks) > 5
    for chunk in chunks:
        assert chunk.token_count == len(chunk.embed_text.split()) <= 50
    covered = {i for c in chunks for i in range(c.start, c.end)}
    assert all(i in covered for i, ch in enumerate(text) if not ch.isspace())


def test_a_book_without_headings_is_tokenized_in_windows(tokenizer: Any) -> None:
    # Over half a megabyte of prose in one section: cut into windows at paragraph breaks, all still valid.
    paragraphs = [p["context"] for a in squad_articles()[:16] for p in a["paragraphs"]]
    doc = parse_document("\n\n".join(paragraphs).encode(), "book.txt")
    assert len(doc.text) > 2 * MAX_WINDOW_CHARS and len(doc.sections) == 1
    chunks = chunk_document(doc, tokenizer, MAX_TOKENS, OVERLAP)
    assert_chunks_valid(doc, chunks, tokenizer)


def test_an_enormous_word_is_still_covered(tokenizer: Any) -> None:
    doc = single_section("x" * (3 * MAX_WINDOW_CHARS) + " tail words here")
    chunks = chunk_document(doc, tokenizer, 64, 8)
    assert_chunks_valid(doc, chunks, tokenizer, 64)
