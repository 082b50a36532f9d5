"""Signals the analytics app sends (others may listen; analytics imports none of them)."""

from django.dispatch import Signal

# After the analytics run's segments step: kwargs as_of (date).
segments_refreshed = Signal()
