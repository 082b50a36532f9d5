"""What the analytics report pages share beyond the frame: a longer default period."""

from __future__ import annotations

from datetime import date

from django.utils import timezone


class LongDefaultPeriodMixin:
    """Without ``?start=``, start at the first day of the month ``default_months`` − 1
    months before the end (cohorts need months, not the frame's 30 days)."""

    default_months = 12

    def get(self, request, *args, **kwargs):
        if not request.GET.get("start"):
            query = request.GET.copy()
            query["start"] = self.default_start(request.GET.get("end")).isoformat()
            request.GET = query
        return super().get(request, *args, **kwargs)

    def default_start(self, end_text: str | None) -> date:
        try:
            end = date.fromisoformat(end_text) if end_text else timezone.localdate()
        except ValueError:
            end = timezone.localdate()
        months = end.year * 12 + end.month - 1 - (self.default_months - 1)
        return date(months // 12, months % 12 + 1, 1)
