"""Prepare the models offline, once: convert the decoder's GGUF into MODEL_CACHE_DIR and check
that the encoder loads. Setup runs it (scripts/run.sh, scripts/test.sh, the Dockerfile) so no
request, worker or test ever pays for a conversion."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand

from app.services import runtime


class Command(BaseCommand):
    help = "Convert the decoder's GGUF once into MODEL_CACHE_DIR and load the encoder, offline."

    def handle(self, *args: Any, **options: Any) -> None:
        from generation.loading import converted_path

        started = time.perf_counter()
        source = runtime.engine_settings().source()
        settings = runtime.engine_settings()
        if source.gguf_file is not None and settings.cache_dir is not None:
            path = converted_path(source, settings.cache_dir)
            self.stdout.write(f"decoder ready: {path}")
        else:
            self.stdout.write(f"decoder: {source.location} (loaded as it is)")
        encoder = runtime.get_encoder()
        self.stdout.write(f"encoder ready: {runtime.encoder_name()} ({encoder.dim} dimensions)")
        self.stdout.write(f"models prepared in {time.perf_counter() - started:.1f} s")
