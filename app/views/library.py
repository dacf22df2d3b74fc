"""The document library: upload, status, detail, delete, re-ingest."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from app.forms import UploadForm
from app.models import Document
from app.services.documents import delete_document, reingest_document, upload_documents
from app.services.library import ingest_progress, waiting_notes
from app.services.visibility import library_documents, visible_documents

QUEUE_DOWN = (
    "{name} was stored, but the ingestion queue cannot be reached right now. "
    "It will be read as soon as the queue is back; there is nothing you need to do."
)


@login_required
def library(request: HttpRequest) -> HttpResponse:
    form = UploadForm()
    if request.method == "POST":
        form = UploadForm(request.POST, request.FILES)
        if form.is_valid():
            for outcome in upload_documents(request.user, form.cleaned_data["files"]):  # type: ignore[arg-type]
                if outcome.error:
                    messages.error(request, f"{outcome.filename}: {outcome.error}")
                elif outcome.duplicate_of is not None:
                    messages.warning(
                        request,
                        f"{outcome.filename} is a duplicate of “{outcome.duplicate_of.title}”, "
                        "which is already in your library; it was not added again.",
                    )
                elif outcome.queued is False:
                    messages.warning(request, QUEUE_DOWN.format(name=outcome.filename))
                else:
                    messages.success(request, f"{outcome.filename} was uploaded and queued.")
            return redirect("library")
    page = Paginator(library_documents(request.user), 50).get_page(request.GET.get("page"))
    notes = waiting_notes(page.object_list)
    rows = [(d, notes.get(d.pk, ""), ingest_progress(d).label) for d in page.object_list]
    return render(request, "library/index.html", {"form": form, "page": page, "rows": rows})


@login_required
@require_GET
def statuses(request: HttpRequest) -> JsonResponse:
    """Status and progress of the listed documents, polled by the library page.

    `progress` is a percentage of the current stage; `progress_done` of `progress_total`
    counts its `progress_unit` ("pages" read while a PDF is parsed, "chunks" embedded, ""
    when there is nothing to count), and `progress_label` says it in words ("page 12 of
    80"). `note` says why a document is not moving (no worker, queue unreachable,
    interrupted).
    """
    try:
        ids = [int(i) for i in request.GET.get("ids", "").split(",") if i][:500]
    except ValueError:
        return JsonResponse({"error": "ids must be comma-separated integers"}, status=400)
    rows = list(visible_documents(request.user).filter(id__in=ids))
    notes = waiting_notes(rows)
    return JsonResponse({"documents": [_status(d, notes.get(d.pk, "")) for d in rows]})


def _status(document: Document, note: str) -> dict[str, Any]:
    progress = ingest_progress(document)
    return {
        "id": document.pk,
        "status": document.status,
        "status_label": document.get_status_display(),
        "progress": document.progress_percent,
        "progress_done": progress.done,
        "progress_total": progress.total,
        "progress_unit": progress.unit,
        "progress_label": progress.label,
        "chunks": document.chunk_count,
        "failure_reason": document.failure_reason,
        "note": note,
        "title": document.title,
    }


@login_required
def document_detail(request: HttpRequest, pk: int) -> HttpResponse:
    document = get_object_or_404(visible_documents(request.user), pk=pk)
    context: dict[str, Any] = {"document": document, "chunks": document.chunks.all()}
    # A citation links here with the cited span: show the text around it, highlighted.
    try:
        start, end = int(request.GET["start"]), int(request.GET["end"])
    except (KeyError, ValueError):
        start = end = -1
    if 0 <= start < end <= len(document.text):
        context["highlight"] = (document.text[:start], document.text[start:end], document.text[end:])
    return render(request, "library/detail.html", context)


@login_required
@require_POST
def document_delete(request: HttpRequest, pk: int) -> HttpResponse:
    document = get_object_or_404(visible_documents(request.user), pk=pk)
    title = document.title
    delete_document(document)
    messages.success(request, f"“{title}” was deleted.")
    return redirect("library")


@login_required
@require_POST
def document_reingest(request: HttpRequest, pk: int) -> HttpResponse:
    document = get_object_or_404(visible_documents(request.user), pk=pk)
    reingest_document(document)
    messages.success(request, f"“{document.title}” is queued to be read again.")
    return redirect("library")
