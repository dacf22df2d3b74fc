"""The evaluation's entry point: start or resume a run, ask every item, summarize.

`manage.py evaluate` and the tests call `evaluate`; see `runs` for what a run is.
"""

from __future__ import annotations

from pathlib import Path

from django.utils import timezone

from app.evaluation.beir import run_beir
from app.evaluation.output import finish
from app.evaluation.runs import Log, Params, Runner, prepare, start
from app.evaluation.runs import resume as resume_run
from app.evaluation.squad import run_squad
from app.models import EvaluationRun
from app.users import User

RUNNERS: dict[str, Runner] = {"beir": run_beir, "squad": run_squad}


def evaluate(
    path: str | Path | None = None,
    params: Params | None = None,
    *,
    resume: int | bool | None = None,
    created_by: User | None = None,
    progress: bool = False,
    log: Log | None = None,
) -> EvaluationRun:
    """Evaluate the configuration on the dataset at `path`; returns the finished run.

    `resume=True` takes up the latest unfinished run of that dataset, `resume=<id>` that run
    (then `path` may be omitted); a resumed run keeps its own parameters, and refuses to go
    on if the configuration changed since it started.
    """
    say = log or (lambda message: None)
    if resume is not None and resume is not False:
        run, params, dataset = resume_run(path, resume, say)
    else:
        run, params, dataset = start(path, params or Params(), created_by, say)
    try:
        ctx = prepare(run, dataset, params, progress, say)
        RUNNERS[run.kind](ctx)
        finish(ctx)
    except KeyboardInterrupt:
        say(f"interrupted: run {run.pk} stays unfinished; resume it with --resume {run.pk}")
        raise
    except Exception as error:
        run.status = EvaluationRun.Status.FAILED
        run.failure_reason = f"{type(error).__name__}: {error}"[:2000]
        run.finished_at = timezone.now()
        run.save(update_fields=["status", "failure_reason", "finished_at"])
        raise
    return run
