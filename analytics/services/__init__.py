"""Writes of the analytics app: segments and the analytics run, one module per part."""

from analytics.services.kpis import kpis_compute
from analytics.services.runs import (
    RunInProgress,
    analytics_run_create,
    analytics_run_execute,
    analytics_run_start,
)
from analytics.services.scores import scores_compute
from analytics.services.segments import (
    segment_create,
    segment_create_from_list,
    segment_refresh_count,
    segment_snapshot,
    segments_ensure_builtin,
    segments_refresh_counts,
)
from analytics.services.tags import tags_compute

__all__ = [
    "RunInProgress",
    "analytics_run_create",
    "analytics_run_execute",
    "analytics_run_start",
    "kpis_compute",
    "scores_compute",
    "segment_create",
    "segment_create_from_list",
    "segment_refresh_count",
    "segment_snapshot",
    "segments_ensure_builtin",
    "segments_refresh_counts",
    "tags_compute",
]
