"""Every page, as every role, in a real browser: no console error, no failed request,
every chart drawn from the project's own Chart.js; filters, the language switch and the
roles' limits work as a person would use them."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import resolve, reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from tests.browser.conftest import (
    ROLES,
    chart_problems,
    log_in,
    new_context,
    screenshot,
    url_exists,
    waits_for,
)

pytestmark = pytest.mark.browser

# The pages issue #8 names (PAGES_BRIEF.md): (URL name, query for the id of a detail page).
# Each runs once its page is on the branch; until then it is skipped, naming the page.
BRIEF_PAGES: list[tuple[str, str | None]] = [
    ("campaigns:cockpit", None),
    ("analytics:customers", None),
    ("analytics:cohorts", None),
    ("analytics:products", None),
    ("analytics:bundles", None),
    ("analytics:inventory", None),
    ("analytics:traffic", None),
    ("analytics:channels", None),
    ("analytics:segments", None),
    ("campaigns:campaign-list", None),
    ("campaigns:experiment-list", None),
    ("campaigns:group-list", None),
    ("campaigns:customer-list", None),
    ("campaigns:campaign-create", None),
    ("campaigns:campaign-detail", "SELECT id FROM campaigns_campaign ORDER BY id"),
    ("campaigns:experiment-detail", "SELECT id FROM campaigns_experiment ORDER BY id"),
    ("campaigns:group-detail", "SELECT id FROM customers_communitygroup ORDER BY id"),
    ("campaigns:customer-detail", "SELECT id FROM customers_customer ORDER BY id"),
    ("analytics:segment-detail", "SELECT id FROM analytics_segment ORDER BY member_count DESC"),
    ("analytics:run-progress", "SELECT id FROM analytics_analyticsrun ORDER BY id"),
    ("analytics:runs", None),
    ("admin:catalog_importjob_changelist", None),
]


def page_name(path: str) -> str:
    """The screenshot's name: the page's URL name (``cockpit``, ``campaign-detail``)."""
    return resolve(path.split("?")[0]).url_name or "page"


def check_page(page: Page, watch, path: str) -> list[str]:
    """Open ``path`` and list what is wrong with it."""
    response = page.goto(path)
    problems = []
    if response is None or response.status != 200:
        problems.append(f"{path}: answered {response and response.status}")
    if not page.url.endswith(path):
        problems.append(f"{path}: ended on {page.url}")
    page.wait_for_load_state("load")
    if not page.locator("main h1").first.is_visible():
        problems.append(f"{path}: no heading")
    problems += chart_problems(page)
    problems += [f"{path}: {problem}" for problem in watch.take()]
    return problems


def nav_links(page: Page) -> list[str]:
    nav = page.get_by_role("navigation", name="Main")
    return [link.get_attribute("href") for link in nav.get_by_role("link").all()]


@pytest.mark.parametrize("role", ROLES)
def test_every_page_of_the_navigation_renders_for(role, open_as):
    page, watch = open_as(role)
    page.goto("/")
    links = nav_links(page)
    assert "/" in links, f"{role} does not see the cockpit in the navigation: {links}"
    problems = []
    for path in links:
        problems += check_page(page, watch, path)
        if role == "admin":
            screenshot(page, page_name(path))
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    "name,id_query",
    [pytest.param(name, query, id=name, marks=waits_for(name)) for name, query in BRIEF_PAGES],
)
def test_page_of_the_brief_renders(name, id_query, open_as, server):
    if id_query:
        ids = server.ids(id_query)
        if not ids:
            pytest.skip(f"the demo data has no row for {name}")
        path = reverse(name, args=[ids[0]])
    else:
        path = reverse(name)
    page, watch = open_as("admin")
    problems = check_page(page, watch, path)
    screenshot(page, page_name(path))
    assert not problems, "\n".join(problems)


def test_static_files_including_chartjs_come_from_the_project(open_as, server):
    page, _ = open_as("admin")
    scripts = {}
    page.on("response", lambda r: scripts.setdefault(r.url, r) if r.url.endswith(".js") else 0)
    page.goto("/")
    page.wait_for_function("() => window.ecomopsCharts && window.ecomopsCharts.length > 0")
    chartjs = [r for url, r in scripts.items() if "/chart.umd" in url]
    assert len(chartjs) == 1, list(scripts)
    # collectstatic's manifest name (content hash), served by whitenoise from STATIC_ROOT
    assert re.fullmatch(
        re.escape(server.url) + r"/static/vendor/chartjs/chart\.umd\.min\.[0-9a-f]{12}\.js",
        chartjs[0].url,
    ), chartjs[0].url
    assert chartjs[0].status == 200
    assert "max-age" in chartjs[0].headers.get("cache-control", "")
    assert page.evaluate("() => typeof window.Chart") == "function"
    assert page.evaluate("() => window.Chart.version").startswith("4.")


def card_value(page: Page, metric: str) -> str:
    return page.locator(f'[data-metric="{metric}"] .value').inner_text().strip()


def test_a_different_date_range_changes_the_cockpit_cards(open_as):
    page, _ = open_as("manager")
    page.goto("/")
    thirty_days = {m: card_value(page, m) for m in ("gmv", "orders")}
    today = timezone.localdate()
    start = today - timedelta(days=6)
    filters = page.get_by_role("form", name="Report filters")
    filters.get_by_label("From").fill(start.isoformat())
    filters.get_by_label("To").fill(today.isoformat())
    filters.get_by_role("button", name="Apply").click()
    page.wait_for_url(re.compile(rf"start={start.isoformat()}.*end={today.isoformat()}"))
    expect(
        filters.get_by_text(f"Showing {start.isoformat()} to {today.isoformat()}")
    ).to_be_visible()
    seven_days = {m: card_value(page, m) for m in ("gmv", "orders")}
    assert seven_days["gmv"] != thirty_days["gmv"], (thirty_days, seven_days)
    assert seven_days["orders"] != thirty_days["orders"], (thirty_days, seven_days)
    assert chart_problems(page) == []


def test_the_language_switch_translates_the_navigation_and_back(browser, server):
    context = new_context(browser, server)
    try:
        log_in(context, server, "analyst")
        page = context.new_page()
        page.goto("/")
        nav = page.get_by_role("navigation")
        expect(nav.get_by_role("link", name="Cockpit", exact=True)).to_be_visible()
        page.locator("select#language").select_option("zh-hans")
        expect(nav.get_by_role("link", name="驾驶舱", exact=True)).to_be_visible()
        expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
        page.locator("select#language").select_option("en")
        expect(nav.get_by_role("link", name="Cockpit", exact=True)).to_be_visible()
        expect(page.locator("html")).to_have_attribute("lang", "en")
    finally:
        context.close()


RECOMPUTE = "/admin/analytics/analyticsrun/recompute/"
RUNS = "/admin/analytics/analyticsrun/"


def test_store_manager_gets_403_on_recompute_and_sees_no_button(open_as):
    """ "Recompute now" is for ops staff and analysts (``analytics.run_analytics``)."""
    page, watch = open_as("manager")
    watch.expect.add((403, RECOMPUTE))
    page.goto(RUNS)
    expect(page.get_by_role("link", name="Recompute now")).to_have_count(0)
    assert page.goto(RECOMPUTE).status == 403
    # Chromium reports the refused document on the console too; that one is expected.
    assert all("403" in p for p in watch.take())

    page, _ = open_as("ops")
    page.goto(RUNS)
    expect(page.get_by_role("link", name="Recompute now")).to_have_count(1)


@waits_for("campaigns:campaign-list", "campaigns:campaign-create")
def test_store_manager_gets_403_on_new_campaign_and_sees_no_button(open_as):
    """Store managers read campaigns but cannot create or launch one."""
    create = reverse("campaigns:campaign-create")
    page, watch = open_as("manager")
    watch.expect.add((403, create))
    page.goto(reverse("campaigns:campaign-list"))
    assert page.locator(f'a[href^="{create}"], form[action^="{create}"]').count() == 0
    expect(page.get_by_role("link", name=re.compile("new campaign", re.I))).to_have_count(0)
    assert page.goto(create).status == 403
    assert all("403" in p for p in watch.take())

    page, _ = open_as("ops")
    page.goto(reverse("campaigns:campaign-list"))
    assert page.locator(f'a[href^="{create}"]').count() >= 1


def test_the_brief_pages_are_all_checked():
    """A page named by the brief but missing from this list would go untested."""
    names = {name for name, _ in BRIEF_PAGES}
    from ecomops.context_processors import NAVIGATION

    assert {entry.url_name for _, entries in NAVIGATION for entry in entries} <= names
    assert url_exists("campaigns:cockpit")
