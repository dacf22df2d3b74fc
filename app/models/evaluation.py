"""Evaluation runs: one measurement of the running configuration on a public dataset."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class EvaluationRun(models.Model):
    """A run of `manage.py evaluate`.

    Status: running -> complete | failed; a run stopped half-way stays `running` with its
    per-question results saved in `items`, and `--resume` picks it up where it stopped.
    """

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        COMPLETE = "complete", "Complete"
        FAILED = "failed", "Failed"

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    dataset = models.CharField(max_length=300, help_text="Path or name of the dataset.")
    kind = models.CharField(max_length=16, help_text="beir or squad")
    params = models.JSONField(default=dict, help_text="limit, seed, oracle, top_k ...")
    config = models.JSONField(default=dict, help_text="Encoder, decoder, chunking: what was measured.")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RUNNING)
    failure_reason = models.TextField(blank=True)
    metrics = models.JSONField(default=dict, blank=True)
    items_done = models.PositiveIntegerField(default=0)
    items_total = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.dataset} ({self.created_at:%Y-%m-%d %H:%M})"


class EvaluationItem(models.Model):
    """One query's or question's result within a run (what `--resume` skips)."""

    run = models.ForeignKey(EvaluationRun, on_delete=models.CASCADE, related_name="items")
    key = models.CharField(max_length=200, help_text="Query or question id.")
    result = models.JSONField(default=dict)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["run", "key"], name="evaluation_item_unique_key")]

    def __str__(self) -> str:
        return f"{self.run_id}:{self.key}"
