"""Reading evaluation datasets from disk: BEIR folders and SQuAD JSON files. No ORM here.

A dataset becomes *documents* (what gets ingested: a key, a title and a text) and
*items* (what gets asked: a key, a question and what counts as right).
"""

from __future__ import annotations

import csv
import hashlib
import json
import random
from dataclasses import dataclass, field
from pathlib import Path


class DatasetError(ValueError):
    """The path does not hold a dataset in the expected format (message says what is wrong)."""


@dataclass(frozen=True)
class SourceDocument:
    key: str  # BEIR corpus id; SQuAD paragraph id ("<article index>-<paragraph index>")
    title: str
    text: str  # the document's full text, as ingested


@dataclass(frozen=True)
class BeirQuery:
    key: str
    text: str
    relevance: dict[str, float]  # corpus id -> graded relevance (qrels score)


@dataclass(frozen=True)
class SquadQuestion:
    key: str  # the SQuAD question id
    question: str
    answers: tuple[str, ...]  # every gold answer text
    paragraph: str  # SourceDocument.key of the paragraph that holds the answer


@dataclass
class Dataset:
    kind: str  # "beir" | "squad"
    name: str  # short name for titles and collection names, e.g. "beir-scifact/test"
    path: str
    documents: list[SourceDocument]
    beir_queries: list[BeirQuery] = field(default_factory=list)
    squad_questions: list[SquadQuestion] = field(default_factory=list)

    @property
    def items(self) -> list[BeirQuery] | list[SquadQuestion]:
        return self.beir_queries if self.kind == "beir" else self.squad_questions

    def fingerprint(self) -> str:
        """A digest of the documents (keys, titles, texts): same fingerprint, same corpus."""
        digest = hashlib.sha256()
        for doc in self.documents:
            for part in (doc.key, doc.title, doc.text):
                digest.update(part.encode())
                digest.update(b"\0")
        return digest.hexdigest()


def detect_kind(path: Path) -> str:
    """ "beir" for a folder with corpus.jsonl, "squad" for a .json file; else DatasetError."""
    if path.is_dir() and (path / "corpus.jsonl").exists():
        return "beir"
    if path.is_file() and path.suffix == ".json":
        return "squad"
    raise DatasetError(
        f"{path}: expected a BEIR folder (corpus.jsonl, queries.jsonl, qrels/<split>.tsv) "
        "or a SQuAD-format .json file"
    )


def _jsonl(path: Path) -> list[dict]:
    if not path.exists():
        raise DatasetError(f"{path} not found")
    rows = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError as error:
                    raise DatasetError(f"{path}:{number}: not JSON ({error})") from None
    return rows


def beir_document_text(title: str, text: str) -> str:
    """What BEIR encodes for a document: its title, a blank line, its text."""
    return f"{title}\n\n{text}" if title.strip() else text


def load_beir(path: Path, split: str = "test") -> Dataset:
    """A BEIR folder: corpus.jsonl (_id, title, text), queries.jsonl (_id, text), qrels/<split>.tsv.

    Only queries judged in the split are kept, in the order of queries.jsonl.
    """
    qrels_path = path / "qrels" / f"{split}.tsv"
    if not qrels_path.exists():
        raise DatasetError(f"{qrels_path} not found")
    relevance: dict[str, dict[str, float]] = {}
    with qrels_path.open(encoding="utf-8") as handle:
        reader = csv.reader(handle, delimiter="\t")
        header = next(reader, None)
        if header is None or len(header) < 3:
            raise DatasetError(f"{qrels_path}: expected a header 'query-id, corpus-id, score'")
        for row in reader:
            if len(row) >= 3:
                relevance.setdefault(row[0], {})[row[1]] = float(row[2])
    documents = [
        SourceDocument(
            str(row["_id"]), row.get("title") or "", beir_document_text(row.get("title") or "", row["text"])
        )
        for row in _jsonl(path / "corpus.jsonl")
    ]
    queries = [
        BeirQuery(str(row["_id"]), row["text"], relevance[str(row["_id"])])
        for row in _jsonl(path / "queries.jsonl")
        if str(row["_id"]) in relevance
    ]
    if not queries:
        raise DatasetError(f"{path}: no query of queries.jsonl is judged in {qrels_path.name}")
    return Dataset("beir", f"{path.name}/{split}", str(path), documents, beir_queries=queries)


def load_squad(path: Path) -> Dataset:
    """A SQuAD v1.1-format file: every paragraph becomes a document, every question an item.

    A paragraph's title is its article's title (underscores as spaces), the way a team's
    document would be named after its subject.
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))["data"]
    except (OSError, ValueError, KeyError) as error:
        raise DatasetError(f"{path}: not a SQuAD-format JSON file ({error})") from None
    documents: list[SourceDocument] = []
    questions: list[SquadQuestion] = []
    for a, article in enumerate(data):
        title = str(article.get("title", f"Article {a}")).replace("_", " ")
        for p, paragraph in enumerate(article["paragraphs"]):
            key = f"{a}-{p}"
            documents.append(SourceDocument(key, title, paragraph["context"]))
            for qa in paragraph["qas"]:
                answers = tuple(dict.fromkeys(ans["text"] for ans in qa["answers"]))
                questions.append(SquadQuestion(str(qa["id"]), qa["question"], answers, key))
    if not questions:
        raise DatasetError(f"{path}: no questions")
    return Dataset("squad", path.stem, str(path), documents, squad_questions=questions)


def load_dataset(path: Path, split: str = "test") -> Dataset:
    path = Path(path)
    return load_beir(path, split) if detect_kind(path) == "beir" else load_squad(path)


def sample_items(dataset: Dataset, limit: int | None, seed: int) -> None:
    """Keep a fixed, seeded sample of `limit` items (all of them when limit is None or larger).

    The sample is `random.Random(seed).sample` over the items in file order, then put back
    in file order, so the same (limit, seed) always asks the same questions.
    """
    items = dataset.items
    if limit is None or limit >= len(items):
        return
    chosen = sorted(random.Random(seed).sample(range(len(items)), limit))
    if dataset.kind == "beir":
        dataset.beir_queries = [dataset.beir_queries[i] for i in chosen]
    else:
        dataset.squad_questions = [dataset.squad_questions[i] for i in chosen]
