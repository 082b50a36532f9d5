"""The admin upload: upload → preview with every error → confirm → progress → result."""

import pytest
from django.urls import reverse

from catalog.models import ImportJob, Order
from tests import factories as f
from tests.catalog import test_import_support as support
from tests.catalog.test_import_support import FIXTURES

pytestmark = pytest.mark.django_db
shop = support.shop  # a fixture shared by the import tests


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    """Run the tasks a view queues on commit (tests never commit), eagerly as Celery does."""

    def post(client, url, data):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(url, data)

    return post


def upload(on_commit, client, name: str, **options):
    with open(FIXTURES / name, "rb") as handle:
        data = {
            "kind": "orders",
            "file": handle,
            "file_format": "generic",
            "column_map": "",
            "encoding": "",
        }
        data.update(options)
        return on_commit(client, reverse("admin:catalog_importjob_upload"), data)


def test_upload_preview_confirm_and_the_job_completes(admin_client, shop, tmp_path, on_commit):
    response = upload(on_commit, admin_client, "orders_with_errors.csv")
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "admin:catalog_importjob_progress", args=[job.pk]
    )
    assert job.file.name.startswith("imports/") and (tmp_path / "media" / job.file.name).exists()
    # Celery is eager here: the dry run has already run, the status says where to go next.
    status = admin_client.get(reverse("admin:catalog_importjob_status", args=[job.pk])).json()
    preview_url = reverse("admin:catalog_importjob_preview", args=[job.pk])
    assert (status["status"], status["done"], status["percent"], status["next"]) == (
        "preview",
        True,
        100,
        preview_url,
    )

    page = admin_client.get(preview_url)
    html = page.content.decode()
    assert page.status_code == 200 and "7 bad lines" in html and "(8 problems)" not in html
    assert "unknown SKU &#x27;NO-SUCH-SKU&#x27;" in html and "<td>5</td><td>sku</td>" in html
    assert "<td>created_at</td><td>created_at</td>" in html  # the detected mapping
    assert "TEE-WHT-M" in html  # the first rows
    assert Order.objects.count() == 0  # the preview wrote nothing

    refused = on_commit(admin_client, preview_url, {})
    assert refused.status_code == 200 and "skip bad rows" in refused.content.decode()
    job.refresh_from_db()
    assert job.status == "preview"

    confirmed = on_commit(admin_client, preview_url, {"skip_bad_rows": "on"})
    assert confirmed["Location"] == reverse("admin:catalog_importjob_progress", args=[job.pk])
    job.refresh_from_db()
    assert (job.status, job.progress, job.result["created"], job.result["skipped"]) == (
        "done",
        100,
        2,
        7,
    )
    assert sorted(Order.objects.values_list("external_id", flat=True)) == ["E-1", "E-8"]
    result_page = admin_client.get(reverse("admin:catalog_importjob_change", args=[job.pk]))
    assert (
        result_page.status_code == 200 and "skipped with order E-6" in result_page.content.decode()
    )
    progress = admin_client.get(reverse("admin:catalog_importjob_progress", args=[job.pk]))
    assert b'<progress id="import-progress" max="100" value="100"' in progress.content


def test_a_file_that_cannot_be_read_fails_the_job_with_the_reason(admin_client, shop, on_commit):
    upload(on_commit, admin_client, "picture.png")
    job = ImportJob.objects.get()
    assert job.status == "failed" and "PNG image" in job.message
    status = admin_client.get(reverse("admin:catalog_importjob_status", args=[job.pk])).json()
    assert status["done"] and status["next"] == reverse(
        "admin:catalog_importjob_change", args=[job.pk]
    )


def test_a_clean_file_imports_with_no_bad_lines(admin_client, shop, on_commit):
    upload(on_commit, admin_client, "orders_gbk.csv")
    job = ImportJob.objects.get()
    assert job.preview["errors_total"] == 0 and job.preview["encoding"] == "gb18030"
    on_commit(admin_client, reverse("admin:catalog_importjob_preview", args=[job.pk]), {})
    job.refresh_from_db()
    assert (job.status, Order.objects.count()) == ("done", 2)


def test_uploading_needs_the_permission_of_the_kind(client, db):
    client.force_login(f.UserFactory(username="viewer", is_staff=True))
    assert client.get(reverse("admin:catalog_importjob_upload")).status_code == 403


def test_the_jobs_changelist_links_the_upload_and_the_add_page_is_closed(admin_client):
    page = admin_client.get(reverse("admin:catalog_importjob_changelist"))
    assert (
        page.status_code == 200
        and reverse("admin:catalog_importjob_upload").encode() in page.content
    )
    assert admin_client.get(reverse("admin:catalog_importjob_add")).status_code == 403


def test_the_job_pages_load_in_a_bounded_number_of_queries(
    admin_client, django_assert_max_num_queries
):
    for n in range(3):
        job = ImportJob.objects.create(
            kind="orders", file=f"imports/o{n}.csv", original_name=f"o{n}.csv"
        )
    with django_assert_max_num_queries(20):
        assert admin_client.get(reverse("admin:catalog_importjob_changelist")).status_code == 200
    with django_assert_max_num_queries(30):
        assert (
            admin_client.get(reverse("admin:catalog_importjob_change", args=[job.pk])).status_code
            == 200
        )
