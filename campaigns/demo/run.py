"""The seed, start to finish: check the database, generate, write, report.

Generation is pure numpy from one ``Generator`` seeded with ``--seed``: the same seed
and ``as_of`` give the same rows, ids included. Each step hands its tables to the writer
as soon as they are ready, parents first, so that the database works while numpy
generates the next step.

All or nothing: on SQLite the whole seed is one transaction. On PostgreSQL tables load
in parallel transactions (see :mod:`write`), so a failure rolls back the open ones and
empties the tables the seed had already filled; they were empty before (checked), so
nothing of anyone else's is lost. ``--flush`` itself is committed first.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import numpy as np
from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.utils import timezone

from campaigns.demo import reference as ref
from campaigns.demo.aftersales import generate_aftersales
from campaigns.demo.catalog import generate_catalog, stock_levels
from campaigns.demo.community import generate_community
from campaigns.demo.coupons import generate_coupons
from campaigns.demo.events import generate_events
from campaigns.demo.extras import channel_spend_table, channel_table, kpi_target_table
from campaigns.demo.lines import generate_lines
from campaigns.demo.loyalty import generate_loyalty, tier_table
from campaigns.demo.options import DemoOptions
from campaigns.demo.orders import generate_orders, line_table, net_goods, order_table, order_totals
from campaigns.demo.people import generate_people
from campaigns.demo.timeline import DAY, Timeline
from campaigns.demo.users import ensure_demo_users
from campaigns.demo.write import DEMO_APPS, PostgresWriter, SqliteWriter, Writer

# Every table the seed writes (it refuses to run unless all are empty).
WRITTEN = (
    "customers.MembershipTier", "customers.Tag", "customers.Customer", "customers.CustomerTag",
    "customers.PointsEntry", "customers.CommunityGroup", "customers.GroupMembership",
    "catalog.Category", "catalog.Product", "catalog.SKU", "catalog.Channel",
    "catalog.ChannelSpend", "catalog.Order", "catalog.OrderLine", "catalog.Return",
    "catalog.Review", "analytics.Event", "analytics.KpiTarget", "campaigns.CouponTemplate",
    "campaigns.Coupon", "campaigns.Redemption",
)  # fmt: skip
STEPS = (
    "users", "catalogue", "customers", "orders", "coupons", "returns and reviews",
    "points and tiers", "community", "customer rows", "events", "finish",
)  # fmt: skip


@dataclass
class SeedReport:
    as_of: date
    seed: int
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


class DatabaseNotEmpty(Exception):
    def __init__(self, counts: dict[str, int]):
        self.counts = counts
        listed = ", ".join(f"{n:,} {label}" for label, n in counts.items())
        super().__init__(f"the database already has data ({listed})")


def written_models() -> list:
    models = [apps.get_model(label) for label in WRITTEN]
    categories = apps.get_model("campaigns.CouponTemplate").applicable_categories.through
    return [*models, categories]


def existing_data() -> dict[str, int]:
    """Row counts of the tables the seed writes that already have rows."""
    return {
        m._meta.verbose_name_plural: m.objects.count()
        for m in written_models()
        if m.objects.exists()
    }


def flush_demo_data(models: list | None = None) -> None:
    """Delete every row of the domain apps (or of ``models``); users and groups stay."""
    if models is None:
        models = [
            m
            for label in DEMO_APPS
            for m in apps.get_app_config(label).get_models(include_auto_created=True)
        ]
    existing = set(connection.introspection.table_names())
    tables = [m._meta.db_table for m in models if m._meta.db_table in existing]
    quote = connection.ops.quote_name
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"TRUNCATE {', '.join(map(quote, tables))} RESTART IDENTITY CASCADE")
            return
        # Foreign keys are checked at commit on SQLite, so the order does not matter.
        for table in tables:
            cursor.execute(f"DELETE FROM {quote(table)}")
        if connection.vendor == "sqlite":
            marks = ", ".join(["%s"] * len(tables))
            cursor.execute(f"DELETE FROM sqlite_sequence WHERE name IN ({marks})", tables)


def seed_demo(
    options: DemoOptions,
    *,
    flush: bool = False,
    on_step: Callable[[str], None] | None = None,
    on_rows: Callable[[str, int], None] | None = None,
) -> SeedReport:
    """Seed the demo data; raises :class:`DatabaseNotEmpty` unless empty or ``flush``."""
    options.validate()
    step = on_step or (lambda name: None)
    started = time.perf_counter()
    as_of = options.as_of or timezone.localdate()
    if connection.vendor == "postgresql":
        with transaction.atomic():
            users = _prepare(flush, step)
        writer: Writer = PostgresWriter(on_rows)
        try:
            _generate(options, as_of, users, writer, step)
            step("finish")
            writer.finish()
        except BaseException:
            writer.abort()
            flush_demo_data(written_models())
            raise
    else:
        with transaction.atomic():
            users = _prepare(flush, step)
            writer = SqliteWriter(on_rows)
            _generate(options, as_of, users, writer, step)
            step("finish")
            writer.finish()
    return SeedReport(
        as_of=as_of, seed=options.seed, rows=writer.counts, seconds=time.perf_counter() - started
    )


def _prepare(flush: bool, step) -> dict:
    if flush:
        flush_demo_data()
    else:
        counts = existing_data()
        if counts:
            raise DatabaseNotEmpty(counts)
    step("users")
    users = ensure_demo_users()
    users["team"] = Group.objects.filter(name="Store manager").values_list("pk", flat=True).first()
    return users


def _generate(options: DemoOptions, as_of: date, users: dict, writer: Writer, step) -> None:
    """Every generator in dependency order; tables go to the writer parents first."""
    rng = np.random.default_rng(options.seed)
    tl = Timeline.build(as_of, settings.TIME_ZONE)

    step("catalogue")
    catalog = generate_catalog(rng, tl)
    for table in (channel_table(), tier_table(), catalog.category, catalog.product):
        writer.write(table)

    step("customers")
    people = generate_people(rng, tl, options.customers)
    writer.write(channel_spend_table(rng, tl, people.registered, people.channel))

    step("orders")
    orders = generate_orders(rng, tl, people, options.orders)
    lines = generate_lines(rng, tl, catalog, people, orders)
    paid_line = orders.is_paid[lines.order]
    recent = paid_line & (orders.paid_at[lines.order] >= tl.end - 28 * DAY)
    n_skus = len(catalog.sku)
    stock_levels(
        rng,
        catalog,
        np.bincount(lines.sku[recent], weights=lines.quantity[recent], minlength=n_skus),
        np.bincount(lines.sku[paid_line], minlength=n_skus) > 0,
    )
    writer.write(catalog.sku)

    step("coupons")
    skincare = 1 + len(ref.ROOTS) + [c for r in ref.ROOTS for c in r.children].index("Skincare")
    goods = net_goods(len(orders), lines.order, lines.gross, lines.discount)
    coupons = generate_coupons(rng, tl, people.registered, orders, goods, skincare, 1)
    remote = np.isin(people.region, list(ref.REMOTE_REGIONS))
    totals = order_totals(rng, orders, lines, coupons.order_discount, remote)
    order_rows = order_table(orders, totals, people.region, tl)
    writer.write(order_rows)
    writer.write(line_table(lines))

    step("returns and reviews")
    after = generate_aftersales(rng, tl, catalog, orders, totals, lines)
    writer.write(after.returns)
    writer.write(after.reviews)

    step("points and tiers")
    customer = people.table.columns
    loyalty = generate_loyalty(
        rng,
        tl,
        people.registered,
        customer["referred_by_id"],
        orders,
        totals,
        after,
    )
    writer.write(loyalty.ledger)

    step("community")
    paid_counts = np.bincount(orders.customer[orders.is_paid], minlength=options.customers)
    complained = np.zeros(options.customers, dtype=bool)
    bad_returns = after.returned_line & catalog.problem[lines.product]
    complained[orders.customer[lines.order[bad_returns]]] = True
    community = generate_community(
        rng,
        tl,
        people.registered,
        customer["marketing_opt_in"],
        people.preferred_root,
        loyalty.customer_tier,
        loyalty.tier_since,
        paid_counts,
        complained,
        users["ops"].pk,
    )

    step("customer rows")
    last_order = np.full(options.customers, -1, dtype=np.int64)
    np.maximum.at(last_order, orders.customer, orders.created)
    customer["tier_id"] = loyalty.customer_tier + 1
    customer["tier_since"] = loyalty.tier_since
    customer["points_balance"] = loyalty.balance
    customer["is_koc"] = community.is_koc
    customer["updated_at"] = np.maximum.reduce([people.registered, last_order, loyalty.last_entry])
    writer.write(people.table)
    for table in (community.group, community.membership, community.tag, community.customer_tag):
        writer.write(table)
    for table in (
        coupons.template,
        coupons.template_categories,
        coupons.coupon,
        coupons.redemption,
    ):
        writer.write(table)
    paid = np.flatnonzero(orders.is_paid)
    _, first_index = np.unique(orders.customer[paid], return_index=True)
    writer.write(
        kpi_target_table(
            tl,
            orders.paid_at[paid],
            totals.paid[paid],
            orders.paid_at[paid[first_index]],
            users["manager"].pk,
            users["team"],
        )
    )

    step("events")
    writer.write(
        generate_events(
            rng,
            tl,
            options.event_count,
            people.registered,
            people.channel,
            orders,
            lines,
            catalog,
        )
    )
