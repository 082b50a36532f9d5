"""The segments pages: the builder (fields from the rule language, live preview with
errors naming the field, save as dynamic or static), the list, a segment's members with
PII masked, their CSV, and who may do what."""

import json
from decimal import Decimal

import pytest

from analytics.models import Segment, SegmentMember
from analytics.segment_rules import FIELDS
from analytics.views import segments as segment_views
from tests import factories as f

pytestmark = pytest.mark.django_db
HIGH_R = {"all": [{"field": "r_score", "op": ">=", "value": 4}]}


@pytest.fixture
def scored():
    """r scores 5, 4, 4, 2 with monetary 100, 300, 200, 900: r ≥ 4 selects a, b, c."""
    rows = [("a", 5, "100"), ("b", 4, "300"), ("c", 4, "200"), ("d", 2, "900")]
    return {
        name: f.CustomerScoreFactory(
            customer=f.CustomerFactory(
                name=name, external_id=name.upper(), email=f"{name}.long@example.com",
                phone="13812345678",
            ),
            r_score=r,
            monetary=Decimal(m),
        ).customer
        for name, r, m in rows
    }  # fmt: skip


def _preview(client, rule):
    return client.post(
        "/segments/preview/", json.dumps({"rule": rule}), content_type="application/json"
    )


def _csv(response) -> list[str]:
    return b"".join(response.streaming_content).decode("utf-8-sig").splitlines()


class TestTheBuilder:
    def test_the_page_serves_the_rule_languages_fields(self, login_as):
        page = login_as("analyst").get("/segments/")
        assert page.status_code == 200
        language = page.context["language"]
        assert [f["name"] for f in language["fields"]] == list(FIELDS)
        r_score = next(f for f in language["fields"] if f["name"] == "r_score")
        assert (r_score["label"], r_score["ops"]) == ("R score", list(FIELDS["r_score"].ops))
        choices = {f["name"]: dict(f["choices"]) for f in language["fields"]}
        assert choices["lifecycle_stage"]["new"] == "new"  # each field its own labels
        assert choices["rfm_segment"]["new"] == "new customers"
        assert choices["lifecycle_stage"]["churn_warning"] == "churn warning"
        spent = next(f for f in language["fields"] if f["name"] == "spent")
        assert spent["days"] == "required"
        html = page.content.decode()
        assert 'id="segment-language"' in html and "segment_builder.js" in html
        assert 'name="rule"' in html  # the raw JSON editor, also the form's field

    def test_the_preview_counts_and_samples_the_matching_customers(self, scored, login_as):
        answer = _preview(login_as("manager"), HIGH_R)
        assert answer.status_code == 200
        body = answer.json()
        assert body["count"] == 3
        assert [c["name"] for c in body["sample"]] == ["b", "c", "a"]  # highest spend first
        assert body["sample"][0]["monetary"] == 300.0
        assert "email" not in body["sample"][0]

    def test_the_preview_runs_two_queries_over_customers(
        self, scored, login_as, django_assert_max_num_queries
    ):
        client = login_as("analyst")
        # session, user, user and group permissions, then the preview: count and sample
        with django_assert_max_num_queries(6) as queries:
            _preview(client, HIGH_R)
        assert sum("customers_customer" in q["sql"] for q in queries.captured_queries) == 2

    def test_a_bad_rule_is_answered_with_the_place_and_the_field(self, scored, login_as):
        client = login_as("analyst")
        answer = _preview(
            client, {"all": [HIGH_R["all"][0], {"field": "tier", "op": "in", "value": "Gold"}]}
        )
        assert answer.status_code == 400
        error = answer.json()["error"]
        assert error["path"] == "all[1].value"
        assert error["message"] == "all[1].value (tier): in takes a non-empty list"
        unknown = _preview(client, {"all": [{"field": "shoe_size", "op": "=", "value": 4}]})
        assert "unknown field 'shoe_size'" in unknown.json()["error"]["message"]
        garbage = client.post("/segments/preview/", "{not json", content_type="application/json")
        assert garbage.status_code == 400 and "Not valid JSON" in garbage.json()["error"]["message"]

    def test_an_anonymous_preview_is_refused(self, client):
        assert _preview(client, HIGH_R).status_code == 403


