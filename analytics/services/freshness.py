"""Renewing the data version of cached report results (:mod:`analytics.selectors.freshness`)."""

from __future__ import annotations

import uuid

from django.core.cache import cache

from analytics.selectors.freshness import VERSION_KEY


def report_data_changed(**signal_kwargs) -> None:
    """Every cached report result is stale from now on (also a signal receiver)."""
    cache.set(VERSION_KEY, uuid.uuid4().hex, None)
