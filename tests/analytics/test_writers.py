from datetime import date
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from analytics.models import CustomerScore, ProductAffinity
from analytics.writers import _copy_column, upsert_frame
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_upsert_inserts_then_updates_by_key_with_rounded_money_and_nulls():
    a, b = f.CustomerFactory(), f.CustomerFactory()
    frame = pd.DataFrame(
        {
            "customer_id": [a.pk, b.pk],
            "as_of": [date(2026, 6, 30)] * 2,
            "frequency": [3, 0],
            "monetary": [123.455, 0.0],
            "lifecycle_stage": ["active", "prospect"],
            "p_alive": [0.75, np.nan],
            "r_score": [5, np.nan],
        }
    )
    assert upsert_frame(CustomerScore, frame, unique_fields=["customer_id"]) == 2
    score = CustomerScore.objects.get(customer=a)
    assert (score.monetary, score.p_alive, score.r_score) == (Decimal("123.46"), 0.75, 5)
    assert CustomerScore.objects.get(customer=b).p_alive is None

    frame.loc[0, ["frequency", "monetary"]] = [4, 200.0]
    upsert_frame(CustomerScore, frame.iloc[[0]], unique_fields=["customer_id"])
    score.refresh_from_db()
    assert (score.frequency, score.monetary) == (4, Decimal("200.00"))
    assert CustomerScore.objects.count() == 2


def test_upsert_stores_every_column_kind_alike_on_every_backend():
    # PostgreSQL sends the columns as binary arrays and restores NULLs from sentinels;
    # elsewhere bulk_create gets Python values. Both must store the same.
    from datetime import UTC, datetime

    a, b, c = f.CustomerFactory(), f.CustomerFactory(), f.CustomerFactory()
    instant = datetime(2026, 6, 30, 1, 2, 3, 4, tzinfo=UTC)
    frame = pd.DataFrame(
        {
            "customer_id": [a.pk, b.pk, c.pk],
            "as_of": [date(2026, 6, 30)] * 3,
            "recency_days": [3.0, np.nan, 0.0],
            "frequency": [1, 2, 3],
            # 1.0049999999999997 is 1.00 from its shortest repr, 1.01 from 15 digits
            "monetary": [1.0049999999999997, 2.675, np.nan],
            "lifecycle_stage": ["active", None, "active"],
            "rfm_segment": ["", "champions", "x\ty"],
            # aware in another zone, naive (taken as UTC), missing
            "first_order_at": pd.Series([instant, instant, None])
            .dt.tz_convert("Asia/Shanghai")
            .where([True, False, False]),
            "last_order_at": [pd.Timestamp("2026-06-30 09:00"), pd.NaT, pd.NaT],
            "p_alive": [0.5, np.nan, 1.0],
            "preferred_category_id": [np.nan, np.nan, np.nan],
        }
    )
    frame.loc[2, "monetary"] = 0.0
    frame.loc[1, "lifecycle_stage"] = "lost"
    assert upsert_frame(CustomerScore, frame, unique_fields=["customer_id"]) == 3
    rows = list(
        CustomerScore.objects.order_by("customer_id").values_list(
            "recency_days",
            "monetary",
            "lifecycle_stage",
            "rfm_segment",
            "first_order_at",
            "last_order_at",
            "p_alive",
            "as_of",
        )
    )
    assert rows == [
        (3, Decimal("1.00"), "active", "", instant, datetime(2026, 6, 30, 9, tzinfo=UTC), 0.5,
         date(2026, 6, 30)),
        (None, Decimal("2.68"), "lost", "champions", None, None, None, date(2026, 6, 30)),
        (0, Decimal("0.00"), "active", "x\ty", None, None, 1.0, date(2026, 6, 30)),
    ]  # fmt: skip


