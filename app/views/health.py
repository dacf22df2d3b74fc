"""Readiness for load balancers and compose health checks: 200 when ready, 503 when not.

The body names each part (database, broker, index, models) with what is wrong, so the
same probe tells a person where to look.
"""

from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from app.services.health import check_health


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    report = check_health()
    return JsonResponse(report.as_dict(), status=200 if report.ready else 503)
