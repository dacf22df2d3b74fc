"""Cut a ParsedDocument into chunks that fit the encoder, measured in the encoder's tokens.

How a document is cut:

* Consecutive sections with the same heading path form a *segment*; a chunk never
  spans two segments, so every chunk has one heading path. Page changes do not end a
  segment: PDF paragraphs run over page breaks, and cutting there would leave fragments.
  A chunk records the page it starts on (``page``) and the page it ends on (``last_page``).
* A segment that is nothing but its heading line ("Behaviour", directly followed by
  "Behaviour > Feeding") is not a chunk of its own: it is put in front of the next
  segment when that one lies below it. The heading text stays in the chunk text, and the
  deeper heading path (which names it) is the chunk's.
* A segment that fits the budget is one chunk. A longer one is cut at the best boundary
  in the last half of the budget: paragraph break, then sentence end, then line break,
  then whitespace (or between CJK characters), and only as a last resort between two
  word pieces. When two chunks would leave a small tail, the cut moves earlier so the
  last chunk keeps at least a quarter of the budget.
* Consecutive chunks of a segment share about ``overlap_tokens`` tokens: the next chunk
  starts between ``overlap_tokens`` and half of it before the cut, at the best boundary
  found there (so it starts on a sentence or a word, not inside one).
* Excluded spans of the document (running headers and footers, page numbers) are in no
  chunk: chunking runs on the text with them removed, and a chunk's ``start``/``end``
  point back into the full text, so its ``text`` is ``doc.text[start:end]`` less the
  excluded spans inside (``content_text``). A paragraph that runs over a page break is
  thus cut as if the footer and header between its halves were not there.
* The text embedded is a short header, "Title > Heading > Subheading" (joined with
  single angle quotes; the title is followed by the file name in parentheses when the
  file name has words the title lacks, so "2023 Q3 AAPL" reaches search even when the
  title is the filing's own),
  then a newline and the chunk text. The header tells the encoder
  what the chunk is about when the chunk itself does not say ("It was founded in 1911"),
  which is where retrieval of chunked documents usually fails. It is capped
  (HEADER_MAX_TOKENS) so it never eats the budget.

Token counts come from the encoder's own fast tokenizer: each segment is tokenized once,
with character offsets, and cut on those offsets. For BERT-style tokenizers a chunk cut
between words holds exactly the tokens whose offsets it spans, so its count is known
without tokenizing again; any other chunk's embed_text is counted once more (in one
batch). ``token_count`` is exact and the budget a guarantee, not an estimate.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from retrieval.boundaries import WORD, Boundaries
from retrieval.chunk_tables import Lead, TableLayout
from retrieval.content_view import ContentView, content_text
from retrieval.document import ParsedDocument
from retrieval.parsing.titles import filename_title, names_more_than
from retrieval.token_counting import FastTokenCounter, TokenCounter, token_counter

__all__ = [
    "ChunkSpec",
    "FastTokenCounter",
    "TokenCounter",
    "chunk_document",
    "content_text",
    "token_counter",
]

HEADER_SEPARATOR = " \u203a "  # a single right angle quote: Title > Heading
HEADER_MAX_TOKENS = 32
ELLIPSIS = "…"
# A chunk ends at the best boundary found in the last (1 - MIN_FILL) of its budget.
MIN_FILL = 0.5
# The last chunk of a segment keeps at least this share of the budget.
MIN_TAIL = 0.25
# Rounds of re-cutting a segment whose embed_text came out over budget (only possible
# when a cut falls inside a word and the tokenizer splits the halves differently).
MAX_RECUTS = 8
# Long segments are tokenized in windows of at most this many characters, cut at a
# paragraph or line break, and segments are tokenized in batches of about this many.
MAX_WINDOW_CHARS = 200_000
TOKENIZE_BATCH_CHARS = 1_000_000


@dataclass(frozen=True)
class ChunkSpec:
    ordinal: int
    start: int  # span of ParsedDocument.text the chunk holds (see ``text``)
    end: int
    # content_text(doc, start, end): doc.text[start:end] less excluded spans; after the
    # repeated ``table_header`` lines and a newline when the chunk has one.
    text: str
    page: int | None  # page of the chunk's first character (PDF)
    heading_path: tuple[str, ...]
    token_count: int  # encoder word pieces of embed_text, without special tokens
    embed_text: str  # header + "\n" + text, or just text when there is no header
    last_page: int | None = None  # page of the chunk's last character (PDF)
    page_label: str | None = None  # the printed label of ``page`` ("iv"), when the PDF has labels
    ocr: bool = False  # some of the text was read by OCR
    # [start, end) of doc.text repeated at the head of ``text``: the column names of the
    # table whose rows the chunk starts with, which lie before ``start``.
    table_header: tuple[int, int] | None = None


@dataclass
class _Segment:
    start: int  # first and last non-whitespace character + 1, in the document text
    end: int
    heading_path: tuple[str, ...]


@dataclass(frozen=True)
class _Piece:
    start: int
    end: int
    tokens: int  # tokens of the segment's tokenization that lie in [start, end)
    clean_edges: bool  # both ends fall between words, not inside one
    lead: Lead | None = None  # table header rows put in front of the text

    def text(self, text: str) -> str:
        body = text[self.start : self.end]
        return f"{text[self.lead.start : self.lead.end]}\n{body}" if self.lead else body


def chunk_document(
    doc: ParsedDocument,
    tokenizer: Any,
    max_tokens: int,
    overlap_tokens: int,
    title: str | None = None,
    filename: str | None = None,
) -> list[ChunkSpec]:
    """Cut ``doc`` into chunks whose embed_text has at most ``max_tokens`` word pieces.

    ``tokenizer`` is the encoder's HF fast tokenizer (or a TokenCounter). ``max_tokens``
    excludes the two special tokens the encoder adds, so pass at most the encoder's
    max_seq_length - 2. ``title`` (default: the document's) heads every embed_text, with
    ``filename`` (default: the document's) beside it when the two differ.
    No non-whitespace character of ``doc.text`` outside its excluded spans is left out
    of every chunk, and none inside them is in any.
    """
    if max_tokens < 8:
        raise ValueError(f"max_tokens must be at least 8, got {max_tokens}")
    if overlap_tokens < 0:
        raise ValueError(f"overlap_tokens must not be negative, got {overlap_tokens}")
    heading = _title_with_filename(
        title if title is not None else doc.title, filename if filename is not None else doc.filename
    )
    if not doc.excluded:
        return _chunk(doc, tokenizer, max_tokens, overlap_tokens, heading)
    view = ContentView(doc)
    chunks = _chunk(view.doc, tokenizer, max_tokens, overlap_tokens, heading)
    return [
        dataclasses.replace(
            chunk,
            start=view.to_document(chunk.start),
            end=view.to_document(chunk.end - 1) + 1,
            table_header=(
                (view.to_document(chunk.table_header[0]), view.to_document(chunk.table_header[1] - 1) + 1)
                if chunk.table_header
                else None
            ),
        )
        for chunk in chunks
    ]


def _title_with_filename(title: str | None, filename: str | None) -> str | None:
    """The title, then the file name in parentheses when the file name has words of its own
    (the company and quarter in "2023 Q3 AAPL.pdf"); not when it only repeats the title."""
    if not filename:
        return title
    stem = filename_title(filename)
    if not title:
        return stem
    return f"{title} ({stem})" if names_more_than(stem, title) else title


def _chunk(
    doc: ParsedDocument, tokenizer: Any, max_tokens: int, overlap_tokens: int, title: str | None
) -> list[ChunkSpec]:
    counter = token_counter(tokenizer)
    segments = _segments(doc)
    if not segments:
        return []
    headers = _headers(
        {s.heading_path for s in segments},
        title,
        counter,
        cap=min(HEADER_MAX_TOKENS, max_tokens // 4),
    )
    text = doc.text
    tables = TableLayout(doc, counter, max_tokens)
    segments = [window for segment in segments for window in _windows(text, segment)]
    pieces: list[list[_Piece]] = []
    for batch in _batches(segments):
        all_spans = counter.spans([text[s.start : s.end] for s in batch])
        for segment, spans in zip(batch, all_spans, strict=True):
            tokens = [(segment.start + a, segment.start + b) for a, b in spans]
            budget = max_tokens - headers[segment.heading_path][1]
            pieces.append(_cut(text, segment, tokens, budget, overlap_tokens, tables))
    counts = _counts(counter, text, segments, pieces, headers)
    # A cut inside a word can re-tokenize into more pieces than it had in place: re-cut
    # such a segment with a smaller budget until every chunk fits.
    for attempt in range(MAX_RECUTS + 1):
        over = {i: max(c) - max_tokens for i, c in enumerate(counts) if max(c) > max_tokens}
        if not over:
            break
        if attempt == MAX_RECUTS:
            raise RuntimeError("chunking could not fit a segment into the token budget")
        for i, excess in over.items():
            segment = segments[i]
            (spans,) = counter.spans([text[segment.start : segment.end]])
            tokens = [(segment.start + a, segment.start + b) for a, b in spans]
            budget = max_tokens - headers[segment.heading_path][1] - excess * (attempt + 1)
            pieces[i] = _cut(text, segment, tokens, budget, overlap_tokens, tables)
            counts[i] = _counts(counter, text, [segment], [pieces[i]], headers)[0]

    chunks: list[ChunkSpec] = []
    for segment, segment_pieces, segment_counts in zip(segments, pieces, counts, strict=True):
        header = headers[segment.heading_path][0]
        for piece, count in zip(segment_pieces, segment_counts, strict=True):
            chunk_text = piece.text(text)
            first, last = doc.section_at(piece.start), doc.section_at(piece.end - 1)
            chunks.append(
                ChunkSpec(
                    ordinal=len(chunks),
                    start=piece.start,
                    end=piece.end,
                    text=chunk_text,
                    page=first.page,
                    heading_path=segment.heading_path,
                    token_count=count,
                    embed_text=_embed_text(header, chunk_text),
                    last_page=last.page,
                    page_label=first.page_label,
                    ocr=first.ocr or last.ocr,
                    table_header=(piece.lead.start, piece.lead.end) if piece.lead else None,
                )
            )
    return chunks


def _segments(doc: ParsedDocument) -> list[_Segment]:
    text = doc.text
    segments: list[_Segment] = []
    for section in doc.sections:
        if segments and segments[-1].heading_path == section.heading_path:
            segments[-1].end = section.end
        else:
            segments.append(_Segment(section.start, section.end, section.heading_path))
    kept: list[_Segment] = []
    for segment in segments:
        body = text[segment.start : segment.end]
        stripped = body.strip()
        if not stripped:
            continue
        segment.start += len(body) - len(body.lstrip())
        segment.end = segment.start + len(stripped)
        kept.append(segment)
    merged: list[_Segment] = []
    pending: _Segment | None = None  # a heading-only segment waiting for what it heads
    for segment in kept:
        path = segment.heading_path
        heading_only = bool(path) and text[segment.start : segment.end] == path[-1]
        if pending is not None:
            above = pending.heading_path
            if path[: len(above)] == above and len(path) > len(above):
                segment.start = pending.start  # chains: "A", then "A > B", then its text
            else:
                merged.append(pending)
            pending = None
        if heading_only:
            pending = segment
        else:
            merged.append(segment)
    if pending is not None:
        merged.append(pending)
    return merged


def _windows(text: str, segment: _Segment) -> Iterator[_Segment]:
    """Split a very long segment (a book with no headings) at paragraph breaks, so that no
    single text sent to the tokenizer, nor its list of offsets, grows without bound."""
    start = segment.start
    while segment.end - start > MAX_WINDOW_CHARS:
        earliest, limit = start + MAX_WINDOW_CHARS // 2, start + MAX_WINDOW_CHARS
        cut = text.rfind("\n\n", earliest, limit)
        for separator in ("\n", " "):
            cut = text.rfind(separator, earliest, limit) if cut < 0 else cut
        if cut < 0:
            cut = limit  # no whitespace in half a window: one enormous "word"
        end = start + len(text[start:cut].rstrip())
        if end > start:
            yield _Segment(start, end, segment.heading_path)
        start = cut
        while start < segment.end and text[start].isspace():
            start += 1
    yield _Segment(start, segment.end, segment.heading_path)


def _batches(segments: list[_Segment]) -> Iterator[list[_Segment]]:
    """Segments in groups of about TOKENIZE_BATCH_CHARS characters: one tokenizer call per
    group (the Rust side spreads a batch over cores), and bounded memory for offsets."""
    batch: list[_Segment] = []
    size = 0
    for segment in segments:
        batch.append(segment)
        size += segment.end - segment.start
        if size >= TOKENIZE_BATCH_CHARS:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def _headers(
    paths: set[tuple[str, ...]], title: str | None, counter: TokenCounter, cap: int
) -> dict[tuple[str, ...], tuple[str, int]]:
    """Each heading path's header and its token count; "" (0 tokens) when there is none."""
    full: dict[tuple[str, ...], str] = {}
    for path in paths:
        parts: list[str] = []
        for part in ((title or "").strip(), *path):
            if part and (not parts or part.casefold() != parts[-1].casefold()):
                parts.append(part)
        full[path] = HEADER_SEPARATOR.join(parts)
    keys = [path for path in full if full[path]]
    headers = {path: ("", 0) for path in paths}
    if cap < 2 or not keys:
        return headers
    texts = [full[path] for path in keys]
    for path, header, spans in zip(keys, texts, counter.spans(texts), strict=True):
        if len(spans) > cap:
            # Keep the start (title, top headings) and mark the cut.
            header = header[: spans[cap - 2][1]].rstrip() + " " + ELLIPSIS
        headers[path] = (header, 0)
    counts = counter.count([headers[path][0] for path in keys])
    for path, count in zip(keys, counts, strict=True):
        if count > cap:  # the ellipsis took more than one piece: drop the header
            headers[path] = ("", 0)
        else:
            headers[path] = (headers[path][0], count)
    return headers


def _embed_text(header: str, chunk_text: str) -> str:
    return f"{header}\n{chunk_text}" if header else chunk_text


def _counts(
    counter: TokenCounter,
    text: str,
    segments: Sequence[_Segment],
    pieces: Sequence[list[_Piece]],
    headers: dict[tuple[str, ...], tuple[str, int]],
) -> list[list[int]]:
    """Exact token counts of each piece's embed_text, tokenizing only where it must."""
    counts: list[list[int]] = []
    unsure: list[tuple[int, int, str]] = []
    for i, (segment, segment_pieces) in enumerate(zip(segments, pieces, strict=True)):
        header, header_tokens = headers[segment.heading_path]
        counts.append([])
        for j, piece in enumerate(segment_pieces):
            if counter.additive and piece.clean_edges:
                # The header, the repeated table header and the text are separated by
                # newlines, so their counts add up.
                lead_tokens = piece.lead.tokens if piece.lead else 0
                counts[i].append(header_tokens + lead_tokens + piece.tokens)
            else:
                counts[i].append(-1)
                unsure.append((i, j, _embed_text(header, piece.text(text))))
    if unsure:
        for (i, j, _), count in zip(unsure, counter.count([u[2] for u in unsure]), strict=True):
            counts[i][j] = count
    return counts


def _cut(
    text: str,
    segment: _Segment,
    tokens: list[tuple[int, int]],
    budget: int,
    overlap: int,
    tables: TableLayout,
) -> list[_Piece]:
    """A segment's chunks, each of at most ``budget`` tokens, its table header lead included."""
    n = len(tokens)
    budget = max(1, budget)
    boundaries = Boundaries(text, tokens, tables)
    pieces: list[_Piece] = []
    first = 0  # the current chunk's first token
    floor = 1  # the earliest cut: past the previous one, so every chunk ends later
    while True:
        start = segment.start if first == 0 else tokens[first][0]
        lead = tables.lead(start) if tables else None
        own_budget = max(1, budget - (lead.tokens if lead else 0))
        clean_start = first == 0 or boundaries.base(first) >= WORD
        if n - first <= own_budget:
            pieces.append(_Piece(start, segment.end, n - first, clean_start, lead))
            return pieces
        own_overlap = min(overlap, own_budget // 2)
        # Cut within [low, high]; pull high in so that the last chunk, which repeats the
        # overlap, still has min_tail tokens.
        low = first + max(1, math.ceil(own_budget * MIN_FILL))
        high = max(low, min(first + own_budget, n + own_overlap - math.ceil(own_budget * MIN_TAIL)))
        cut = boundaries.best(low, high, prefer_late=True)
        if boundaries.at(cut) < 0 and low > floor:
            # No row ends in the window: end the chunk after an earlier row instead, short
            # rather than cutting a row; inside a row only when it is longer than a chunk.
            earlier = boundaries.best(floor, low - 1, prefer_late=True)
            cut = earlier if boundaries.at(earlier) >= 0 else cut
        clean = clean_start and boundaries.base(cut) >= WORD
        pieces.append(_Piece(start, boundaries.end_before(cut), cut - first, clean, lead))
        floor = cut + 1
        own_overlap = min(own_overlap, (cut - first) // 2)
        if own_overlap <= 0:
            first = cut
            continue
        earliest = max(first + 1, cut - own_overlap)
        latest = max(earliest, cut - math.ceil(own_overlap / 2))
        following = boundaries.best(earliest, latest, prefer_late=False)
        # The overlap never starts inside a row (unless the cut itself is inside one).
        first = following if boundaries.at(following) >= 0 or boundaries.at(cut) < 0 else cut
