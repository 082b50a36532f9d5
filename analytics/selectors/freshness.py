"""Cached report results: a page's report is computed once per filter, role and data
version, then read from the cache until the data changes.

The data version is a token in the cache, renewed by
:func:`analytics.services.freshness.report_data_changed` after every analytics run,
orders import and KPI target change; ``PAGES_REPORT_CACHE_SECONDS`` bounds how long a
result may outlive changes that renew nothing (events pushed between runs, campaign
outcomes). ``0`` turns the cache off (the test suite does; its own tests turn it on).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache

VERSION_KEY = "analytics:report-data-version"


def data_version() -> str:
    """The current data version (a fresh one when the cache has none)."""
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, uuid.uuid4().hex, None)
        version = cache.get(VERSION_KEY)
    return version


def cached_report(parts: tuple, compute: Callable[[], Any]) -> Any:
    """``compute()``, or its result for the same ``parts`` at the same data version."""
    seconds = settings.PAGES_REPORT_CACHE_SECONDS
    if not seconds:
        return compute()
    digest = hashlib.blake2b(repr((data_version(), *parts)).encode(), digest_size=16)
    key = f"report:{digest.hexdigest()}"
    result = cache.get(key)
    if result is None:
        result = compute()
        cache.set(key, result, seconds)
    return result
