"""PDF pages as the reader knows them: a cited passage highlighted on the rendered page.

`/documents/<pk>/pages/?start=&end=` finds the page the passage starts on and redirects
there (a document without pages goes to its extracted text, with the same span);
`/documents/<pk>/pages/<page>/` shows the page with the passage's boxes over the image;
`/documents/<pk>/pages/<page>.png` is the image. Each checks that the user may see the
document (404 otherwise, as for a document that does not exist).
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from app.models import Document
from app.services.pdf_pages import (
    PageBusy,
    PageError,
    Passage,
    cited_passage,
    has_pages,
    page_image,
    page_view,
    passage_page,
)
from app.services.visibility import visible_documents

BUSY = "Pages are being rendered for other readers; please try again in a moment."
# The image of a page never changes while its document exists (a new file is a new document).
IMAGE_MAX_AGE_SECONDS = 24 * 3600


def _busy() -> HttpResponse:
    response = HttpResponse(BUSY, status=503, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = "5"
    return response


def _span_query(passage: Passage | None) -> str:
    return "?" + urlencode({"start": passage.start, "end": passage.end}) if passage else ""


def _paged_document(request: HttpRequest, pk: int, page: int) -> Document:
    document = get_object_or_404(visible_documents(request.user), pk=pk)
    if not has_pages(document) or not 1 <= page <= (document.page_count or 0):
        raise Http404("No such page.")
    return document


@login_required
@require_GET
def passage_in_document(request: HttpRequest, pk: int) -> HttpResponse:
    document = get_object_or_404(visible_documents(request.user), pk=pk)
    passage = cited_passage(document, request.GET.get("start"), request.GET.get("end"))
    text_view = reverse("document-detail", args=[pk])
    if passage is not None:
        text_view += _span_query(passage) + "#highlight"
    if passage is None or not has_pages(document):
        return redirect(text_view)
    try:
        page = passage_page(document, passage)
    except PageBusy:
        return _busy()
    except PageError:  # the file cannot be rendered: its extracted text still shows the passage
        return redirect(text_view)
    return redirect(reverse("document-page", args=[pk, page]) + _span_query(passage) + "#highlight")


@login_required
@require_GET
def document_page(request: HttpRequest, pk: int, page: int) -> HttpResponse:
    document = _paged_document(request, pk, page)
    passage = cited_passage(document, request.GET.get("start"), request.GET.get("end"))
    context = {"document": document, "page": page, "span_query": _span_query(passage), "passage": passage}
    try:
        context["view"] = page_view(document, page, passage)
    except PageBusy:
        return _busy()
    except PageError as error:
        context["error"] = str(error)
    return render(request, "library/page.html", context)


@login_required
@require_GET
def document_page_image(request: HttpRequest, pk: int, page: int) -> HttpResponse:
    document = _paged_document(request, pk, page)
    try:
        png = page_image(document, page)
    except PageBusy:
        return _busy()
    except PageError as error:
        return HttpResponse(str(error), status=422, content_type="text/plain; charset=utf-8")
    response = HttpResponse(png, content_type="image/png")
    response["Cache-Control"] = f"private, max-age={IMAGE_MAX_AGE_SECONDS}"
    return response
