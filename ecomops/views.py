from django.http import HttpRequest, HttpResponseRedirect, JsonResponse
from django.templatetags.static import static

from ecomops.health import health_status


def healthz(request: HttpRequest) -> JsonResponse:
    status = health_status()
    return JsonResponse(status, status=200 if status["ok"] else 503)


def favicon(request: HttpRequest) -> HttpResponseRedirect:
    """Browsers ask for /favicon.ico whatever the page links; send them to the static icon."""
    return HttpResponseRedirect(static("ecomops/favicon.svg"))
