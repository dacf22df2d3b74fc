"""Ask questions over real files as a user would, and count where the answer shows.

Each line of the questions file (tab-separated): a file under ../shared/data/doc-samples,
a question, and the string that answers it (empty: the files do not answer it, and the
answer should abstain). Every file named is uploaded once, as one user, into the data
directory given by DATA_DIR (migrated), and ingested; each question is asked through
`answer_question`, the chat's service. Printed per question: its quotes (with a table row's
header rows), the written answer, and whether the answer string is in the top quote, in the
first three, in the written answer; then the counts.

    export DATA_DIR=/tmp/real MODEL_CACHE_DIR=$PWD/var/model-cache
    .venv/bin/python manage.py migrate
    .venv/bin/python scripts/real_documents.py scripts/real_documents.tsv

A handful of questions written by one person: it shows whether a fault a reader would see
is there, not how often it happens (docs/evaluation.md, *Real documents*).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "app.settings")

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402

from app.models import Document  # noqa: E402
from app.services.answers import AnswerFailed, answer_question, run_answer  # noqa: E402
from app.services.documents import upload_documents  # noqa: E402
from app.services.ingestion import ingest_documents  # noqa: E402
from generation.cpu import cpu_summary  # noqa: E402

SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "data" / "doc-samples"


def main(questions_file: str) -> None:
    rows = [line.rstrip("\n").split("\t") for line in Path(questions_file).read_text().splitlines()]
    asked = [(row[0], row[1], row[2] if len(row) > 2 else "") for row in rows if len(row) >= 2]
    missing = sorted({name for name, _, _ in asked if not (SAMPLES / name).is_file()})
    if missing:
        sys.exit(f"not found under {SAMPLES}: {', '.join(missing)}")
    user, _ = get_user_model().objects.get_or_create(username="real-documents")
    names = sorted({name for name, _, _ in asked})
    stored = set(Document.objects.filter(owner=user).values_list("original_filename", flat=True))
    new = [name for name in names if Path(name).name not in stored]
    files = [SimpleUploadedFile(Path(name).name, (SAMPLES / name).read_bytes()) for name in new]
    if files:
        started = time.perf_counter()
        outcomes = upload_documents(user, files, queue=False)
        ingest_documents([o.document.pk for o in outcomes if o.document is not None])
        print(f"{len(files)} file(s) ingested in {time.perf_counter() - started:.1f} s")
    for document in Document.objects.filter(owner=user).order_by("pk"):
        print(f"  {document.original_filename}: {document.status}, {document.chunks.count()} chunks")
    print(cpu_summary())
    kinds = ("answerable", "top quote", "first three", "written", "unanswerable", "abstained")
    counts = dict.fromkeys(kinds, 0)
    for _, question, gold in asked:
        started = time.perf_counter()
        outcome = run_answer(answer_question(user, question))
        if isinstance(outcome, AnswerFailed):
            print(f"\n{question}: the answer failed ({outcome.reason})")
            continue
        record = outcome.done.record
        abstained = record.status == "no_evidence"
        seconds = time.perf_counter() - started
        print(f"\n{question} ({seconds:.2f} s, answerability {record.stats.answerability})")
        for quote in record.evidence[:3]:
            under = f"   under {quote.table_header_text!r}" if quote.table_header_text else ""
            print(f"  [{quote.index}] {quote.text[:160]!r}{under}")
        print(f"  answer: {'(abstains) ' if abstained else ''}{record.content[:200]!r}")
        texts = [quote.text for quote in record.evidence[:3]]
        if not gold:
            counts["unanswerable"] += 1
            counts["abstained"] += abstained
            continue
        hits = (
            bool(texts) and gold in texts[0],
            any(gold in text for text in texts),
            not abstained and gold in record.content,
        )
        print(f"  {gold!r} in the top quote / first three / written answer: {hits}")
        counts["answerable"] += 1
        for key, hit in zip(("top quote", "first three", "written"), hits, strict=True):
            counts[key] += hit
    print("\n" + ", ".join(f"{key} {value}" for key, value in counts.items()))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
