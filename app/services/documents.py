"""The library's verbs on documents: upload, queue, start over, delete.

`upload_documents` stores files and queues one ingestion job each (`ingestion.py` does the
work); `requeue_documents` and `reingest_document` start documents over; `delete_document`
removes a document with everything derived from it.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from app.models import Collection, Document
from app.services import page_cache
from app.services.dispatch import dispatch, priority_for
from app.services.ingestion import ingest_documents
from app.services.runtime import get_index
from app.users import User
from retrieval.parsing import filename_title

log = logging.getLogger(__name__)

# Stored file names stay far below the 255-byte limit of common filesystems, leaving room
# for the directory and for the suffix Django's storage adds when a name is taken.
STORED_NAME_BYTES = 120
STORED_SUFFIX_BYTES = 16


@dataclass(frozen=True)
class UploadOutcome:
    """What became of one uploaded file.

    `queued` is False when the file was stored but the ingestion queue could not be
    reached (the workers' sweep sends it later), None when not known yet (queueing
    waits for an enclosing transaction to commit) or not asked for.
    """

    filename: str
    document: Document | None = None
    duplicate_of: Document | None = None
    error: str | None = None
    queued: bool | None = None

    @property
    def created(self) -> bool:
        return self.document is not None and self.duplicate_of is None


def _sha256(upload: UploadedFile) -> str:
    digest = hashlib.sha256()
    for piece in upload.chunks():
        digest.update(piece)
    upload.seek(0)
    return digest.hexdigest()


def _clip_bytes(text: str, limit: int) -> str:
    """The longest prefix of `text` whose UTF-8 encoding fits in `limit` bytes."""
    return text.encode("utf-8")[:limit].decode("utf-8", "ignore")


def stored_name(filename: str) -> str:
    """A name to store the file under: short in bytes, no separators or control characters.

    The person's own name is kept whole in `Document.original_filename` for display; this
    one only has to be recognisable on disk. Letters of any script are kept, so the limit
    is counted in UTF-8 bytes, not characters (200 × "ü" is 400 bytes).
    """
    path = Path(filename)
    suffix = "".join(c for c in path.suffix.lower() if c.isascii() and (c.isalnum() or c == "."))
    suffix = suffix[:STORED_SUFFIX_BYTES] if len(suffix) > 1 else ""
    stem = unicodedata.normalize("NFC", path.stem if suffix else path.name)
    stem = "".join(c if (c.isalnum() or c in "-_.") else "_" for c in stem).strip("._")
    return (_clip_bytes(stem, STORED_NAME_BYTES).rstrip("._") or "upload") + suffix


def upload_documents(
    owner: User,
    files: Iterable[UploadedFile],
    *,
    collection: Collection | None = None,
    queue: bool = True,
) -> list[UploadOutcome]:
    """Store each file as a queued document and schedule its ingestion, one file at a time.

    A file over UPLOAD_MAX_BYTES is refused; a file whose content the owner already has
    (same sha256 in the same collection) is not stored again: its outcome names the
    document it duplicates. Anything else is stored, even an unsupported or broken file,
    so that its failure and reason show in the library like any other document's.
    Each document is queued in the transaction that stores it: a file that cannot be
    stored fails alone (its outcome says why) and the files before it are already queued.
    With `queue=False` the caller runs `ingest_documents` itself (benchmarks, evaluation).
    """
    outcomes: list[UploadOutcome] = []
    for upload in files:
        name = Path(upload.name or "upload").name
        if upload.size is not None and upload.size > settings.UPLOAD_MAX_BYTES:
            limit = settings.UPLOAD_MAX_BYTES / 1024**2
            outcomes.append(UploadOutcome(name, error=f"file is larger than the {limit:g} MB limit"))
            continue
        sha256 = _sha256(upload)
        same = Document.objects.filter(owner=owner, collection=collection, sha256=sha256).first()
        if same is not None:
            outcomes.append(UploadOutcome(name, document=same, duplicate_of=same))
            continue
        sent: dict[str, bool] = {}
        try:
            with transaction.atomic():
                upload.name = stored_name(name)
                document = Document.objects.create(
                    owner=owner,
                    collection=collection,
                    title=filename_title(name)[:500],
                    file=upload,
                    original_filename=name[:500],
                    format=Path(name).suffix.lower().lstrip(".")[:16],
                    size_bytes=upload.size or 0,
                    sha256=sha256,
                    # queue=False: the caller is the runner, so the sweep must not send it
                    # too (unless it is still queued after the visibility timeout).
                    dispatched_at=None if queue else timezone.now(),
                )
                if queue:
                    # robust: an error while handing it over is logged, never a 500 for a
                    # stored file; the document stays queued and the sweep sends it.
                    transaction.on_commit(
                        functools.partial(send_queued, document.pk, document.size_bytes, sent=sent),
                        robust=True,
                    )
        except IntegrityError:
            # The same content arrived twice at once; the other request won.
            same = Document.objects.get(owner=owner, collection=collection, sha256=sha256)
            outcomes.append(UploadOutcome(name, document=same, duplicate_of=same))
            continue
        except OSError as error:
            log.warning("cannot store upload %r: %s", name, error)
            reason = error.strerror or str(error)
            outcomes.append(UploadOutcome(name, error=f"the file could not be stored ({reason})"))
            continue
        if queue and "ok" not in sent and transaction.get_autocommit():
            sent["ok"] = False  # committed, yet the hand-over did not finish: the sweep sends it
        outcomes.append(UploadOutcome(name, document=document, queued=sent.get("ok")))
    return outcomes


def send_queued(
    document_id: int, size_bytes: int, queue: str | None = None, sent: dict[str, bool] | None = None
) -> bool:
    """Hand one queued document to the runner now; False (and left for the sweep) if unreachable."""
    stamp = timezone.now()
    Document.objects.filter(pk=document_id, status=Document.Status.QUEUED).update(dispatched_at=stamp)
    ok = dispatch([document_id], ingest_documents, priority=priority_for(size_bytes), queue=queue)
    if not ok:
        Document.objects.filter(pk=document_id, dispatched_at=stamp).update(dispatched_at=None)
    if sent is not None:
        sent["ok"] = ok
    return ok


def queue_ingestion(document_ids: Sequence[int]) -> None:
    """Hand documents to the ingestion runner (one job each) once the current transaction commits."""
    for pk, size in Document.objects.filter(pk__in=list(document_ids)).values_list("pk", "size_bytes"):
        transaction.on_commit(functools.partial(send_queued, pk, size), robust=True)


def requeue_documents(document_ids: Sequence[int]) -> None:
    """Start documents over: back to queued, read again from their files, one job each.

    A job still working on one loses its claim and stops at its next check.
    """
    Document.objects.filter(pk__in=list(document_ids)).update(
        status=Document.Status.QUEUED,
        failure_reason="",
        progress_done=0,
        progress_total=0,
        ingest_token="",
        heartbeat_at=None,
        dispatched_at=None,
    )
    queue_ingestion(document_ids)


def reingest_document(document: Document) -> None:
    """Start a document over (the library's and the API's "re-ingest")."""
    requeue_documents([document.pk])


def delete_document(document: Document) -> None:
    """Delete a document, its chunks, its vectors, its stored file and its rendered pages.

    A job working on it notices at its next check (between encoder batches) and stops.
    """
    chunk_ids = np.fromiter(document.chunks.values_list("id", flat=True), dtype=np.int64)
    stored_file, document_id = document.file, document.pk
    document.delete()
    if len(chunk_ids):
        get_index().remove(chunk_ids)
    stored_file.delete(save=False)
    page_cache.forget(document_id)
