"""Which conversations and messages a user may read: only their own (staff included).

Conversations hold questions and answers quoted from the asker's documents, so unlike
documents they are private even from staff (admin is the place to inspect them).
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet

from app.models import Conversation, Message


def visible_conversations(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Conversation]:
    if not user.is_authenticated:
        return Conversation.objects.none()
    return Conversation.objects.filter(owner=user)


def visible_messages(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Message]:
    if not user.is_authenticated:
        return Message.objects.none()
    return Message.objects.filter(conversation__owner=user)