class TestSaving:
    def test_a_dynamic_segment_is_saved_and_follows_the_rule(self, scored, login_as):
        client = login_as("analyst")
        response = client.post(
            "/segments/",
            {"name": "Recent", "kind": "dynamic", "rule": json.dumps(HIGH_R), "description": ""},
        )
        segment = Segment.objects.get(name="Recent")
        assert response.status_code == 302
        assert response["Location"] == f"/segments/{segment.pk}/"
        assert (segment.kind, segment.member_count, segment.rule) == ("dynamic", 3, HIGH_R)
        assert segment.created_by.username == "analyst"

    def test_a_static_segment_freezes_todays_customers(self, scored, login_as):
        login_as("ops").post(
            "/segments/", {"name": "Frozen", "kind": "static", "rule": json.dumps(HIGH_R)}
        )
        segment = Segment.objects.get(name="Frozen")
        members = set(
            SegmentMember.objects.filter(segment=segment).values_list("customer__name", flat=True)
        )
        assert members == {"a", "b", "c"}
        scored["d"].score.r_score = 5
        scored["d"].score.save()
        page = login_as("ops").get(f"/segments/{segment.pk}/")
        assert page.context["page"].paginator.count == 3  # still the snapshot

    def test_a_bad_rule_is_not_saved_and_the_form_names_the_field(self, scored, login_as):
        rule = {"all": [{"field": "lifecycle_stage", "op": "=", "value": "sleepy"}]}
        page = login_as("analyst").post(
            "/segments/", {"name": "Bad", "kind": "dynamic", "rule": json.dumps(rule)}
        )
        assert page.status_code == 400
        assert "all[0].value" in page.content.decode() and "sleepy" in page.content.decode()
        assert not Segment.objects.filter(name="Bad").exists()
        broken = login_as("analyst").post(
            "/segments/", {"name": "X", "kind": "dynamic", "rule": "{"}
        )
        assert broken.status_code == 400 and "Not valid JSON" in broken.content.decode()

    def test_a_taken_name_is_named(self, scored, login_as):
        f.SegmentFactory(name="Taken")
        page = login_as("analyst").post(
            "/segments/", {"name": "Taken", "kind": "dynamic", "rule": "{}"}
        )
        assert page.status_code == 400
        assert "already exists" in page.content.decode()

    def test_store_managers_may_preview_but_not_save(self, scored, login_as):
        client = login_as("manager")
        page = client.get("/segments/").content.decode()
        assert "Save segment" not in page
        assert "saving them is for ops staff and analysts" in page
        response = client.post("/segments/", {"name": "M", "kind": "dynamic", "rule": "{}"})
        assert response.status_code == 403
        assert "Save segment" in login_as("analyst").get("/segments/").content.decode()

    def test_editing_a_segment_updates_its_rule_and_count(self, scored, login_as):
        segment = f.SegmentFactory(name="Edit me", rule={})
        client = login_as("ops")
        rule = {"any": [{"field": "r_score", "op": "=", "value": 2}]}
        response = client.post(
            f"/segments/{segment.pk}/",
            {"name": "Edited", "kind": "dynamic", "rule": json.dumps(rule), "description": "d"},
        )
        assert response.status_code == 302
        segment.refresh_from_db()
        assert (segment.name, segment.rule, segment.member_count) == ("Edited", rule, 1)
        assert (
            login_as("manager").post(f"/segments/{segment.pk}/", {"name": "x"}).status_code == 403
        )

    def test_a_static_segment_takes_a_new_snapshot_on_request(self, scored, login_as):
        client = login_as("ops")
        client.post("/segments/", {"name": "Snap", "kind": "static", "rule": json.dumps(HIGH_R)})
        segment = Segment.objects.get(name="Snap")
        scored["d"].score.r_score = 5
        scored["d"].score.save()
        assert "Take a new snapshot" in client.get(f"/segments/{segment.pk}/").content.decode()
        client.post(f"/segments/{segment.pk}/", {"action": "snapshot"})
        assert SegmentMember.objects.filter(segment=segment).count() == 4


