"""Prepare the models offline, once: convert the decoder's GGUF into MODEL_CACHE_DIR, export the
encoder to ONNX there (ENCODER_BACKEND), and check that the encoder loads. Setup runs it
(scripts/run.sh, scripts/test.sh, the Dockerfile) so no request, worker or test ever pays for a
conversion or an export."""

from __future__ import annotations

import logging
import time
from typing import Any, cast

from django.conf import settings as django_settings
from django.core.management.base import BaseCommand, CommandError

from app.services import runtime
from retrieval.encoder import ENCODER_BACKENDS, EncoderBackend
from retrieval.encoder_loading import prepare_encoder

log = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Convert the decoder's GGUF and export the encoder to ONNX into MODEL_CACHE_DIR, offline."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--encoder-backends",
            default="",
            help=f"comma-separated, of {', '.join(ENCODER_BACKENDS)}; default: ENCODER_BACKEND",
        )
        parser.add_argument("--skip-decoder", action="store_true", help="prepare the encoder only")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        if not options["skip_decoder"]:
            self._decoder()
        backends = [b.strip() for b in options["encoder_backends"].split(",") if b.strip()]
        for backend in backends or [django_settings.ENCODER_BACKEND]:
            if backend not in ENCODER_BACKENDS:
                choices = ", ".join(ENCODER_BACKENDS)
                raise CommandError(f"unknown encoder backend {backend!r} (one of {choices})")
            self._encoder_file(cast(EncoderBackend, backend))
        encoder = runtime.get_encoder()
        self.stdout.write(
            f"encoder ready: {runtime.encoder_identity()} ({encoder.dim} dimensions, {encoder.backend})"
        )
        self.stdout.write(f"models prepared in {time.perf_counter() - started:.1f} s")

    def _decoder(self) -> None:
        from generation.loading import converted_path

        source = runtime.engine_settings().source()
        settings = runtime.engine_settings()
        if source.gguf_file is not None and settings.cache_dir is not None:
            path = converted_path(source, settings.cache_dir)
            self.stdout.write(f"decoder ready: {path}")
        else:
            self.stdout.write(f"decoder: {source.location} (loaded as it is)")

    def _encoder_file(self, backend: EncoderBackend) -> None:
        started = time.perf_counter()
        try:
            path = prepare_encoder(django_settings.ENCODER_MODEL, backend, django_settings.MODEL_CACHE_DIR)
        except Exception as error:  # any export failure: the product still runs, on torch
            log.warning("exporting the encoder for %s failed", backend, exc_info=True)
            self.stderr.write(
                f"WARNING: encoder backend {backend}: export failed ({type(error).__name__}: {error}); "
                "the encoder will run on torch (slower, same quality)"
            )
            return
        if path is not None:
            self.stdout.write(f"encoder {backend}: {path} ({time.perf_counter() - started:.1f} s)")
