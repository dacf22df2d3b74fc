"""Conversations in the chat: questions, grounded answers, their citations and attention."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from app.models.documents import Collection


class Conversation(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="conversations"
    )
    title = models.CharField(max_length=200, blank=True)
    # Limit answers to one collection's documents; empty means all of the owner's own.
    collection = models.ForeignKey(Collection, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at", "-id"]

    def __str__(self) -> str:
        return self.title or f"Conversation {self.pk}"


class Message(models.Model):
    """One question or one answer.

    An answer is an `app.services.answer_record.AnswerRecord` stored in these fields: the
    passages retrieval found (`passages`), the sentences quoted from them as evidence
    (`evidence`: exactly what the decoder's prompt held, so a follow-up rebuilds that prompt
    token for token and reuses its KV cache), citations resolved to document spans, the check
    of each written sentence (`checks`), stats and the attention map. Snapshots, not
    references: a saved answer still shows its sources after a document changed or went.
    """

    class Role(models.TextChoices):
        USER = "user", "User"
        ASSISTANT = "assistant", "Assistant"

    class Status(models.TextChoices):
        COMPLETE = "complete", "Complete"
        STREAMING = "streaming", "Streaming"
        CANCELLED = "cancelled", "Cancelled"  # the client went away mid-answer
        NO_EVIDENCE = "no_evidence", "No evidence"  # retrieval found nothing relevant enough
        FAILED = "failed", "Failed"  # generation broke; what was written is kept

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    role = models.CharField(max_length=16, choices=Role.choices)
    content = models.TextField(blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.COMPLETE)
    passages = models.JSONField(default=list, blank=True)
    evidence = models.JSONField(default=list, blank=True)
    citations = models.JSONField(default=list, blank=True)
    checks = models.JSONField(default=list, blank=True)
    attention = models.JSONField(null=True, blank=True)
    stats = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["conversation_id", "id"]

    def __str__(self) -> str:
        return f"{self.role}: {self.content[:60]}"
