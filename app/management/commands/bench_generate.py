"""Benchmark the decoder: a thin wrapper over `app.benchmarks.generation`.

    manage.py bench_generate                       # modes (a)-(d) at ~250 and ~1000 tokens
    manage.py bench_generate --dtypes float32,bfloat16 --citations --layers
    manage.py bench_generate --speed --skip-modes   # answer modes vs generate vs llama.cpp
    manage.py bench_generate --load http://127.0.0.1:8000 --token T --questions q.txt [--concurrency 4]

Settings (model, dtype, threads, cache dir) come from the app's settings, overridable here.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from app.benchmarks import generation as bench
from app.benchmarks import http_load, speed
from app.services import runtime
from generation.cpu import cpu_summary
from generation.engine import Engine


class Command(BaseCommand):
    help = "Measure time to first token and decode rate: no cache, KV cache, prefix reuse, capture."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--sizes", default="250,1000", help="prompt sizes in tokens")
        parser.add_argument("--new-tokens", type=int, default=32)
        parser.add_argument("--recompute-tokens", type=int, default=8, help="steps for mode (a)")
        parser.add_argument("--repeats", type=int, default=3, help="runs per mode; the median")
        parser.add_argument("--dtype", help="override GENERATOR_DTYPE")
        parser.add_argument("--threads", type=int, help="override TORCH_THREADS")
        parser.add_argument("--dtypes", help="also compare these dtypes, e.g. float32,bfloat16,int8")
        parser.add_argument("--thread-counts", help="--dtypes: also compare these, e.g. 1,2")
        parser.add_argument("--citations", action="store_true", help="also measure citing")
        parser.add_argument("--layers", action="store_true", help="also measure attention layers")
        parser.add_argument("--skip-modes", action="store_true", help="skip the (a)-(d) table")
        parser.add_argument(
            "--speed", action="store_true", help="answer modes vs model.generate vs llama.cpp, same prompts"
        )
        parser.add_argument("--load", metavar="URL", help="ask a running server instead (loopback only)")
        parser.add_argument("--token", help="--load: an API token of the asking user")
        parser.add_argument("--questions", help="--load: a file with one question per line")
        parser.add_argument("--concurrency", type=int, default=1, help="--load: questions at a time")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["load"] and (not options["token"] or not options["questions"]):
            raise CommandError("--load needs --token and --questions")
        # Once, here, for every mode: the reports below leave the CPU out.
        self.stdout.write(f"cpu: {cpu_summary()}")
        if options["load"]:
            with open(options["questions"], encoding="utf-8") as f:
                questions = [line.strip() for line in f if line.strip()]
            asked = http_load.ask_all(options["load"], options["token"], questions, options["concurrency"])
            self.stdout.write(http_load.format_load(asked, options["concurrency"]))
            return
        runtime.configure_torch()
        settings = runtime.engine_settings()
        overrides = {k: options[k] for k in ("dtype", "threads") if options[k] is not None}
        settings = dataclasses.replace(settings, **overrides)
        engine = Engine(settings)
        sizes = [int(s) for s in options["sizes"].split(",")]
        if not options["skip_modes"]:
            result = bench.run_benchmark(
                engine, sizes, options["new_tokens"], options["recompute_tokens"], options["repeats"]
            )
            self.stdout.write(bench.format_benchmark(result))
        if options["speed"]:
            speeds = speed.measure_speed(engine, options["new_tokens"], options["repeats"])
            self.stdout.write(speed.format_speed(speeds))
            self.stdout.write(speed.drafting_ab(engine))
        if options["citations"]:
            self.stdout.write(bench.format_citations(bench.measure_citations(engine)))
        if options["layers"]:
            layers = bench.measure_attention_layers(engine)
            self.stdout.write(bench.format_attention_layers(layers, len(bench.CASES)))
        if options["dtypes"]:
            counts = [int(n) for n in options["thread_counts"].split(",")] if options["thread_counts"] else []
            timings = bench.compare_dtypes(
                settings,
                options["dtypes"].split(","),
                sizes,
                options["new_tokens"],
                options["repeats"],
                counts,
            )
            self.stdout.write(bench.format_dtypes(timings))
