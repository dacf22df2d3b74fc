"""Finding documents in what a user may see: status, format and title filters."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet

from app.models import Document
from app.services.visibility import visible_documents


def find_documents(
    user: AbstractBaseUser | AnonymousUser,
    *,
    status: str | None = None,
    format: str | None = None,
    title_contains: str | None = None,
    ids: list[int] | None = None,
) -> QuerySet[Document]:
    """Documents the user may see (newest first), narrowed by the filters given."""
    documents = visible_documents(user)
    if status:
        documents = documents.filter(status=status)
    if format:
        documents = documents.filter(format=format)
    if title_contains:
        documents = documents.filter(title__icontains=title_contains)
    if ids is not None:
        documents = documents.filter(id__in=ids)
    return documents.select_related("owner")