def test_update_frame_sets_json_and_booleans_of_the_rows_it_names():
    from analytics.models import Segment
    from analytics.writers import update_frame

    one, two, other = f.SegmentFactory(), f.SegmentFactory(), f.SegmentFactory()
    frame = pd.DataFrame(
        {
            "id": [one.pk, two.pk, 10**9],  # the last has no row: ignored
            "is_builtin": [True, False, True],
            "rule": [{"all": [{"field": "tags", "op": "has", "value": "vip ✓"}]}, {}, {}],
            "member_count": [12, np.nan, 1],
        }
    )
    assert (
        update_frame(Segment, frame, key="id", fields=["is_builtin", "rule", "member_count"]) == 2
    )
    rows = list(Segment.objects.order_by("pk").values_list("is_builtin", "rule", "member_count"))
    assert rows == [
        (True, {"all": [{"field": "tags", "op": "has", "value": "vip ✓"}]}, 12),
        (False, {}, None),
        (False, other.rule, None),
    ]


def test_upsert_refuses_a_fraction_for_an_integer_column():
    customer = f.CustomerFactory()
    frame = pd.DataFrame({"customer_id": [customer.pk], "as_of": [date(2026, 6, 30)],
                          "frequency": [2.5]})  # fmt: skip
    with pytest.raises(ValueError, match="frequency"):
        upsert_frame(CustomerScore, frame, unique_fields=["customer_id"])
    assert not CustomerScore.objects.exists()


def test_a_write_of_more_than_a_tenth_of_a_table_analyses_it():
    """PostgreSQL: reltuples (the planner's row count) follows a large write at once, not
    a small one."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("ANALYZE is PostgreSQL's")

    def planner_rows() -> float:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT reltuples FROM pg_class WHERE relname = 'analytics_customerscore'"
            )
            return cursor.fetchone()[0]

    customers = [f.CustomerFactory() for _ in range(74)]
    frame = pd.DataFrame(
        {"customer_id": [c.pk for c in customers], "as_of": [date(2026, 6, 30)] * 74}
    )
    upsert_frame(CustomerScore, frame.iloc[:73], unique_fields=["customer_id"])
    assert planner_rows() == 73
    upsert_frame(CustomerScore, frame.iloc[73:], unique_fields=["customer_id"])  # 1 of 74
    assert planner_rows() == 73


def test_upsert_refuses_unknown_columns():
    with pytest.raises(ValueError, match="no column"):
        upsert_frame(ProductAffinity, pd.DataFrame({"colour": ["red"]}), unique_fields=["colour"])


def test_replace_range_writes_json_and_replaces_only_the_range():
    from datetime import date

    from analytics.models import CohortDay
    from analytics.writers import replace_range

    month = date(2026, 1, 1)
    for day, customers in ((date(2026, 1, 1), 1), (date(2026, 1, 3), 9)):
        CohortDay.objects.create(date=day, month=month, customers=customers, orders=1, revenue=1)
    frame = pd.DataFrame(
        {
            "date": [date(2026, 1, 2)],
            "month": [month],
            "channel_id": [None],
            "customers": [5],
            "orders": [7],
            "revenue": [70.0],
            "intervals": [{"0": 1, "41": 2}],
        }
    )
    written = replace_range(
        CohortDay, frame, field="date", start=date(2026, 1, 2), end=date(2026, 1, 31),
    )  # fmt: skip
    assert written == 1
    rows = list(CohortDay.objects.order_by("date").values_list("date", "customers", "intervals"))
    assert rows == [(date(2026, 1, 1), 1, {}), (date(2026, 1, 2), 5, {"0": 1, "41": 2})]


def test_copy_text_of_each_column_kind():
    from datetime import UTC, datetime

    from django.db import models

    from analytics.writers import _copy_chunks, _copy_column

    def text(values, field):
        return _copy_column(pd.Series(values), field)

    integer, money = models.IntegerField(), models.DecimalField(max_digits=9, decimal_places=2)
    assert text([3, -12, 2**40], integer) == ["3", "-12", "1099511627776"]
    # an integer column with a gap arrives as floats: whole numbers, NULL for NaN
    assert text([1.0, np.nan, 7.0], integer) == ["1", "\\N", "7"]
    # floats as their shortest repr; the numeric column rounds money on input
    assert text([0.1, 123.455, 1e16, -0.0, np.nan], money) == [
        "0.1",
        "123.455",
        "1e+16",
        "-0.0",
        "\\N",
    ]
    assert text([True, False], models.BooleanField()) == ["t", "f"]
    assert text(pd.array([True, None], dtype="boolean"), models.BooleanField()) == ["t", "\\N"]
    assert text(["a\tb", None, "a\tb"], models.TextField()) == ["a\\tb", "\\N", "a\\tb"]
    assert text([date(2026, 6, 30), None], models.DateField()) == ["2026-06-30", "\\N"]
    # aware timestamps in any zone are written in UTC with the offset; naive ones as they are
    instant = pd.Timestamp(datetime(2026, 6, 30, 1, 2, 3, 4, tzinfo=UTC))
    shanghai = pd.Series([instant, None, instant]).dt.tz_convert("Asia/Shanghai")
    assert text(shanghai, models.DateTimeField()) == [
        "2026-06-30T01:02:03.000004+00:00",
        "\\N",
        "2026-06-30T01:02:03.000004+00:00",
    ]
    naive = pd.Series([pd.Timestamp("2026-06-30 09:00"), pd.NaT])
    assert text(naive, models.DateTimeField()) == ["2026-06-30T09:00:00.000000", "\\N"]
    assert text([{"a": 1}, None], models.JSONField()) == ['{"a":1}', "\\N"]

    frame = pd.DataFrame({"id": [1, 2, 3], "value": [0.5, np.nan, 2.0]})
    fields = [models.IntegerField(), models.FloatField()]
    for field, name in zip(fields, frame.columns, strict=True):
        field.attname = name
    assert list(_copy_chunks(frame, fields, rows_per_chunk=2)) == ["1\t0.5\n2\t\\N\n", "3\t2.0\n"]


def _table_schema(table: str) -> list:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
               WHERE conrelid = %s::regclass ORDER BY conname""",
            [table],
        )
        constraints = cursor.fetchall()
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s ORDER BY 1", [table]
        )
        return constraints + cursor.fetchall()