class TestListAndDetail:
    def test_the_list_shows_counts_and_marks_built_ins(self, scored, login_as):
        f.SegmentFactory(name="Mine", member_count=3)
        f.SegmentFactory(name="RFM: champions", is_builtin=True, member_count=12)
        page = login_as("manager").get("/segments/")
        names = [s.name for s in page.context["segments"]]
        assert names == ["Mine", "RFM: champions"]  # the team's own first
        html = page.content.decode()
        assert html.count(">built-in</span>") == 1
        assert '<td class="int">12</td>' in html

    def test_built_in_segments_cannot_be_changed(self, scored, login_as):
        builtin = f.SegmentFactory(name="RFM: champions", is_builtin=True, rule=HIGH_R)
        client = login_as("ops")
        html = client.get(f"/segments/{builtin.pk}/").content.decode()
        assert "Edit this segment" not in html and "cannot change" in html
        response = client.post(
            f"/segments/{builtin.pk}/", {"name": "x", "kind": "static", "rule": "{}"}
        )
        assert response.status_code == 403
        builtin.refresh_from_db()
        assert (builtin.name, builtin.rule) == ("RFM: champions", HIGH_R)

    def test_members_are_listed_with_pii_masked_without_the_permission(self, scored, login_as):
        segment = f.SegmentFactory(rule=HIGH_R)
        analyst = login_as("analyst").get(f"/segments/{segment.pk}/").content.decode()
        assert "a.long@example.com" not in analyst and "a***@example.com" in analyst
        assert "138****5678" in analyst
        ops = login_as("ops").get(f"/segments/{segment.pk}/").content.decode()
        assert "a.long@example.com" in ops and "13812345678" in ops
        assert "Edit this segment" in ops

    def test_members_page_through(self, scored, login_as, monkeypatch):
        monkeypatch.setattr(segment_views, "MEMBERS_PER_PAGE", 2)
        segment = f.SegmentFactory(rule=HIGH_R)
        client = login_as("manager")
        first = client.get(f"/segments/{segment.pk}/")
        assert [r["external_id"] for r in first.context["table"].rows] == ["A", "B"]
        assert "Page 1 of 2" in first.content.decode()
        second = client.get(f"/segments/{segment.pk}/", {"page": 2})
        assert [r["external_id"] for r in second.context["table"].rows] == ["C"]

    def test_members_export_as_csv_masked_for_those_without_pii(self, scored, login_as):
        segment = f.SegmentFactory(rule=HIGH_R)
        lines = _csv(login_as("analyst").get(f"/segments/{segment.pk}/", {"export": "members"}))
        assert lines[0] == (
            "Customer,Name,E-mail,Phone,City,Tier,RFM segment,Lifecycle stage,"
            "Spend in the RFM window,Days since last order"
        )
        assert len(lines) == 4
        assert lines[1].startswith("A,a,a***@example.com,138****5678,")
        clear = _csv(login_as("ops").get(f"/segments/{segment.pk}/", {"export": "members"}))
        assert clear[1].startswith("A,a,a.long@example.com,13812345678,")

    def test_viewing_needs_the_segment_permission(self, scored, client):
        segment = f.SegmentFactory()
        client.force_login(f.UserFactory())
        assert client.get("/segments/").status_code == 403
        assert client.get(f"/segments/{segment.pk}/").status_code == 403
        assert _preview(client, {}).status_code == 403

    def test_pages_take_a_bounded_number_of_queries(
        self, scored, login_as, django_assert_max_num_queries
    ):
        for i in range(15):
            f.SegmentFactory(name=f"S{i}")
        segment = f.SegmentFactory(rule={})
        client = login_as("analyst")
        with django_assert_max_num_queries(8):
            assert client.get("/segments/").status_code == 200
        with django_assert_max_num_queries(10):
            assert client.get(f"/segments/{segment.pk}/").status_code == 200
