"""The two flows issue #8 names, end to end in a browser.

WAITING FOR THE PAGES: the segment builder (``analytics:segments``, ``/segments/``) and the
campaign pages (``campaigns:campaign-create``, ``/campaigns/new/?segment=<id>``;
``campaigns:campaign-detail``, ``/campaigns/<id>/``) are built on other branches. Until
they are merged each test here is skipped (``@waits_for``), naming the page it waits for;
after the merge it runs (``make test-browser``). They are written against PAGES_BRIEF.md's URLs and the
frame's conventions, by role, label and text, so expect to adjust a selector or two then:

- segment builder: a "New segment" link if the list does not hold the builder itself; a
  field labelled "Name"; the rule as a textarea labelled "Rule" (JSON) or as a condition
  row of selects labelled "Field" / "Operator" and a "Value" control (left at its default
  when neither is there); buttons "Preview" and "Save"; the preview's count in
  ``[data-preview-count]`` and its sample in ``[data-preview-sample]``; saving lands on
  ``/segments/<id>/`` with the name as a heading.
- campaign: the create form preselects the segment (a checked ``option``, radio or hidden
  input whose value is the segment id); fields "Name" and "Offer"/"Coupon"; a "Create" or
  "Save" button; on ``/campaigns/<id>/`` a "Launch" button (``form[data-confirm]``, the
  dialog is accepted); the ``[data-progress-url]`` box gets ``data-done`` (pages.js) and
  the report is a table naming the arms "Treatment" and "Holdout"/"Control".
"""

from __future__ import annotations

import re
import uuid

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.browser.conftest import waits_for

pytestmark = pytest.mark.browser

ANY = re.IGNORECASE


@waits_for("analytics:segments", "analytics:segment-detail")
def test_the_segment_builder_previews_and_saves(open_as, server):
    active = server.rows(
        "SELECT count(*) FROM analytics_customerscore WHERE lifecycle_stage = 'active'"
    )[0][0]
    page, _ = open_as("analyst")
    page.goto(reverse("analytics:segments"))
    builder = page.locator("form[data-segment-builder]")
    name = f"Browser test {uuid.uuid4().hex[:6]}"
    builder.get_by_label(re.compile(r"^name", ANY)).first.fill(name)
    # The form builder: one condition "lifecycle stage = active"; the preview follows it.
    builder.get_by_role("button", name=re.compile(r"condition", ANY)).first.click()
    builder.get_by_label("field", exact=True).first.select_option("lifecycle_stage")
    builder.get_by_label("operator", exact=True).first.select_option("=")
    builder.get_by_label("value", exact=True).first.select_option("active")
    count = page.locator("[data-preview-count]").first
    expect(count).to_have_text(f"{active:,}")
    expect(page.locator("[data-preview-sample]").first).to_be_visible()
    rule = builder.locator("textarea[name=rule]")
    assert '"lifecycle_stage"' in rule.input_value()  # the JSON editor follows the builder

    builder.get_by_role("button", name=re.compile(r"^save", ANY)).click()
    page.wait_for_url(re.compile(r"/segments/\d+/$"))
    expect(page.get_by_role("heading", name=name)).to_be_visible()
    expect(page.locator("[data-member-count]")).to_have_text(f"{active:,}")


@waits_for("campaigns:campaign-create", "campaigns:campaign-detail")
def test_a_campaign_from_a_segment_is_created_launched_and_reported(open_as, server):
    # The largest segment: few of its members are within the demo campaign's frequency cap.
    segment_id, segment_name = server.rows(
        "SELECT id, name FROM analytics_segment WHERE member_count > 0"
        " ORDER BY member_count DESC LIMIT 1"
    )[0]
    page, _ = open_as("ops")
    page.on("dialog", lambda dialog: dialog.accept())  # form[data-confirm]
    page.goto(f"{reverse('campaigns:campaign-create')}?segment={segment_id}")
    create = page.get_by_role("button", name=re.compile(r"create|save", ANY))
    form = page.locator("main form").filter(has=create).first
    chosen = form.locator(
        f'option[value="{segment_id}"]:checked, input[type=radio][value="{segment_id}"]:checked,'
        f' input[type=hidden][name*=segment][value="{segment_id}"]'
    )
    assert chosen.count() >= 1, f"segment {segment_name!r} is not preselected"

    name = f"Browser test {uuid.uuid4().hex[:6]}"
    form.get_by_label(re.compile(r"^name", ANY)).first.fill(name)
    offer = form.get_by_label(re.compile(r"offer|coupon", ANY))
    if offer.count() and offer.first.evaluate("e => e.tagName === 'SELECT' && !e.value"):
        offer.first.select_option(index=1)
    form.get_by_role("button", name=re.compile(r"create|save", ANY)).click()
    page.wait_for_url(re.compile(r"/campaigns/\d+/$"))
    expect(page.get_by_text(name).first).to_be_visible()

    page.get_by_role("button", name=re.compile(r"^launch", ANY)).click()
    # pages.js marks the box done (then reloads or goes to result_url); with eager Celery
    # the launch may already be finished when the page comes back.
    page.wait_for_function(
        "() => !document.querySelector('[data-progress-url]:not([data-done])')", timeout=60_000
    )
    page.wait_for_load_state("load")
    progress = page.locator("[data-progress-url] progress")
    if progress.count():
        expect(progress.first).to_have_attribute("value", "100")
    arms = (
        page.locator("table")
        .filter(has_text=re.compile(r"treatment", ANY))
        .filter(has_text=re.compile(r"holdout|control", ANY))
    )
    expect(arms.first).to_be_visible()
