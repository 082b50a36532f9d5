"""The frame every page shares: sign-in, navigation by role, language switch, filters
kept in the URL, CSV exports with escaping and masking."""

from datetime import date
from decimal import Decimal

import pytest
from django.test import RequestFactory
from django.urls import reverse

from analytics.pages import Column, ReportFilterForm, Table, csv_response
from analytics.templatetags.pages import cell, heat
from ecomops.context_processors import navigation
from tests.factories import CategoryFactory, ChannelFactory

pytestmark = pytest.mark.django_db


def test_an_anonymous_visitor_is_sent_to_the_login_page(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/"


def test_the_login_page_signs_a_demo_user_in(client, login_as):
    login_as("manager")  # creates the demo users
    client.logout()
    page = client.get("/accounts/login/")
    assert page.status_code == 200
    assert b'name="username"' in page.content
    response = client.post("/accounts/login/", {"username": "manager", "password": "demo"})
    assert response.status_code == 302
    assert response["Location"] == "/"
    wrong = client.post("/accounts/login/", {"username": "manager", "password": "nope"})
    assert b"Please try again" in wrong.content


def _nav_labels(user) -> set[str]:
    request = RequestFactory().get("/")
    request.user = user
    return {str(label) for _, links in navigation(request)["nav"] for label, _, _ in links}


def test_navigation_shows_each_role_the_pages_it_may_open(login_as):
    from campaigns.demo.users import ensure_demo_users
    from ecomops.context_processors import NAVIGATION

    users = ensure_demo_users()
    for name, user in users.items():
        shown = _nav_labels(user)
        for _, entries in NAVIGATION:
            for entry in entries:
                assert (str(entry.label) in shown) == user.has_perm(entry.permission), (name, entry)
    # Every role reads the reports; only some operate.
    assert _nav_labels(users["manager"]) >= {"Cockpit", "Products", "Campaigns"}
    assert "Segments" in _nav_labels(users["analyst"])


def test_every_page_of_the_navigation_answers_its_role(login_as):
    from ecomops.context_processors import NAVIGATION

    client = login_as("admin")
    for _, entries in NAVIGATION:
        for entry in entries:
            assert client.get(reverse(entry.url_name)).status_code == 200, entry.url_name


def test_the_language_switch_translates_the_frame(login_as):
    client = login_as("manager")
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    page = client.get("/")
    assert page.status_code == 200
    assert "退出".encode() in page.content  # "Log out"
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert b"Log out" in client.get("/").content


def test_the_admin_link_shows_for_staff_only(login_as):
    page = login_as("manager").get("/")
    assert b'href="/admin/"' in page.content


class TestReportFilterForm:
    def test_defaults_to_the_last_30_days(self):
        f = ReportFilterForm(None, today=date(2026, 11, 30)).report_filter()
        assert (f.start, f.end, f.channel, f.category) == (
            date(2026, 11, 1),
            date(2026, 11, 30),
            None,
            None,
        )

    def test_reads_dates_channel_and_category_from_the_url(self):
        channel, category = ChannelFactory(code="search"), CategoryFactory()
        form = ReportFilterForm(
            {
                "start": "2026-10-01",
                "end": "2026-10-07",
                "channel": "search",
                "category": str(category.pk),
            },
            fields=("channel", "category"),
        )
        f = form.report_filter()
        assert (f.start, f.end, f.channel, f.category) == (
            date(2026, 10, 1),
            date(2026, 10, 7),
            channel,
            category,
        )

    def test_a_bad_value_is_named_and_its_default_used(self):
        form = ReportFilterForm(
            {"start": "yesterday", "end": "2026-10-07"}, today=date(2026, 11, 30)
        )
        f = form.report_filter()
        assert "start" in form.errors
        assert (f.start, f.end) == (date(2026, 9, 8), date(2026, 10, 7))

    def test_start_after_end_is_refused_with_a_message(self):
        form = ReportFilterForm({"start": "2026-10-08", "end": "2026-10-07"})
        f = form.report_filter()
        assert "after" in form.errors["start"][0]
        assert f.start <= f.end

    def test_unasked_filters_are_not_offered(self):
        assert list(ReportFilterForm(None, fields=()).fields) == ["start", "end"]


def _csv(response) -> str:
    return b"".join(response.streaming_content).decode("utf-8-sig")


def test_a_table_exports_as_csv_with_formulas_escaped_and_pii_masked():
    table = Table(
        "people",
        "People",
        [
            Column("name", "Name"),
            Column("email", "E-mail", pii="email"),
            Column("spent", "Spent", "money"),
        ],
        [{"name": "=HYPERLINK(1)", "email": "zhang.wei@example.com", "spent": Decimal("-12.50")}],
    )
    masked = _csv(csv_response(table, filename="x.csv", mask=True))
    assert masked.splitlines() == ["Name,E-mail,Spent", "'=HYPERLINK(1),z***@example.com,-12.50"]
    clear = _csv(csv_response(table, filename="x.csv", mask=False))
    assert clear.splitlines()[1] == "'=HYPERLINK(1),zhang.wei@example.com,-12.50"


@pytest.mark.parametrize(
    ("value", "kind", "shown"),
    [
        (0.1234, "percent", "12.3%"),
        (float("nan"), "percent", "—"),
        (None, "money", "—"),
        (Decimal("1234567.5"), "money", "1,234,567.50"),
        (1234.4, "int", "1,234"),
        (3.14159, "number", "3.14"),
        (12345.6, "number", "12,346"),
    ],
)
def test_cells_are_formatted_by_kind(value, kind, shown):
    assert cell(value, kind) == shown


def test_heatmap_cells_shade_by_share_of_the_maximum():
    assert "0.88" in heat(10, 10) and "0.08" in heat(0, 10)
    assert heat(1, 0) == ""


def test_the_favicon_request_goes_to_the_static_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"].endswith("ecomops/favicon.svg")


def test_the_date_inputs_show_the_period_when_the_url_leaves_them_empty():
    form = ReportFilterForm(None, today=date(2026, 11, 30))
    form.report_filter()
    assert 'value="2026-11-01"' in str(form["start"]) and 'value="2026-11-30"' in str(form["end"])
    bound = ReportFilterForm({"end": "2026-10-31"}, today=date(2026, 11, 30))
    bound.report_filter()
    assert 'value="2026-10-02"' in str(bound["start"])


@pytest.mark.parametrize(
    "query",
    ["end=9999-12-31", "start=0001-01-01", "start=1999-12-31&end=2026-11-30", "start=x&end=y"],
)
def test_out_of_range_dates_are_named_and_the_page_still_answers(login_as, query):
    client = login_as("admin")
    for url in ("/", "/reports/channels/", "/reports/cohorts/", "/groups/"):
        response = client.get(f"{url}?{query}")
        assert response.status_code == 200, url
        assert response.context["form"].errors, url


def test_a_report_covers_at_most_three_years():
    form = ReportFilterForm({"start": "2020-01-01", "end": "2026-11-30"}, today=date(2026, 11, 30))
    f = form.report_filter()
    assert "at most" in form.errors["start"][0]
    assert (f.end - f.start).days + 1 == 3 * 366


def test_the_default_period_comes_from_the_page():
    form = ReportFilterForm(
        None, today=date(2026, 11, 30), default_start=lambda end: date(2026, 1, 1)
    )
    assert form.report_filter().start == date(2026, 1, 1)


def test_the_segment_preview_answers_post_only(login_as):
    assert login_as("analyst").get("/segments/preview/").status_code == 405


def test_table_cells_are_escaped_formatted_and_masked():
    from analytics.templatetags.pages import table_body

    table = Table(
        "t",
        "T",
        [
            Column("name", "Name", "link"),
            Column("email", "E-mail", pii="email"),
            Column("share", "Share", "percent"),
        ],
        [{"name": "<b>x</b>", "url": '/c/1/?a="b"', "email": "zhang@example.com", "share": 0.5}],
    )
    masked = table_body(table, False)
    assert masked == (
        '<tr><td><a href="/c/1/?a=&quot;b&quot;">&lt;b&gt;x&lt;/b&gt;</a></td>'
        '<td class="masked">z***@example.com</td><td class="percent">50.0%</td></tr>\n'
    )
    assert "zhang@example.com" in table_body(table, True)
