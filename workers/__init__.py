"""Celery: the app that workers run and the tasks they take."""

from workers.celery import app as celery_app

__all__ = ["celery_app"]
