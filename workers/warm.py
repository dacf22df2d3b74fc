"""Each worker process loads and warms the encoder when it starts (Celery's
`worker_process_init`), so the first document it embeds does not pay for the load."""

from __future__ import annotations

from typing import Any

from celery.signals import worker_process_init
from django.conf import settings


@worker_process_init.connect
def warm_encoder(**kwargs: Any) -> None:
    if settings.WARM_UP_MODELS:
        from app.services.runtime import warm_up

        warm_up(engine=False)  # workers embed; they never answer
