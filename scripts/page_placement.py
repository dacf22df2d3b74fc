#!/usr/bin/env python3
"""How often a passage of a real PDF is placed on its rendered page.

    python scripts/page_placement.py [../shared/data/doc-samples]

Each PDF is parsed the way ingestion parses it (pypdf, and OCR where Tesseract is installed);
from every section with a page, up to 5 sentences of 40-300 characters are looked for on that
page by the page renderer (PDFium, then the words OCR reads), and the placements are counted:
whole, start, end, none; those of pages read by OCR apart ("ocr whole"...). Prints the counts
per file and in all. A measurement, not a test: the figures depend on the files.
"""

from __future__ import annotations

import collections
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from retrieval.document import ParseError
from retrieval.pages.render import show_page
from retrieval.parsing import parse_document

SENTENCE = re.compile(r"[^.!?\n]{40,300}[.!?]")
DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "data" / "doc-samples"


def main() -> None:
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT
    totals: collections.Counter[str] = collections.Counter()
    for path in sorted(root.rglob("*.pdf")):
        data = path.read_bytes()
        try:
            document = parse_document(data, path.name)
        except ParseError as error:
            print(f"{path.name}: not read ({error})")
            continue
        counts: collections.Counter[str] = collections.Counter()
        for section in document.sections:
            if section.page is None:
                continue
            for sentence in SENTENCE.findall(document.text[section.start : section.end])[:5]:
                shown = show_page(data, [section.page], sentence.strip(), render=False)
                counts[("ocr " if section.ocr else "") + shown.layout.placement] += 1
        print(f"{path.name}: {dict(counts)}")
        totals.update(counts)
    for kind in ("", "ocr "):
        total = sum(n for key, n in totals.items() if key.startswith("ocr ") == bool(kind))
        placed = 1 - totals[kind + "none"] / max(1, total)
        print(f"all{' OCR pages' if kind else ''}: {total} sentences; placed {placed:.1%}")
    print(dict(totals))


if __name__ == "__main__":
    main()
