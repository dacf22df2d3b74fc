"""How many cores answering may use right now: all of them, unless ingestion is running.

The decoder's prefill and decode run several times faster on two threads than on one, but
two busy torch processes with two threads each on a 2-core machine run several times slower
than either alone (they preempt each other's OpenMP threads mid-matmul). So answering takes
`ANSWER_THREADS` (default: every core this process may run on) while nothing is being
ingested, and `TORCH_THREADS` (default 1) while a document is being parsed or embedded,
here or in any worker sharing the database; docs/generation.md has the measurements.

Ingestion counts as running while a document is `parsing` or `embedding` with a fresh
heartbeat: a job whose worker died stops counting once its claim goes stale.
"""

from __future__ import annotations

import datetime
import os

from django.conf import settings
from django.utils import timezone

from app.models import Document


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def ingestion_running() -> bool:
    fresh = timezone.now() - datetime.timedelta(seconds=2 * settings.INGEST_HEARTBEAT_SECONDS)
    return Document.objects.filter(
        status__in=(Document.Status.PARSING, Document.Status.EMBEDDING), heartbeat_at__gte=fresh
    ).exists()


def answer_threads() -> int:
    """The torch threads the next answer should use."""
    if ingestion_running():
        return settings.TORCH_THREADS
    return settings.ANSWER_THREADS or available_cores()


def use_answer_threads() -> int:
    """Set this process's torch threads for an answer about to run; returns the number.
    (Process-wide: answers run one forward pass at a time under the engine's lock.)"""
    import torch

    threads = answer_threads()
    if torch.get_num_threads() != threads:
        torch.set_num_threads(threads)
    return threads
