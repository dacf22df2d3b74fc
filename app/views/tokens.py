"""The API tokens page: create a token (its secret is shown once) and revoke tokens."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.views.decorators.http import require_POST

from app.services.tokens import api_tokens_of, create_api_token, revoke_api_token
from app.users import authenticated_user


class TokenForm(forms.Form):
    name = forms.CharField(max_length=100, strip=True, help_text="What it is for, e.g. “laptop scripts”.")


@login_required
def tokens(request: HttpRequest) -> HttpResponse:
    user = authenticated_user(request.user)
    form = TokenForm()
    secret = None
    status = 200
    if request.method == "POST":
        form = TokenForm(request.POST)
        if form.is_valid():
            # Rendered, not redirected: the secret is never stored, so it can't be shown later.
            _, secret = create_api_token(user, form.cleaned_data["name"])
            form, status = TokenForm(), 201
        else:
            status = 400
    context = {"form": form, "secret": secret, "tokens": api_tokens_of(user)}
    response = render(request, "tokens.html", context, status=status)
    response["Cache-Control"] = "no-store"  # a page showing a secret is never cached
    return response


@login_required
@require_POST
def revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(api_tokens_of(authenticated_user(request.user)), pk=pk)
    revoke_api_token(token)
    messages.success(request, f"The token “{token.name}” is revoked; it no longer works.")
    return redirect("api-tokens")


# Included from app/urls.py at tokens/.
urlpatterns = [
    path("", tokens, name="api-tokens"),
    path("<int:pk>/revoke/", revoke, name="api-token-revoke"),
]
