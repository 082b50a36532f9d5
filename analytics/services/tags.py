"""The tags step: refresh the computed tags; manual tags are never touched."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd
from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from analytics import loaders
from analytics.metrics.tags import TAG_DESCRIPTIONS, TagThresholds, computed_tags
from analytics.writers import insert_frame
from catalog.models import Order
from customers.models import Customer, CustomerTag, Tag

BATCH_SIZE = 5000  # links deleted per statement


@dataclass(frozen=True)
class TagsResult:
    assigned: dict[str, int]
    skipped: tuple[str, ...]


def tags_compute(*, as_of: date) -> TagsResult:
    """Recompute every computed tag as of ``as_of`` and bring its links in line, in one
    transaction."""
    thresholds = TagThresholds(**settings.ANALYTICS["TAG_THRESHOLDS"])
    orders = loaders.paid_orders(as_of=as_of)
    lines = loaders.paid_lines(as_of=as_of)
    events = loaders.events(
        start=as_of - timedelta(days=thresholds.koc_days - 1), end=as_of, types=["share"]
    )
    referrals = pd.DataFrame.from_records(
        Customer.objects.filter(referred_by__isnull=False)
        .annotate(
            paid=Count(
                "orders",
                filter=Q(
                    orders__status__in=Order.PAID_STATUSES,
                    orders__paid_at__lt=loaders.day_end(as_of),
                ),
            )
        )
        .values_list("referred_by_id", "paid"),
        columns=["referrer_id", "paid_orders"],
    )
    tagged = computed_tags(
        orders=orders.dropna(subset=["customer_id"]),
        lines=lines.dropna(subset=["customer_id"]),
        events=events.dropna(subset=["customer_id"]),
        referrals=referrals,
        as_of=as_of,
        thresholds=thresholds,
    )
    return _replace_links(tagged)


@transaction.atomic
def _replace_links(tagged: pd.DataFrame) -> TagsResult:
    """Bring the computed tags' links in line with ``tagged``: a computed link the rules
    still give stays as it is, with the ``assigned_at`` of the day it came (since when the
    customer carries the tag); links the rules no longer give (and links of a computed tag
    added by hand or imported) go; new ones are written with COPY. A night changes a few
    of the 50k links at 100k customers, so little is written."""
    skipped = []
    tags = {}
    for name, description in TAG_DESCRIPTIONS.items():
        tag, _ = Tag.objects.get_or_create(
            name=name, defaults={"kind": Tag.Kind.COMPUTED, "description": description}
        )
        if tag.kind != Tag.Kind.COMPUTED:
            skipped.append(name)  # staff made a manual tag of that name: leave it alone
            continue
        tags[name] = tag.pk
    given = tagged[tagged["tag"].isin(list(tags))]
    wanted = pd.DataFrame(
        {
            "customer_id": given["customer_id"].to_numpy(dtype="int64"),
            "tag_id": given["tag"].map(tags).to_numpy(dtype="int64"),
        }
    )
    current = pd.DataFrame.from_records(
        CustomerTag.objects.filter(tag__in=tags.values()).values_list(
            "pk", "customer_id", "tag_id", "source"
        ),
        columns=["pk", "customer_id", "tag_id", "source"],
    )
    current = current.merge(wanted, how="left", on=["customer_id", "tag_id"], indicator=True)
    kept = (current["_merge"] == "both") & (current["source"] == CustomerTag.Source.COMPUTED)
    stale = current.loc[~kept, "pk"].tolist()
    for first in range(0, len(stale), BATCH_SIZE):
        CustomerTag.objects.filter(pk__in=stale[first : first + BATCH_SIZE]).delete()
    new = wanted.merge(current.loc[kept, ["customer_id", "tag_id"]], how="left", indicator=True)
    new = new.loc[new["_merge"] == "left_only", ["customer_id", "tag_id"]]
    insert_frame(  # COPY on PostgreSQL
        CustomerTag,
        new.assign(source=CustomerTag.Source.COMPUTED.value, assigned_at=timezone.now()),
    )
    counts = tagged["tag"].value_counts()
    return TagsResult(
        assigned={name: int(counts.get(name, 0)) for name in tags}, skipped=tuple(skipped)
    )
