from django.http import HttpRequest, JsonResponse

from ecomops.health import health_status


def healthz(request: HttpRequest) -> JsonResponse:
    status = health_status()
    return JsonResponse(status, status=200 if status["ok"] else 503)
