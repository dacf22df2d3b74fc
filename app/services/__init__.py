"""The business logic. Views, API views, commands and Celery tasks call these verbs."""
