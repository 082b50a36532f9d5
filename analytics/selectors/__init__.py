"""Reads of analytics results for pages, the API and campaigns: never raw orders per request.

- :mod:`.segments`: segment previews and members, the score export.
- :mod:`.reports`: the reports, summed from the stored facts and daily KPIs over any
  period, channel and category (:class:`ReportFilter`), each with a pure function of
  ``analytics.metrics`` behind it.
"""

from analytics.selectors.reports import (
    CohortReport,
    InventoryReport,
    KpiSummary,
    ProductReport,
    ReportFilter,
    activity_report,
    channel_report,
    clv_distribution,
    cohort_report,
    funnel_report,
    inventory_report,
    kpi_series,
    kpi_summary,
    kpi_target_progress,
    product_report,
)
from analytics.selectors.segments import (
    PREVIEW_SAMPLE_SIZE,
    SCORE_EXPORT_COLUMNS,
    SegmentPreview,
    score_export_rows,
    segment_members,
    segment_rule_preview,
)

__all__ = [
    "PREVIEW_SAMPLE_SIZE",
    "SCORE_EXPORT_COLUMNS",
    "CohortReport",
    "InventoryReport",
    "KpiSummary",
    "ProductReport",
    "ReportFilter",
    "SegmentPreview",
    "activity_report",
    "channel_report",
    "clv_distribution",
    "cohort_report",
    "funnel_report",
    "inventory_report",
    "kpi_series",
    "kpi_summary",
    "kpi_target_progress",
    "product_report",
    "score_export_rows",
    "segment_members",
    "segment_rule_preview",
]