def test_a_whole_table_replace_rebuilds_its_indexes_and_still_refuses_duplicates():
    """PostgreSQL: TRUNCATE, the unique constraints dropped, COPY, built again by name."""
    from django.db import IntegrityError, connection
    from django.utils import timezone

    from analytics.models import Recommendation
    from analytics.writers import replace_range

    if connection.vendor != "postgresql":
        pytest.skip("the index rebuild is PostgreSQL's")
    customer, product = f.CustomerFactory(), f.ProductFactory()
    before = _table_schema(Recommendation._meta.db_table)
    assert [name for name, _ in before].count("recommendation_unique_rank") == 2  # + index
    now = timezone.now()
    frame = pd.DataFrame(
        {"customer_id": [customer.pk], "product_id": [product.pk], "rank": [1], "score": [0.5]}
    ).assign(computed_at=now)
    assert replace_range(Recommendation, frame, field="computed_at", start=None, end=None) == 1
    assert _table_schema(Recommendation._meta.db_table) == before
    twice = pd.concat([frame, frame.assign(product_id=product.pk + 1)])  # rank 1 twice
    with pytest.raises(IntegrityError):
        replace_range(Recommendation, twice, field="computed_at", start=None, end=None)
    assert list(Recommendation.objects.values_list("customer_id", "rank", "score")) == [
        (customer.pk, 1, 0.5)
    ]
    assert _table_schema(Recommendation._meta.db_table) == before


def test_copy_text_refuses_a_fraction_for_an_integer_column():
    field = CustomerScore._meta.get_field("frequency")
    assert _copy_column(pd.Series([2.0, None]), field) == ["2", "\\N"]
    with pytest.raises(ValueError, match="frequency"):
        _copy_column(pd.Series([2.5]), field)
