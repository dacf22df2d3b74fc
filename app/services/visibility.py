"""Who may see which documents and conversations. Every page, API view and search goes through here."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet

from app.models import Chunk, Collection, Conversation, Document, Message
from app.users import User


def visible_documents(user: User | AnonymousUser) -> QuerySet[Document]:
    """Documents the user may read: their own; staff may read everyone's."""
    if isinstance(user, AnonymousUser) or not user.is_authenticated:
        return Document.objects.none()
    if user.is_staff:
        return Document.objects.all()
    return Document.objects.filter(owner=user)


def library_documents(user: User | AnonymousUser) -> QuerySet[Document]:
    """What a user's library page lists: their own documents outside evaluation collections.

    Staff too see only their own there; they manage everyone's in admin.
    """
    if isinstance(user, AnonymousUser) or not user.is_authenticated:
        return Document.objects.none()
    return Document.objects.filter(owner=user).exclude(collection__is_evaluation=True)


def searchable_chunks(
    user: User | AnonymousUser,
    *,
    collection: Collection | None = None,
    document_ids: list[int] | None = None,
) -> QuerySet[Chunk]:
    """Chunks of indexed documents the user may search.

    Without a collection, search covers the user's own documents outside evaluation
    collections (staff included: an answer should draw on what *they* uploaded).
    """
    if isinstance(user, AnonymousUser) or not user.is_authenticated:
        return Chunk.objects.none()
    documents = Document.objects.filter(status=Document.Status.INDEXED)
    if collection is not None:
        documents = documents.filter(collection=collection)
        if not user.is_staff:
            documents = documents.filter(owner=user)
    else:
        documents = documents.filter(owner=user).exclude(collection__is_evaluation=True)
    if document_ids is not None:
        documents = documents.filter(id__in=document_ids)
    return Chunk.objects.filter(document__in=documents)


# Conversations hold questions and answers quoted from the asker's documents, so unlike
# documents they are private even from staff (admin is the place to inspect them).
def visible_conversations(user: User | AnonymousUser) -> QuerySet[Conversation]:
    if isinstance(user, AnonymousUser) or not user.is_authenticated:
        return Conversation.objects.none()
    return Conversation.objects.filter(owner=user)


def visible_messages(user: User | AnonymousUser) -> QuerySet[Message]:
    if isinstance(user, AnonymousUser) or not user.is_authenticated:
        return Message.objects.none()
    return Message.objects.filter(conversation__owner=user)
