"""The search page."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from app.forms import SearchForm
from app.services.search import search_library


@login_required
def search(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET or None)
    found = None
    if form.is_valid() and form.cleaned_data["q"]:
        top_k = form.cleaned_data["k"] or settings.SEARCH_TOP_K
        found = search_library(request.user, form.cleaned_data["q"], top_k=top_k)
    return render(request, "search.html", {"form": form, "found": found})
