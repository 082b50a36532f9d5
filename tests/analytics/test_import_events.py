"""Events in and out: properties from extra columns, derived ids, unknown references."""

from datetime import UTC, datetime

import pytest

import analytics.importing  # noqa: F401  (registers the events kind, as the commands do)
from analytics.models import Event
from catalog.services import export_file, import_file
from tests.catalog import test_import_support as support
from tests.catalog.test_import_support import EXAMPLES, codes, write

pytestmark = pytest.mark.django_db
shop = support.shop  # a fixture shared by the import tests


@pytest.fixture
def people(shop):
    assert import_file(kind="customers", path=EXAMPLES / "customers.csv").ok


def test_events_are_read_with_their_extra_columns_as_properties(people):
    result = import_file(kind="events", path=EXAMPLES / "events.csv")
    assert result.ok and result.created == 4
    view = Event.objects.select_related("sku", "product", "customer", "channel").get(
        type="product_view"
    )
    assert (view.customer.external_id, view.session_id, view.sku.code, view.channel.code) == (
        "C1001",
        "s-1",
        "TEE-WHT-M",
        "search",
    )
    assert view.product_id == view.sku.product_id
    assert view.properties == {"page": "/p/tee", "utm_campaign": "spring"}
    assert view.occurred_at == datetime(2024, 3, 1, 9, 59, tzinfo=UTC)
    anonymous = Event.objects.get(session_id="s-9")
    assert (anonymous.customer, anonymous.properties) == (None, {"page": "/"})
    assert all(e.startswith("E-") for e in Event.objects.values_list("external_id", flat=True))
    again = import_file(kind="events", path=EXAMPLES / "events.csv")
    assert (again.created, again.unchanged) == (0, 4)


def test_identical_events_stay_two_and_bad_references_are_named(tmp_path, people):
    path = write(
        tmp_path,
        "e.csv",
        "customer_id,session_id,type,sku,channel,occurred_at\n"
        "C1001,s1,visit,,,2024-03-01 10:00\n"
        "C1001,s1,visit,,,2024-03-01 10:00\n"
        "C9999,s2,visit,,,2024-03-01 10:00\n"
        "C1001,s3,teleport,NO-SKU,tv,2024-03-01 10:00\n",
    )
    result = import_file(kind="events", path=path, skip_bad_rows=True)
    assert codes(result) == {
        (4, "customer_id", "unknown_customer"),
        (5, "type", "invalid_value"),
        (5, "sku", "unknown_sku"),
        (5, "channel", "unknown_channel"),
    }
    ids = sorted(Event.objects.values_list("external_id", flat=True))
    assert len(ids) == 2 and ids[1] == ids[0] + "-2"


def test_events_round_trip_through_an_export(tmp_path, people):
    import_file(kind="events", path=EXAMPLES / "events.csv")
    fields = (
        "external_id",
        "customer_id",
        "session_id",
        "type",
        "sku_id",
        "product_id",
        "channel_id",
        "occurred_at",
        "properties",
    )
    before = sorted(Event.objects.values_list(*fields), key=str)
    export_file(kind="events", path=tmp_path / "events.csv")
    Event.objects.all().delete()
    assert import_file(kind="events", path=tmp_path / "events.csv").created == 4
    assert sorted(Event.objects.values_list(*fields), key=str) == before
