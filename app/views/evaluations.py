"""Evaluation pages, for staff: the list of runs to compare, and one run's report."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render

from app.evaluation.output import run_payload
from app.evaluation.report import (
    config_summary,
    dataset_name,
    headline_metrics,
    params_summary,
    report_context,
)
from app.models import EvaluationRun

RUNS_SHOWN = 200


def staff_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Anonymous users go to the login page; signed-in users who are not staff get a 403."""

    @wraps(view)
    @login_required
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_staff:
            raise PermissionDenied("evaluations are for staff")
        return view(request, *args, **kwargs)

    return wrapped


@staff_only
def evaluation_list(request: HttpRequest) -> HttpResponse:
    runs = EvaluationRun.objects.select_related("created_by")[:RUNS_SHOWN]
    rows = [
        {
            "run": run,
            "dataset": dataset_name(run),
            "params": params_summary(run),
            "config": config_summary(run),
            "headline": headline_metrics(run),
        }
        for run in runs
    ]
    return render(request, "evaluations/list.html", {"runs": rows})


@staff_only
def evaluation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    run = get_object_or_404(EvaluationRun, pk=pk)
    return render(request, "evaluations/detail.html", report_context(run))


@staff_only
def evaluation_json(request: HttpRequest, pk: int) -> JsonResponse:
    run = get_object_or_404(EvaluationRun, pk=pk)
    response = JsonResponse(run_payload(run), json_dumps_params={"ensure_ascii": False})
    response["Content-Disposition"] = f'inline; filename="evaluation-{run.pk}.json"'
    return response
