"""What the analytics report pages add to the frame's ``ReportPage``: a "Recompute now"
link for staff who may start a run, KPI cards, and a note on the filters a report
cannot apply."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse

from analytics.forms import RUN_PERMISSION
from analytics.pages import ReportPage

# Campaigns are built on the campaigns app's pages; analytics only links to them by name.
CAMPAIGN_PERMISSION = "campaigns.add_campaign"


def campaign_create_url(segment_id: int) -> str:
    """The new-campaign page with this segment preselected."""
    return f"{reverse('campaigns:campaign-create')}?segment={segment_id}"


@dataclass(frozen=True)
class Card:
    label: str
    value: float | None
    kind: str  # the cell format: money, int, number, percent
    note: str = ""


class AnalyticsReportPage(ReportPage):
    template_name = "analytics/report.html"
    lead = ""
    filter_note = ""  # which filters do not apply, and why

    def exporting(self) -> bool:
        """Whether this request answers a CSV (lists are then not cut to a page's length)."""
        return bool(self.request.GET.get("export"))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("lead", self.lead)
        context.setdefault("filter_note", self.filter_note)
        context["can_run"] = self.request.user.has_perm(RUN_PERMISSION)
        return context
