"""One error shape for every 4xx: ``{"error": {"code", "message", "fields"}}``."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.http import Http404
from rest_framework import exceptions, serializers, status
from rest_framework.views import exception_handler


class ApiError(exceptions.APIException):
    """A refusal with our own code (``limit_reached``, ``not_found``...) and status."""

    def __init__(self, code: str, message: str, status_code: int = 400, fields=None):
        super().__init__(detail=message, code=code)
        self.status_code = status_code
        self.error_code = code
        self.fields = fields or {}


def _flatten(detail, prefix: str = "") -> dict[str, list[str]]:
    """Serializer errors as {"field" or "items.3.sku": [messages]}."""
    if isinstance(detail, dict):
        out: dict[str, list[str]] = {}
        for key, value in detail.items():
            name = key if key != "non_field_errors" else "_"
            out.update(_flatten(value, f"{prefix}{name}" if not prefix else f"{prefix}.{name}"))
        return out
    if isinstance(detail, list) and detail and not all(isinstance(d, str) for d in detail):
        out = {}
        for index, item in enumerate(detail):
            if item:
                out.update(_flatten(item, f"{prefix}.{index}" if prefix else str(index)))
        return out
    messages = detail if isinstance(detail, list) else [detail]
    return {prefix or "_": [str(m) for m in messages]}


def api_exception_handler(exc, context):
    if isinstance(exc, RequestDataTooBig):
        exc = ApiError("too_large", str(exc) or "the request body is too large", 413)
    elif isinstance(exc, SuspiciousOperation):  # too many fields, bad multipart...
        exc = exceptions.ParseError(str(exc) or "malformed request")
    elif isinstance(exc, OverflowError):  # a number no column can hold
        exc = ApiError("invalid", "a number in the request is out of range", 400)
    elif isinstance(exc, IntegrityError):
        # What validation let through and the database refused: a concurrent write of
        # the same unique value, as a rule.
        exc = ApiError("conflict", f"the database refused the change: {exc}".strip(), 409)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound(str(exc) or "not found")
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            {("_" if k == "__all__" else k): v for k, v in exc.message_dict.items()}
            if hasattr(exc, "error_dict")
            else {"_": exc.messages}
        )
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, ApiError):
        code, message, fields = exc.error_code, str(exc.detail), exc.fields
    elif isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail)
        names = ", ".join(name for name in fields if name != "_")
        code = "invalid"
        message = f"invalid: {names}" if names else "; ".join(fields.get("_", ["invalid input"]))
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        code = getattr(detail, "code", None) or _code_of(response.status_code)
        message = str(detail)
        fields = {}
    response.data = {"error": {"code": code, "message": message, "fields": fields}}
    return response


def _code_of(status_code: int) -> str:
    return {
        status.HTTP_401_UNAUTHORIZED: "not_authenticated",
        status.HTTP_403_FORBIDDEN: "permission_denied",
        status.HTTP_404_NOT_FOUND: "not_found",
        status.HTTP_413_REQUEST_ENTITY_TOO_LARGE: "too_large",
        status.HTTP_429_TOO_MANY_REQUESTS: "throttled",
    }.get(status_code, "error")


def valid(serializer_class, request, **kwargs) -> dict:
    """The request body checked by ``serializer_class`` (400 with field messages if not)."""
    serializer = serializer_class(data=request.data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def refused(error, *, conflicts=(), not_found=(), status_code: int = 400) -> ApiError:
    """A service's refusal (:class:`customers.errors.ServiceError`) as an API error with
    the service's code: 409 for the codes in ``conflicts``, 404 for those in
    ``not_found``, else ``status_code``."""
    if error.code in conflicts:
        status_code = 409
    elif error.code in not_found:
        status_code = 404
    return ApiError(error.code, error.message, status_code)


class CleanModelSerializer(serializers.ModelSerializer):
    """A model serializer whose saves run the model's own checks (``full_clean``: field
    rules, constraints, uniqueness), so a bad value is a 400 naming the field rather than
    a database error."""

    def create(self, validated_data):
        instance = self.Meta.model(**validated_data)
        instance.full_clean()
        instance.save()
        return instance

    def update(self, instance, validated_data):
        for name, value in validated_data.items():
            setattr(instance, name, value)
        instance.full_clean()
        instance.save()
        return instance
