"""gunicorn settings for both the embedded default and the compose stack.

Answers stream over server-sent events for many seconds, so requests are served by
threads (one slow stream must not hold a whole process) and the worker timeout is off.
"""

import os

workers = int(os.environ.get("WEB_WORKERS", "1"))
threads = int(os.environ.get("WEB_THREADS", "8"))
timeout = 0
graceful_timeout = 30
accesslog = "-"


def post_worker_init(worker):
    """Embedded mode: pick up documents a previous run left queued or half-done."""
    from django.conf import settings

    if settings.EMBEDDED_INGESTION:
        from app.services.ingestion import resume_unfinished

        resume_unfinished()
