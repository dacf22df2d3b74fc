"""gunicorn settings for both the embedded default and the compose stack.

The model: `gthread` workers (WEB_WORKERS processes, default 1, each with WEB_THREADS
threads, default 8). Answers stream over server-sent events for many seconds, so
requests are served by threads (one slow stream must not hold a whole process; async
workers would not help, since the decoder is CPU-bound Python/torch code) and the worker
timeout is off. Each process loads its own encoder and decoder, so more processes cost
memory; more threads cost nothing until used. Answers are capped per process at
ANSWER_CONCURRENCY running + ANSWER_QUEUE waiting (app/services/capacity.py), below
WEB_THREADS, so threads always remain for health checks, search and pages; a question
beyond that gets 503 with Retry-After.
"""

import os

workers = int(os.environ.get("WEB_WORKERS", "1"))
threads = int(os.environ.get("WEB_THREADS", "8"))
timeout = 0
graceful_timeout = 30
accesslog = "-"


def post_worker_init(worker):
    """Load and warm the models before the first request (on a thread: /healthz says
    "warming" meanwhile), and in embedded mode pick up documents a previous run left."""
    from django.conf import settings

    if settings.WARM_UP_MODELS:
        from app.services.runtime import warm_up_in_background

        warm_up_in_background()
    if settings.EMBEDDED_INGESTION:
        from app.services.sweep import resume_unfinished

        resume_unfinished()
