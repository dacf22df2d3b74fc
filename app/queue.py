"""The Celery application object: web processes send jobs through it, workers run them.

It lives in `app/`, not in `workers/`, so that the service layer can hand a job to the
queue by task *name* (`send_task`) without importing the worker package: the dependency
direction stays tasks -> services, never the reverse. `workers/` registers the tasks on
this same object, and `celery -A workers worker` finds it there.
"""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "app.settings")

# Task names are the contract between `app.services.dispatch` (sender) and `workers.tasks`.
INGEST_TASK = "ingest_documents"

celery_app = Celery("groundwork")
celery_app.config_from_object("django.conf:settings", namespace="CELERY")
