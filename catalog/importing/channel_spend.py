"""Channel spend: ``channel, date, spend`` — what a channel cost on a day (for CAC and
ROI). Upserted by (channel, date); the channel must exist (code or name)."""

from __future__ import annotations

from catalog.importing.base import Cells, register
from catalog.importing.errors import FieldError
from catalog.importing.formats import GENERIC, generic_layout
from catalog.importing.lookups import channel_ids
from catalog.importing.parsing import parse_date, parse_money
from catalog.importing.writers import KeyedImporter
from catalog.models import ChannelSpend


@register
class ChannelSpendImporter(KeyedImporter):
    kind = "channel-spend"
    model = ChannelSpend
    permission = "catalog.add_channelspend"
    key_field = "date"
    layouts = {
        GENERIC: generic_layout(("channel", "date", "spend"), required=("channel", "date", "spend"))
    }

    def begin(self) -> None:
        super().begin()
        self.channels = channel_ids()

    def parse(self, cells: Cells):
        channel = self.cell(cells, "channel", self._channel, required=True)
        day = self.cell(cells, "date", parse_date, required=True)
        spend = self.cell(cells, "spend", _spend, required=True)
        if cells.bad:
            return None
        return (channel, day), {"channel_id": channel, "date": day, "spend": spend}

    def fetch_existing(self, keys):
        found = ChannelSpend.objects.filter(
            channel_id__in={c for c, _ in keys}, date__in={d for _, d in keys}
        )
        return {(s.channel_id, s.date): s for s in found}

    def _channel(self, value) -> int:
        spelling = str(value).strip()
        found = self.channels.get(spelling) or self.channels.get(spelling.lower())
        if found is None:
            raise FieldError(f"unknown channel {spelling!r} (create it first)", "unknown_channel")
        return found


def _spend(value):
    amount = parse_money(value)
    if amount < 0:
        raise FieldError(f"{value!r} is negative", "negative")
    return amount
