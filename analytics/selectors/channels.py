"""Channel names for the report pages (the reports key channels by code)."""

from catalog.models import Channel


def channel_names() -> dict[str, str]:
    """{channel code: display name}, one query."""
    return dict(Channel.objects.values_list("code", "name"))
