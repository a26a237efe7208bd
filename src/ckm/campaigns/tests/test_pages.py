"""Campaign pages and API: permissions, the builder's live NPV, the gate, one-click outcomes,
results, export, responses upload, the loop page; and the demo seed."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import F
from django.test import Client
from django.utils import timezone

from ckm.analytics.models import ModelVersion
from ckm.campaigns import services
from ckm.campaigns.models import Campaign, CampaignMember, UpliftModel
from ckm.campaigns.tests.test_services import make_campaign
from ckm.customers.models import ContactPoint, CustomerEvent

pytestmark = pytest.mark.django_db


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def builder_data(bank: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    data = {
        "name": "Fund for savers",
        "objective": "cross_sell",
        "description": "",
        "product": bank["fund"],
        "channel": "rm_call",
        "starts_on": "2026-11-01",
        "ends_on": (timezone.localdate() + dt.timedelta(days=45)).isoformat(),
        "audience": "segment",
        "segment": bank["segment"],
        "rule": "",
        "selection": "top_pct",
        "selection_value": "50",
        "score_source": "propensity",
        "control_share": "0.2",
        "stratify": "on",
        "consent_purpose": "marketing",
        "check_consent": "on",
        "frequency_cap": "2",
        "frequency_days": "30",
        "pool": "",
        "cost_per_contact": "2",
        "fixed_costs": "100",
        "margin_per_month": "15",
        "margin_months": "24",
        "discount_rate": "0.08",
    }
    data.update(overrides)
    return data


def test_pages_need_the_campaign_permissions(bank, users) -> None:
    from ckm.core.models import Role
    from ckm.core.tests.factories import UserFactory

    editor = UserFactory(role=Role.KNOWLEDGE_EDITOR, username="editor_x")
    assert client_for(editor).get("/campaigns/").status_code == 403
    assert client_for(users["rm"]).get("/campaigns/new/").status_code == 403
    # agents call the lists of customers without a relationship manager (a campaign's pool)
    agent = UserFactory(role=Role.AGENT, username="agent_x")
    assert client_for(agent).get("/campaigns/my-lists/").status_code == 200
    assert client_for(agent).get("/campaigns/new/").status_code == 403
    assert client_for(users["rm"]).get("/campaigns/my-lists/").status_code == 200
    assert Client().get("/campaigns/").status_code == 302
    assert Client().get("/api/campaigns").status_code == 401


def test_the_builder_shows_the_live_npv_and_saves_a_planned_campaign(bank, users) -> None:
    client = client_for(users["marketer"])
    builder = client.get("/campaigns/new/")
    assert builder.status_code == 200
    # conditions are built as a segment; the JSON rule waits behind "Advanced"
    assert "/analytics/segments/new/" in builder.content.decode()
    assert "<details" in builder.content.decode()
    preview = client.post("/campaigns/preview/", builder_data(bank))
    assert "Expected NPV" in preview.content.decode() and "to contact" in preview.content.decode()
    bad = client.post("/campaigns/preview/", builder_data(bank, control_share="0.9"))
    assert "message-error" in bad.content.decode()
    # errors name the field as the form does, never a code name or "None"
    bad = client.post("/campaigns/preview/", builder_data(bank, rule="{match: all"))
    text = bad.content.decode()
    assert "Audience rule: Not valid JSON" in text and "None:" not in text
    bad = client.post("/campaigns/preview/", builder_data(bank, control_share="0.9"))
    assert "control_share" not in bad.content.decode()
    response = client.post("/campaigns/new/", builder_data(bank))
    campaign = Campaign.objects.get(name="Fund for savers")
    assert response.status_code == 302 and response.url == f"/campaigns/{campaign.pk}/"
    assert campaign.planned_at is not None and campaign.members.exists()
    page = client.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert "Expected NPV" in page and str(campaign.model_version) in page


def test_launching_a_negative_campaign_is_refused_on_the_page(bank, users) -> None:
    campaign = make_campaign(bank, users["marketer"], cost_per_contact=400.0)
    client = client_for(users["marketer"])
    page = client.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert "launches only with a manager" in page
    assert 'data-testid="ask-override"' in page and "Launch</button>" not in page
    manager_page = client_for(users["manager"]).get(f"/campaigns/{campaign.pk}/").content.decode()
    assert "Launch with my override</button>" in manager_page and "override_reason" in manager_page
    # a forged post is still refused by the service
    response = client.post(f"/campaigns/{campaign.pk}/launch/", {}, follow=True)
    assert "cannot launch without" in response.content.decode()
    campaign.refresh_from_db()
    assert campaign.status == "draft"


def test_one_click_outcome_on_my_list_and_results_on_the_detail_page(bank, users) -> None:
    campaign = make_campaign(bank, users["marketer"])
    services.campaign_launch(actor=users["marketer"], campaign_id=campaign.pk)
    rm = client_for(users["rm"])
    page = rm.get("/campaigns/my-lists/").content.decode()
    member = CampaignMember.objects.filter(campaign=campaign, assigned_to=users["rm"]).first()
    assert f"member-{member.pk}" in page and campaign.name in page
    response = rm.post(
        f"/campaigns/members/{member.pk}/outcome/",
        {"outcome": "interested"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200 and "Interested" in response.content.decode()
    member.refresh_from_db()
    assert member.outcome == "interested" and member.outcome_by == users["rm"]
    detail = client_for(users["marketer"]).get(f"/campaigns/{campaign.pk}/").content.decode()
    assert "Results: target vs control" in detail and "<svg" in detail
    # rates as percentages and the lift in points, as on the start page
    assert " %</td>" in detail and "Incremental lift in conversion: <strong>" in detail
    assert " pts</strong>" in detail
    # planned and realised NPV count different things: the page says how
    assert 'data-testid="npv-explained"' in detail and "above the control group" in detail


def test_export_and_responses_upload(bank, users) -> None:
    campaign = make_campaign(bank, users["marketer"], channel=Campaign.Channel.EMAIL)
    services.campaign_launch(actor=users["marketer"], campaign_id=campaign.pk)
    client = client_for(users["marketer"])
    response = client.get(f"/campaigns/{campaign.pk}/export/")
    rows = b"".join(response.streaming_content).decode().splitlines()
    targets = CampaignMember.objects.filter(campaign=campaign, group="target")
    assert rows[0].startswith("customer_id,name,email") and len(rows) == targets.count() + 1
    from ckm.core.models import AuditEntry

    exported = AuditEntry.objects.get(action="export", object_id=str(campaign.pk))
    assert exported.actor == users["marketer"] and "target list" in exported.summary
    first, second = list(targets.select_related("customer")[:2])
    a, b = first.customer.external_id, second.customer.external_id
    control = CampaignMember.objects.filter(campaign=campaign, group="control")
    held_back = control.select_related("customer").first().customer.external_id

    def upload(text: str, encoding: str = "utf-8") -> str:
        file = SimpleUploadedFile("responses.csv", text.encode(encoding))
        url = f"/campaigns/{campaign.pk}/responses/"
        return client.post(url, {"file": file}, follow=True).content.decode()

    # every bad row is reported, and nothing of the file is recorded
    page = upload(
        "customer_id,outcome,occurred_at\n"
        f"{a},converted,2026-11-02\n"
        "NOPE,declined,\n"
        ",declined,\n"
        f"{b},maybe,not-a-date\n"
        f"{a},declined,\n"
        f"{b},declined,2026-10-01\n"
        f"{held_back},declined,\n"
    )
    for problem in (
        "line 3, customer_id: no such customer",
        "line 4, customer_id: required value is missing",
        "line 5, outcome: must be one of: reached, not_reached",
        "line 5, occurred_at: not a date-time",
        "line 6, customer_id: the same member is already on line 2",
        "line 7, occurred_at: before the campaign started (2026-11-01)",
        "line 8, outcome: the control group is not contacted",
    ):
        assert problem in page, problem
    first.refresh_from_db()
    assert not first.converted and first.outcome == ""
    assert "Nothing recorded" in upload("customer_id,outcome\nMÜLLER,converted\n", "latin-1")
    # a good file: every row, with its moment
    page = upload(f"customer_id,outcome,occurred_at\n{a},converted,2026-11-02\n{b},declined,\n")
    assert "2 outcomes recorded" in page
    first.refresh_from_db()
    assert first.converted and first.source == "import"
    assert timezone.localtime(first.outcome_at).date() == dt.date(2026, 11, 2)


def test_api_creates_launches_through_the_gate_and_records_outcomes(bank, users) -> None:
    client = client_for(users["marketer"])
    payload = {
        "name": "API campaign",
        "product_id": bank["fund"],
        "starts_on": "2026-11-01",
        "ends_on": (timezone.localdate() + dt.timedelta(days=45)).isoformat(),
        "segment_id": bank["segment"],
        "cost_per_contact": 900,
    }
    created = client.post("/api/campaigns", payload, content_type="application/json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["expected_npv"] < 0 and body["plan"]["n_target"] > 0
    refused = client.post(
        f"/api/campaigns/{body['id']}/launch", {}, content_type="application/json"
    )
    assert refused.status_code == 409
    bad = client.post(
        "/api/campaigns", {**payload, "control_share": 2}, content_type="application/json"
    )
    assert bad.status_code == 422
    cheap = client.post(
        "/api/campaigns", {**payload, "cost_per_contact": 0.5}, content_type="application/json"
    ).json()
    launched = client.post(
        f"/api/campaigns/{cheap['id']}/launch", {}, content_type="application/json"
    )
    assert launched.status_code == 200 and launched.json()["status"] == "launched"
    member = (
        CampaignMember.objects.filter(campaign_id=cheap["id"], group="target")
        .select_related("customer")
        .first()
    )
    answer = client.post(
        f"/api/campaigns/{cheap['id']}/outcomes",
        {"customer_id": member.customer.external_id, "outcome": "declined"},
        content_type="application/json",
    )
    assert answer.status_code == 200 and answer.json()["outcome"] == "declined"
    assert answer.json()["source"] == "api"
    results = client.get(f"/api/campaigns/{cheap['id']}/results").json()
    assert results["target"]["n"] > 0 and "lift" in results
    members = client.get(f"/api/campaigns/{cheap['id']}/members?group=control").json()
    assert (
        members["count"]
        == CampaignMember.objects.filter(campaign_id=cheap["id"], group="control").count()
    )
    assert client.get("/api/campaigns/99999").status_code == 404


def test_demo_seed_runs_the_loop_on_a_bank(bank, users) -> None:
    from ckm.campaigns.services.demo import campaigns_seed_demo
    from ckm.core.models import Role
    from ckm.core.tests.factories import UserFactory

    admin = UserFactory(role=Role.ADMIN, username="admin_x", is_superuser=True)
    report = campaigns_seed_demo(actor=admin)
    assert report["campaigns"] == 2
    past, planned = Campaign.objects.order_by("id")
    assert past.status == "closed" and planned.status == "draft"
    assert past.ends_on < timezone.localdate()  # launched, then given the dates it ran
    launch_days = CustomerEvent.objects.filter(
        kind="campaign_assigned", payload__campaign=past.pk
    ).values_list("occurred_at", flat=True)
    assert launch_days and set(launch_days) == {past.launched_at}  # on the timeline then, too
    assert past.members.filter(group="control").exists()
    assert past.members.filter(converted=True).exists()
    # outcomes the detection found are dated when the product was opened, not the seeding day
    assert past.members.filter(source="detected", outcome_at__isnull=False).exists()
    late = CampaignMember.objects.filter(
        campaign__closed_at__isnull=False, outcome_at__gt=F("campaign__closed_at")
    )
    assert not late.exists()
    # recorded in working hours, as calls are, not at midnight
    hours = {
        timezone.localtime(at).hour
        for at in past.members.filter(outcome_at__isnull=False).values_list("outcome_at", flat=True)
    }
    assert hours and min(hours) >= 9 and max(hours) <= 17
    latest = ModelVersion.objects.filter(slot="propensity:INV", status="active").get()
    assert latest.version == 2 and planned.model_version == latest
    assert UpliftModel.objects.filter(status="active").exists()
    loop = client_for(users["marketer"]).get(f"/campaigns/loop/?product={bank['fund']}")
    assert loop.status_code == 200 and "v2" in loop.content.decode()
    page = loop.content.decode()
    # in words: what the retrained generation learned, lifts in points, no "(s)"
    assert "campaign outcomes: took a" in page and "label &#x27;took_" not in page
    assert " pts (" in page and "outcome(s)" not in page


def test_a_closed_campaigns_list_stays_under_done_ones_too(bank, users) -> None:
    campaign = make_campaign(bank, users["marketer"])
    services.campaign_launch(actor=users["marketer"], campaign_id=campaign.pk)
    member = CampaignMember.objects.filter(campaign=campaign, assigned_to=users["rm"]).first()
    services.campaign_close(actor=users["marketer"], campaign_id=campaign.pk)
    rm = client_for(users["rm"])
    assert f'id="member-{member.pk}"' not in rm.get("/campaigns/my-lists/").content.decode()
    done = rm.get("/campaigns/my-lists/?all=1").content.decode()
    assert f'id="member-{member.pk}"' in done and "closed, ran until" in done
    # a late outcome is still recorded
    response = rm.post(
        f"/campaigns/members/{member.pk}/outcome/", {"outcome": "reached"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    member.refresh_from_db()
    assert member.outcome == "reached"


def test_my_list_shows_the_numbers_to_call_also_after_an_outcome(bank, users) -> None:
    campaign = make_campaign(bank, users["marketer"])
    services.campaign_launch(actor=users["marketer"], campaign_id=campaign.pk)
    member = CampaignMember.objects.filter(campaign=campaign, assigned_to=users["rm"]).first()
    ContactPoint.objects.create(
        customer_id=member.customer_id,
        kind="mobile",
        value="0171 5550123",
        value_key="01715550123",
        is_primary=True,
    )
    ContactPoint.objects.create(
        customer_id=member.customer_id,
        kind="email",
        value="a@example.org",
        value_key="a@example.org",
    )
    rm = client_for(users["rm"])
    page = rm.get("/campaigns/my-lists/").content.decode()
    row = page.split(f'id="member-{member.pk}"')[1].split("</tr>")[0]
    assert 'href="tel:0171 5550123"' in row and "a@example.org" not in row
    assert "No phone number" in page  # the other members have none
    response = rm.post(
        f"/campaigns/members/{member.pk}/outcome/", {"outcome": "reached"}, HTTP_HX_REQUEST="true"
    )
    assert 'href="tel:0171 5550123"' in response.content.decode()


def test_list_pages_keep_their_query_count_flat(bank, users, django_assert_max_num_queries) -> None:
    for n in range(3):
        campaign = make_campaign(bank, users["marketer"], name=f"C{n}", control_share=0.1)
        services.campaign_launch(actor=users["marketer"], campaign_id=campaign.pk)
    marketer, rm = client_for(users["marketer"]), client_for(users["rm"])
    with django_assert_max_num_queries(20):
        assert marketer.get("/campaigns/").status_code == 200
    with django_assert_max_num_queries(30):
        page = rm.get("/campaigns/my-lists/")
    assert page.status_code == 200 and page.content.decode().count('data-testid="member-row"') > 3


def test_the_profile_shows_the_customers_campaigns(bank, users) -> None:
    campaign = make_campaign(bank, users["marketer"], name="Profile campaign")
    services.campaign_launch(actor=users["marketer"], campaign_id=campaign.pk)
    member = CampaignMember.objects.filter(campaign=campaign, assigned_to=users["rm"]).first()
    page = client_for(users["rm"]).get(f"/customers/{member.customer_id}/").content.decode()
    assert "Profile campaign" in page and "Record the outcome on your target list" in page


def test_api_answers_bad_input_with_4xx(bank, users) -> None:
    rm, marketer = client_for(users["rm"]), client_for(users["marketer"])
    payload = {
        "name": "X",
        "product_id": bank["fund"],
        "starts_on": "2026-11-01",
        "ends_on": "2026-10-01",
        "segment_id": bank["segment"],
    }
    assert rm.post("/api/campaigns", payload, content_type="application/json").status_code == 403
    ended = marketer.post("/api/campaigns", payload, content_type="application/json")
    assert ended.status_code == 400 and "ends_on" in ended.content.decode()
    unknown = marketer.post(
        "/api/campaigns",
        {**payload, "ends_on": "2026-12-01", "product_id": 999999},
        content_type="application/json",
    )
    assert unknown.status_code == 404
    rule = marketer.post(
        "/api/campaigns",
        {
            **payload,
            "ends_on": "2026-12-01",
            "audience": "rule",
            "rule": {"conditions": [{"field": "nope"}]},
        },
        content_type="application/json",
    )
    assert rule.status_code == 400 and "rule" in rule.content.decode()
    assert (
        marketer.post(
            "/api/campaign-members/999999/outcome",
            {"outcome": "reached"},
            content_type="application/json",
        ).status_code
        == 404
    )


def test_api_refuses_a_pool_or_consent_purpose_that_does_not_exist_naming_the_field(
    bank, users
) -> None:
    marketer = client_for(users["marketer"])
    payload = {
        "name": "X",
        "product_id": bank["fund"],
        "starts_on": "2026-11-01",
        "ends_on": "2026-12-01",
        "segment_id": bank["segment"],
    }
    for wrong, field in (
        ({"pool_id": 999999}, "pool_id"),
        ({"consent_purpose": "x"}, "consent_purpose"),
    ):
        answer = marketer.post(
            "/api/campaigns", {**payload, **wrong}, content_type="application/json"
        )
        assert answer.status_code == 400, answer.content
        assert field in answer.json()["errors"]
    assert not Campaign.objects.filter(name="X").exists()
    # a role without the right learns that first, not whether the product exists
    missing = {**payload, "product_id": 999999}
    rm = client_for(users["rm"])
    assert rm.post("/api/campaigns", missing, content_type="application/json").status_code == 403


def test_the_start_page_shows_running_campaigns_and_the_gate_to_managers(bank, users) -> None:
    from ckm.campaigns.selectors import campaigns_home

    running = make_campaign(bank, users["marketer"])
    services.campaign_launch(actor=users["marketer"], campaign_id=running.pk)
    target = CampaignMember.objects.filter(campaign=running, group="target").first()
    control = CampaignMember.objects.filter(campaign=running, group="control").first()
    for member in (target, control):
        services.member_outcome_record(
            actor=users["marketer"], member_id=member.pk, outcome="converted"
        )
    stopped = make_campaign(bank, users["marketer"], name="Too dear", cost_per_contact=400.0)
    assert stopped.expected_npv < 0

    home = campaigns_home(user=users["manager"])
    (campaign, lift), *_ = home.running
    assert campaign == running and (campaign.ct, campaign.cc) == (1, 1)
    n_target = CampaignMember.objects.filter(campaign=running, group="target").count()
    assert campaign.nt == n_target and lift.rate_target == 1 / n_target
    assert [c.pk for c in home.needs_override] == [stopped.pk]
    assert home.drafts == 1

    manager_page = client_for(users["manager"]).get("/").content.decode()
    assert 'data-testid="campaigns-home"' in manager_page
    assert 'data-testid="needs-override"' in manager_page and "Too dear" in manager_page
    marketer_page = client_for(users["marketer"]).get("/").content.decode()
    assert running.name in marketer_page and f"1 of {n_target}" in marketer_page
    assert 'data-testid="needs-override"' not in marketer_page  # not theirs to decide
    assert campaigns_home(user=users["marketer"]).needs_override == []
    rm_page = client_for(users["rm"]).get("/").content.decode()
    assert 'data-testid="campaigns-home"' not in rm_page


def test_the_performance_loops_show_each_campaign_under_its_models_product(bank, users) -> None:
    from ckm.performance.selectors import knowledge_loops

    campaign = make_campaign(bank, users["marketer"])
    services.campaign_launch(actor=users["marketer"], campaign_id=campaign.pk)
    campaign.refresh_from_db()
    assert campaign.model_version is not None
    [loop] = knowledge_loops(user=users["manager"]).responses
    assert loop.product == campaign.product
    assert loop.version.slot == f"propensity:{campaign.product.external_id}"
    assert [c.pk for c, _ in loop.campaigns] == [campaign.pk]
    page = client_for(users["manager"]).get("/performance/loops/").content.decode()
    assert campaign.name in page and f"model v{loop.version.version}" in page


def test_the_start_page_writes_a_stopped_campaigns_npv_with_thousands_separators(
    bank, users
) -> None:
    stopped = make_campaign(bank, users["marketer"], name="Far too dear", cost_per_contact=4000.0)
    assert stopped.expected_npv < -1000
    page = client_for(users["manager"]).get("/").content.decode()
    # as on the campaign pages: -32,417, not -32417
    assert f"expected NPV {stopped.expected_npv:,.0f}" in page


def test_a_score_threshold_outside_the_scores_range_is_refused_with_the_range(bank, users) -> None:
    """Scores run from 0 to 1: a threshold of 7 (meant as 7 %, or a decile) selected nobody
    and built an empty target list without a word."""
    client = client_for(users["marketer"])
    for value in ("7", "-0.2"):
        data = builder_data(bank, selection="threshold", selection_value=value)
        text = client.post("/campaigns/preview/", data).content.decode()
        assert "message-error" in text and "between 0 and 1" in text
        response = client.post("/campaigns/new/", data)
        assert response.status_code in (200, 422) and "between 0 and 1" in response.content.decode()
    assert not Campaign.objects.exists()
    fine = builder_data(bank, selection="threshold", selection_value="0.05", name="Threshold")
    assert client.post("/campaigns/new/", fine).status_code == 302


def test_api_and_builder_refuse_a_business_case_beyond_any_real_campaign(bank, users) -> None:
    marketer = client_for(users["marketer"])
    payload = {
        "name": "X",
        "product_id": bank["fund"],
        "starts_on": "2026-11-01",
        "ends_on": (timezone.localdate() + dt.timedelta(days=45)).isoformat(),
        "segment_id": bank["segment"],
        "margin_per_month": 1e12,
        "margin_months": 100_000,
    }
    refused = marketer.post("/api/campaigns", payload, content_type="application/json")
    assert refused.status_code == 422  # the schema states the bounds, so it refuses them
    assert set(refused.json()["errors"]) == {"margin_per_month", "margin_months"}
    page = marketer.post(
        "/campaigns/new/", builder_data(bank, margin_per_month="1000000000000")
    ).content.decode()
    assert "At most 10,000,000 margin a month" in page
    assert not Campaign.objects.filter(name="X").exists()


def test_the_member_table_sorts_in_the_database_and_keeps_the_order_across_pages(
    bank, users
) -> None:
    import re

    campaign = make_campaign(bank, users["marketer"])
    services.campaign_launch(actor=users["marketer"], campaign_id=campaign.pk)
    targets = CampaignMember.objects.filter(campaign=campaign, group="target")
    declined = targets.order_by("score")[0]
    services.member_outcome_record(
        actor=users["marketer"], member_id=declined.pk, outcome="declined"
    )
    client = client_for(users["marketer"])
    url = f"/campaigns/{campaign.pk}/"

    def shown(query: str) -> list[int]:
        response = client.get(url + query)
        assert response.status_code == 200
        members = response.content.decode().split('id="members-h"')[1]
        return [int(i) for i in re.findall(r'href="/customers/(\d+)/"', members)]

    members = CampaignMember.objects.filter(campaign=campaign).select_related("customer")
    by_score = sorted(members, key=lambda m: (m.score is None, m.score, m.pk))
    assert shown("?sort=score") == [m.customer_id for m in by_score[:25]]
    assert shown("?sort=score&page=2") == [m.customer_id for m in by_score[25:50]]
    by_name = sorted(members, key=lambda m: (m.customer.sort_key, m.pk))
    assert shown("?sort=name") == [m.customer_id for m in by_name[:25]]
    assert shown("?sort=-outcome")[0] == declined.customer_id
    # the list's own order by default (target first, best score first), and for anything else
    default = shown("")
    best = targets.order_by("-score", "pk").first()
    assert default[0] == best.customer_id
    for bogus in ("?sort=customer__email", "?sort=-", "?sort=score;drop", "?sort=%FF"):
        assert shown(bogus) == default
    page = client.get(url + "?sort=score&page=2").content.decode()
    assert 'aria-sort="ascending"><a class="sort-link" href="?sort=-score">Score' in page
    assert page.count("aria-sort=") == 1
    assert 'href="?sort=score&amp;page=3"' in page  # the pages keep the order


def test_the_api_schema_states_the_business_case_bounds_the_service_holds(bank, users) -> None:
    from ckm.campaigns.services.planning import BUSINESS_CASE_LIMITS

    marketer = client_for(users["marketer"])
    schema = marketer.get("/api/openapi.json").json()
    fields = schema["components"]["schemas"]["CampaignIn"]["properties"]
    payload = {
        "name": "X",
        "product_id": bank["fund"],
        "starts_on": "2026-11-01",
        "ends_on": (timezone.localdate() + dt.timedelta(days=45)).isoformat(),
        "segment_id": bank["segment"],
    }
    for name, (most, _) in BUSINESS_CASE_LIMITS.items():
        assert fields[name]["maximum"] == most and fields[name]["minimum"] == 0, name
        for wrong in (most * 1.5 + 1, -1, 10**15):
            answer = marketer.post(
                "/api/campaigns", {**payload, name: wrong}, content_type="application/json"
            )
            assert answer.status_code == 422, (name, wrong, answer.content)
            assert list(answer.json()["errors"]) == [name], (name, wrong)
    assert not Campaign.objects.filter(name="X").exists()
    # the bound itself is a value the service takes
    for name, (most, _) in BUSINESS_CASE_LIMITS.items():
        draft = Campaign(**{**builder_fields(bank), name: most})
        services.planning.campaign_validate(draft)


def builder_fields(bank: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": "X",
        "product_id": bank["fund"],
        "starts_on": dt.date(2026, 11, 1),
        "ends_on": dt.date(2026, 12, 1),
        "segment_id": bank["segment"],
    }
