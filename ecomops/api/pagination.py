"""Cursor pagination for every list: stable under inserts, ``page_size`` capped at 500."""

from rest_framework.pagination import CursorPagination


class ApiCursorPagination(CursorPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    ordering = "-id"


def cursor_by(field: str) -> type[ApiCursorPagination]:
    """Cursor pagination ordered by another unique field (for tables keyed otherwise)."""
    return type(f"CursorBy{field.title()}", (ApiCursorPagination,), {"ordering": f"-{field}"})
