"""Measure retrieval (BEIR) or retrieval and answers (SQuAD) on a dataset: see docs/evaluation.md."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from app.evaluation.evaluate import evaluate
from app.evaluation.output import headline, resummarize, write_json
from app.evaluation.report import render_standalone
from app.evaluation.runs import ANSWER_MODES, EvaluationError, Params, product_max_new_tokens
from app.services.search import RETRIEVAL_MODES


def _names(value: str) -> tuple[str, ...]:
    return tuple(name.strip() for name in value.split(",") if name.strip())


def _resume(value: str) -> int | bool:
    if value == "latest":
        return True
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"--resume takes a run id or nothing, not {value!r}") from None


class Command(BaseCommand):
    help = (
        "Evaluate on a BEIR folder (NDCG@10, recall@k, MRR@10) or a SQuAD-format JSON file "
        "(paragraph recall@k, exact match, F1, containment, citations, abstention, latency)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("path", nargs="?", type=Path, help="BEIR folder or SQuAD .json file")
        parser.add_argument("--limit", type=int, default=None, help="a seeded sample of N queries/questions")
        parser.add_argument("--seed", type=int, default=0, help="seed of the --limit sample (default 0)")
        parser.add_argument("--split", default="test", help="BEIR qrels split (default test)")
        parser.add_argument("--oracle", action="store_true", help="SQuAD: give the model the gold paragraph")
        parser.add_argument(
            "--max-new-tokens",
            type=int,
            default=None,
            help="answer length cap (SQuAD; default the chat's GENERATOR_MAX_NEW_TOKENS)",
        )
        parser.add_argument(
            "--modes",
            default=",".join(RETRIEVAL_MODES),
            help=f"retrieval modes, comma-separated (default {','.join(RETRIEVAL_MODES)})",
        )
        parser.add_argument(
            "--answer-modes",
            default="extract,free",
            help=f"SQuAD: answer modes side by side, comma-separated, among {','.join(ANSWER_MODES)}; "
            "the first is the headline (default extract,free)",
        )
        parser.add_argument(
            "--no-gold-removed",
            action="store_true",
            help="SQuAD: skip asking each question again without its gold paragraph (abstention)",
        )
        parser.add_argument(
            "--resume",
            nargs="?",
            const="latest",
            type=_resume,
            default=None,
            help="continue run RUN_ID, or (no value) the latest unfinished run of PATH",
        )
        parser.add_argument(
            "--resummarize",
            type=int,
            metavar="RUN_ID",
            help="derive a complete run's metrics again from its saved items (nothing is re-run)",
        )
        parser.add_argument("--output", type=Path, help="write the results as JSON here")
        parser.add_argument("--html", type=Path, help="write a self-contained HTML report here")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["resummarize"] is not None:
            try:
                run = resummarize(options["resummarize"])
            except EvaluationError as error:
                raise CommandError(str(error)) from None
            if options["output"]:
                write_json(run, options["output"])
            if options["html"]:
                options["html"].write_text(render_standalone(run), encoding="utf-8")
            self.stdout.write(headline(run))
            return
        params = Params(
            limit=options["limit"],
            seed=options["seed"],
            split=options["split"],
            oracle=options["oracle"],
            max_new_tokens=(
                product_max_new_tokens() if options["max_new_tokens"] is None else options["max_new_tokens"]
            ),
            modes=_names(options["modes"]),
            answer_modes=_names(options["answer_modes"]),
            gold_removed=not options["no_gold_removed"],
        )
        try:
            run = evaluate(
                options["path"],
                params,
                resume=options["resume"],
                progress=not options["no_progress"],
                log=lambda message: self.stdout.write(message),
            )
        except EvaluationError as error:
            raise CommandError(str(error)) from None
        except KeyboardInterrupt:
            raise CommandError("interrupted (the run can be resumed)", returncode=130) from None
        if options["output"]:
            write_json(run, options["output"])
            self.stdout.write(f"results written to {options['output']}")
        if options["html"]:
            options["html"].write_text(render_standalone(run), encoding="utf-8")
            self.stdout.write(f"report written to {options['html']}")
