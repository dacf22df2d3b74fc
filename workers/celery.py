"""The Celery application for workers. Start one with `celery -A workers worker`.

The app object itself is `app.queue.celery_app` (the web process sends jobs through it by
task name); here the worker side registers its tasks and its sweep on it.
"""

from app.queue import celery_app as app

# workers.tasks (found here once Django is set up) also hooks up the sweep, workers/sweep.py.
app.autodiscover_tasks(["workers"])
