"""The pages and the API where the knowledge reaches people: the profile panel, best prospects,
the retention list, segments, models; record access, permissions and query counts."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ckm.analytics.models import Alert, AlertRule, ModelVersion, Score, Segment
from ckm.analytics.services import alerts_evaluate, analytics_schedule_run, model_train
from ckm.analytics.tests.conftest import AS_OF
from ckm.core.models import Job
from ckm.core.services import api_token_create
from ckm.customers.models import Customer, Product
from ckm.customers.services import customer_merge

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def web_bank(bank: dict[str, Any], django_db_blocker: Any) -> dict[str, Any]:
    """The bank plus an investment-fund propensity model and today's alerts."""
    with django_db_blocker.unblock():
        fund = Product.objects.get(external_id="INV")
        version = model_train(
            actor=None, kind="propensity", product_id=fund.pk, as_of=AS_OF, folds=2, snapshots=2
        )
        alerts_evaluate(as_of=AS_OF)
    return {**bank, "propensity": version.pk, "fund": fund.pk}


def bearer(user) -> dict[str, str]:
    _, key = api_token_create(user=user, name="test")
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def drifting_customer_of(web_bank, username: str) -> Customer:
    return Customer.objects.filter(
        pk__in=web_bank["drifting"], owner__username=username, status="active"
    ).first()


# --- pages ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/analytics/segments/",
        "/analytics/models/",
        "/analytics/alerts/",
        "/analytics/prospects/",
        "/analytics/customers/",
        "/analytics/value/",
    ],
)
def test_every_page_needs_a_login(client, url) -> None:
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_roles_see_the_pages_of_their_work(login, web_bank, agent, editor, marketer) -> None:
    assert login(agent).get("/analytics/segments/").status_code == 403
    assert login(agent).get("/analytics/alerts/").status_code == 403
    assert login(editor).get("/analytics/prospects/").status_code == 403
    page = login(marketer).get("/").content.decode()
    assert 'href="/analytics/segments/"' in page and 'href="/analytics/models/"' in page
    # marketers read retention alerts since the campaigns roles; editors never do
    assert 'href="/analytics/alerts/"' not in login(editor).get("/").content.decode()
    assert login(marketer).post("/analytics/models/train/", {"kind": "churn"}).status_code == 403


def test_the_profile_shows_risk_value_propensities_and_why(login, web_bank, rm) -> None:
    customer = drifting_customer_of(web_bank, "rm")
    page = login(rm).get(f"/customers/{customer.pk}/").content.decode()
    assert 'id="knowledge-heading"' in page and "Churn risk" in page
    assert "raises the risk" in page
    assert "Lifetime value" in page and "Profit per year" in page
    score = Score.objects.get(
        run=ModelVersion.objects.get(pk=web_bank["churn"]).current_run, customer=customer
    )
    share = score.value * 100
    assert (f"{share:.0f} %" if share >= 10 else f"{share:.1f} %") in page


def test_the_profile_panel_costs_a_fixed_number_of_queries(
    login, web_bank, rm, django_assert_max_num_queries
) -> None:
    customer = drifting_customer_of(web_bank, "rm")
    client = login(rm)
    client.get(f"/customers/{customer.pk}/")
    with django_assert_max_num_queries(60):
        assert client.get(f"/customers/{customer.pk}/").status_code == 200


def test_best_prospects_are_the_rms_own_customers_with_reasons(
    login, web_bank, rm, django_assert_max_num_queries
) -> None:
    client = login(rm)
    with django_assert_max_num_queries(25):
        response = client.get("/analytics/prospects/", {"product": web_bank["fund"]})
    page = response.content.decode()
    assert "Best prospects for Investment fund" in page and "makes it more likely" in page
    shown = {
        int(part.split("/")[0])
        for part in page.split('href="/customers/')[1:]
        if part.split("/")[0].isdigit()
    }
    owners = set(Customer.objects.filter(pk__in=shown).values_list("owner__username", flat=True))
    assert shown and owners == {"rm"}
    holders = set(
        Customer.objects.filter(
            holdings__product_id=web_bank["fund"], holdings__status="active"
        ).values_list("pk", flat=True)
    )
    assert not shown & holders


def test_who_gave_the_product_up_lately_is_no_prospect_for_it(web_bank, rm) -> None:
    import datetime as dt

    from django.utils import timezone

    from ckm.analytics.selectors import prospects
    from ckm.customers.models import Holding

    _, before = prospects(user=rm, product_id=web_bank["fund"], mine=True)
    top = before[0].customer
    Holding.objects.create(
        customer=top,
        product_id=web_bank["fund"],
        opened=dt.date(2002, 5, 1),
        closed=timezone.localdate() - dt.timedelta(days=14),
        status=Holding.Status.CLOSED,
    )
    _, after = prospects(user=rm, product_id=web_bank["fund"], mine=True)
    assert top.pk not in {p.customer.pk for p in after}
    assert {p.customer.pk for p in after} >= {p.customer.pk for p in before[1:]}


def test_the_retention_list_and_the_start_page_tell_the_owner(
    login, web_bank, rm, rm_south, django_assert_max_num_queries
) -> None:
    mine = Alert.objects.filter(owner=rm).exclude(status="resolved").count()
    assert mine > 0
    client = login(rm)
    with django_assert_max_num_queries(20):
        page = client.get("/analytics/alerts/").content.decode()
    assert page.count('<tr id="alert-') == min(mine, 50)
    assert "rm_south" not in page
    home = client.get("/").content.decode()
    assert "Customers who may leave" in home and f"{mine} new" in home
    alert = Alert.objects.filter(owner=rm).first()
    response = client.post(
        f"/analytics/alerts/{alert.pk}/",
        {"status": "contacted", "note": "Called"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200 and "Contacted" in response.content.decode()
    other = Alert.objects.filter(owner=rm_south).first()
    client.post(f"/analytics/alerts/{other.pk}/", {"status": "resolved"})
    other.refresh_from_db()
    assert other.status == "new"


def test_segments_page_charts_value_and_risk_by_segment(
    login, web_bank, marketer, django_assert_max_num_queries
) -> None:
    client = login(marketer)
    client.post(
        "/analytics/segments/new/",
        {
            "name": "Savers",
            "match": "all",
            "field_0": "holds:family",
            "op_0": "has",
            "value_0": "savings",
        },
    )
    segment = Segment.objects.get(name="Savers")
    with django_assert_max_num_queries(20):
        page = client.get("/analytics/segments/").content.decode()
    assert (
        "Savers" in page
        and "<svg" in page
        and "Lifetime value by segment" in page
        and "Mean churn risk by segment" in page
    )
    detail = client.get(f"/analytics/segments/{segment.pk}/").content.decode()
    assert "a savings product is held" in detail and "Customers you can see" in detail


def test_the_builder_offers_fitting_operators_and_previews_the_count(
    login, web_bank, marketer
) -> None:
    client = login(marketer)
    row = client.get(
        "/analytics/segments/condition/", {"index": 3, "field_3": "holds:family"}
    ).content.decode()
    assert 'name="op_3"' in row and ">holds<" in row and 'value="savings"' in row
    preview = client.post(
        "/analytics/segments/preview/",
        {"match": "all", "field_0": "value:value_decile", "op_0": "gte", "value_0": "9"},
    ).content.decode()
    assert "customers match" in preview
    bad = client.post(
        "/analytics/segments/preview/",
        {"match": "all", "field_0": "value:clv", "op_0": "gte", "value_0": "lots"},
    ).content.decode()
    assert "not a number" in bad


def test_models_page_trains_with_progress_and_promotes(
    login, web_bank, manager, django_capture_on_commit_callbacks
) -> None:
    client = login(manager)
    page = client.get("/analytics/models/").content.decode()
    assert "Churn risk" in page and "Propensity: Investment fund" in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/analytics/models/train/", {"kind": "churn", "horizon_days": "0"})
    job = Job.objects.filter(kind="analytics.train").latest("created_at")
    assert job.status == "succeeded", job.message
    version = ModelVersion.objects.get(slot="churn", version=2)
    assert version.status == "candidate" and version.job == job
    detail = client.get(f"/analytics/models/{version.pk}/").content.decode()
    assert "Promote to active" in detail and "<svg" in detail and "ROC AUC" in detail
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/analytics/models/{version.pk}/promote/")
    version.refresh_from_db()
    assert version.status == "active" and version.current_run is not None


def test_the_customer_report_downloads_one_row_per_customer(login, web_bank, manager) -> None:
    client = login(manager)
    page = client.get("/analytics/customers/").content.decode()
    assert "Churn risk" in page and "Download CSV" in page
    response = client.get("/analytics/customers/", {"format": "csv"})
    rows = b"".join(response.streaming_content).decode().splitlines()
    visible = Customer.objects.filter(team__name="North").count()
    assert len(rows) == visible + 1
    # the models' columns are headed as the page heads them, in the same order, not by slot code
    assert (
        rows[0]
        == "customer_id,name,owner,profit,clv,p_alive,rfm,Churn risk,Propensity: Investment fund"
    )
    assert "propensity:" not in rows[0]
    from ckm.core.models import AuditEntry

    exported = AuditEntry.objects.get(action="export", actor=manager)
    assert "customer knowledge report" in exported.summary


def test_report_headers_name_products_and_tell_apart_two_of_the_same_name() -> None:
    from ckm.analytics.views.people import score_headers

    def propensity(code: str, name: str) -> ModelVersion:
        return ModelVersion(
            kind="propensity",
            slot=f"propensity:{code}",
            product=Product(name=name, external_id=code),
        )

    versions = [
        ModelVersion(kind="churn", slot="churn"),
        propensity("CARD-GOLD", "Gold card"),
        propensity("CARD-GOLD-2", "Gold card"),
        propensity("SAV", "Savings"),
    ]
    assert score_headers(versions) == [
        "Churn risk",
        "Propensity: Gold card (CARD-GOLD)",
        "Propensity: Gold card (CARD-GOLD-2)",
        "Propensity: Savings",
    ]


def test_value_settings_are_changed_by_managers(login, web_bank, manager, marketer) -> None:
    form = {
        "interaction_costs": '{"phone": 6}',
        "case_costs": '{"complaint": 50}',
        "transaction_rates": "{}",
        "purchase_kinds": "card",
        "clv_horizon_weeks": 52,
        "discount_rate": 0.1,
        "currency": "EUR",
    }
    assert login(marketer).post("/analytics/value/", form).status_code == 403
    response = login(manager).post("/analytics/value/", form)
    assert response.status_code == 302
    from ckm.analytics.services import value_settings_get

    assert value_settings_get().interaction_costs == {
        "phone": 6
    } and value_settings_get().purchase_kinds == ["card"]


# --- API --------------------------------------------------------------------------------------------


def test_api_customer_knowledge_respects_record_access(client, web_bank, rm) -> None:
    mine = drifting_customer_of(web_bank, "rm")
    theirs = drifting_customer_of(web_bank, "rm_south")
    body = client.get(f"/api/analytics/customers/{mine.pk}", **bearer(rm)).json()
    assert body["churn"]["slot"] == "churn" and body["churn"]["reasons"][0]["verb"] in (
        "raises the risk",
        "lowers the risk",
    )
    assert body["value"]["clv"] is not None
    assert client.get(f"/api/analytics/customers/{theirs.pk}", **bearer(rm)).status_code == 404


def test_api_registry_prospects_and_top_scores(client, web_bank, manager, agent) -> None:
    versions = client.get("/api/analytics/models", {"slot": "churn"}, **bearer(manager)).json()
    assert versions[0]["slot"] == "churn" and versions[0]["metrics"]["auc"] > 0.5
    assert client.get("/api/analytics/models", **bearer(agent)).status_code == 403
    prospects = client.get(
        "/api/analytics/prospects", {"product": "INV", "limit": 5}, **bearer(manager)
    ).json()
    assert len(prospects) == 5 and prospects[0]["score"]["value"] >= prospects[-1]["score"]["value"]
    top = client.get(
        "/api/analytics/scores/top", {"slot": "churn", "k": 3}, **bearer(manager)
    ).json()
    assert len(top) == 3 and top[0]["decile"] == 10
    bad = client.post(
        "/api/analytics/models/train",
        data=json.dumps({"kind": "propensity", "product": "NOPE"}),
        content_type="application/json",
        **bearer(manager),
    )
    assert bad.status_code == 400 and "product" in bad.json()["errors"]


def test_api_segments_and_alerts_answer_4xx_with_field_errors(
    client, web_bank, marketer, manager, rm
) -> None:
    def send(method, path, user, body):
        return getattr(client, method)(
            f"/api{path}", data=json.dumps(body), content_type="application/json", **bearer(user)
        )

    bad = send(
        "post",
        "/analytics/segments",
        marketer,
        {
            "name": "X",
            "definition": {"conditions": [{"field": "value:clv", "op": "gte", "value": "lots"}]},
        },
    )
    assert bad.status_code == 400 and "definition" in bad.json()["errors"]
    assert (
        send(
            "post", "/analytics/segments", marketer, {"name": "X", "definition": {"conditions": []}}
        ).status_code
        == 422
    )
    good = send(
        "post",
        "/analytics/segments",
        marketer,
        {
            "name": "Top",
            "definition": {
                "conditions": [{"field": "value:value_decile", "op": "gte", "value": 9}]
            },
        },
    )
    assert good.status_code == 201 and good.json()["size"] > 0
    members = client.get(
        f"/api/analytics/segments/{good.json()['id']}/customers", **bearer(marketer)
    ).json()
    assert members["count"] == good.json()["size"]
    preview = send(
        "post",
        "/analytics/segments/preview",
        marketer,
        {"conditions": [{"field": "holds:family", "op": "has", "value": "savings"}]},
    ).json()
    assert preview["size"] > 0
    rule = send(
        "post",
        "/analytics/alert-rules",
        manager,
        {"name": "Bad", "kind": "balance_drop", "params": {"drop_pct": 300}},
    )
    assert rule.status_code == 400
    alert = Alert.objects.filter(owner__username="rm").first()
    assert send("patch", f"/analytics/alerts/{alert.pk}", rm, {"status": "done"}).status_code == 422
    patched = send(
        "patch", f"/analytics/alerts/{alert.pk}", rm, {"status": "resolved", "note": "Stays"}
    )
    assert patched.status_code == 200 and patched.json()["status"] == "resolved"
    listed = client.get("/api/analytics/alerts", {"status": "all"}, **bearer(rm)).json()
    assert {a["owner"] for a in listed["items"]} <= {"rm", None}


def test_start_page_lists_the_rms_best_prospects_by_name(login, web_bank, rm) -> None:
    page = login(rm).get("/").content.decode()
    section = page.split('id="prospects-heading"')[1].split("</section>")[0]
    shown = {
        int(part.split("/")[0])
        for part in section.split('href="/customers/')[1:]
        if part.split("/")[0].isdigit()
    }
    assert shown, "the widget names customers, not only products"
    owners = set(Customer.objects.filter(pk__in=shown).values_list("owner__username", flat=True))
    assert owners == {"rm"} and "Investment fund" in section and " %" in section


def test_the_overview_counts_customers_on_the_retention_list_not_alerts(web_bank, rm) -> None:
    from django.utils import timezone

    from ckm.analytics.selectors import value_summary

    before = value_summary(user=rm)["open_alerts"]
    listed = Alert.objects.filter(owner=rm).exclude(status="resolved").first()
    assert before > 0 and listed is not None
    Alert.objects.create(
        customer=listed.customer, owner=rm, reason="A second reason", raised_at=timezone.now()
    )
    assert value_summary(user=rm)["open_alerts"] == before


def test_an_alert_is_worked_on_the_profile_where_the_call_is_made(login, web_bank, rm) -> None:
    alert = Alert.objects.filter(owner=rm, status="new").select_related("customer").first()
    assert alert is not None
    client = login(rm)
    profile = f"/customers/{alert.customer_id}/"
    page = client.get(profile).content.decode()
    assert 'data-testid="alert-work"' in page and f"/analytics/alerts/{alert.pk}/" in page
    response = client.post(
        f"/analytics/alerts/{alert.pk}/",
        {"status": "contacted", "note": "Called; wants an offer"},
        HTTP_REFERER=f"http://testserver{profile}",
    )
    assert response.status_code == 302 and response["Location"].endswith(profile)
    alert.refresh_from_db()
    assert (alert.status, alert.note) == ("contacted", "Called; wants an offer")
    page = client.get(profile).content.decode()
    assert 'value="contacted"' not in page and 'value="resolved"' in page


def test_a_merge_marks_the_figures_stale_until_the_schedule_refreshes(login, web_bank, rm) -> None:
    survivor, other = Customer.objects.filter(owner__username="rm", kind="person")[:2]
    customer_merge(actor=rm, customer_id=survivor.pk, other_id=other.pk)
    client = login(rm)
    note = f"({other.external_id}) was merged into this record"
    assert note in client.get(f"/customers/{survivor.pk}/").content.decode()
    done = analytics_schedule_run()
    assert any(line.startswith("refreshed") for line in done), done
    assert note not in client.get(f"/customers/{survivor.pk}/").content.decode()
    assert not any(line.startswith("refreshed") for line in analytics_schedule_run())


def test_the_lift_chart_keeps_the_deciles_in_their_order() -> None:
    """A model whose 9th decile lifts more than its 10th must not show the bars as 9, 10, 7, 8…:
    the chart reads as a ranking of deciles, so they stay 10 to 1."""
    import re
    from types import SimpleNamespace

    from ckm.analytics.views.models import _metrics_charts

    lifts = [2.1, 2.4, 1.3, 1.5, 0.8, 1.0, 0.6, 0.2, 0.0, 0.1]  # deciles 10 … 1
    charts = _metrics_charts(SimpleNamespace(metrics={"lift_by_decile": lifts}, features=[]))
    svg = str(charts["lift"])
    axis = svg[svg.index("role-axis-label") :]
    labels = re.findall(r">(\d+)</text>", axis)[:10]
    assert labels == [str(d) for d in range(10, 0, -1)]


def test_the_profile_words_the_churn_rank_and_the_learned_group_for_what_they_are(
    login, web_bank, rm
) -> None:
    from ckm.analytics.models import SegmentMember

    customer = drifting_customer_of(web_bank, "rm")
    group = Segment.objects.create(name="Holds loan, many products", kind="learned", cluster=0)
    SegmentMember.objects.create(segment=group, customer=customer)
    page = login(rm).get(f"/customers/{customer.pk}/").content.decode()
    score = Score.objects.get(
        run=ModelVersion.objects.get(pk=web_bank["churn"]).current_run, customer=customer
    )
    rank = (
        "among the lowest 10 % of customers"
        if score.decile == 1
        else f"higher than {(score.decile - 1) * 10} % of customers"
    )
    assert rank in page  # the badge says where the customer ranks, not "medium" of a 0.9 %
    assert not any(f">{w} · decile" in page for w in ("low", "medium", "high"))
    assert "Group: Holds loan, many products" in page  # the group's name, not a fact about them
    assert "describes the group as a whole" in page


def test_the_start_page_words_the_prospects_for_who_owns_customers(
    login, web_bank, rm, marketer
) -> None:
    assert "Your customers most likely" in login(rm).get("/").content.decode()
    page = login(marketer).get("/").content.decode()
    assert "Best prospects" in page and "Your customers" not in page
    assert "The customers you can see most likely" in page


def test_the_customer_list_counts_in_good_grammar(login, web_bank, rm) -> None:
    customer = drifting_customer_of(web_bank, "rm")
    one = login(rm).get("/customers/", {"q": customer.display_name}).content.decode()
    assert "1 customer you can see matches." in one
    assert "customers you can see match." in login(rm).get("/customers/").content.decode()


# --- score threshold rules: the model by its title -------------------------------------------------


def score_rule_form(slot: str) -> dict[str, Any]:
    return {
        "name": "Likely fund buyers",
        "kind": "score_threshold",
        "is_active": "on",
        "cooldown_days": 30,
        "slot": slot,
        "min_value": 0.6,
    }


def test_a_score_rule_offers_the_models_by_title_and_refuses_an_unknown_one(
    login, web_bank, manager
) -> None:
    client = login(manager)
    page = client.get("/analytics/alerts/rules/new/").content.decode()
    assert '<option value="churn">Churn risk</option>' in page
    assert '<option value="propensity:INV">Propensity: Investment fund</option>' in page
    assert "propensity:SAV" not in page
    ModelVersion.objects.get_or_create(slot="clv", version=1, defaults={"kind": "clv"})
    page = client.get("/analytics/alerts/rules/new/").content.decode()
    assert '<option value="clv"' not in page  # no score of 0-1 to watch

    refused = client.post("/analytics/alerts/rules/new/", score_rule_form("propensity:NOPE"))
    assert refused.status_code == 200
    assert "No such model" in refused.context["form"].errors["slot"][0]
    assert not AlertRule.objects.filter(name="Likely fund buyers").exists()

    saved = client.post("/analytics/alerts/rules/new/", score_rule_form("propensity:INV"))
    assert saved.status_code == 302
    rule = AlertRule.objects.get(name="Likely fund buyers")
    assert rule.params["slot"] == "propensity:INV"
    edit = client.get(f"/analytics/alerts/rules/{rule.pk}/").content.decode()
    assert '<option value="propensity:INV" selected>Propensity: Investment fund</option>' in edit
    listed = client.get("/analytics/alerts/rules/").content.decode()
    assert "Model: Propensity: Investment fund · Score at least (0-1): 0.6" in listed
    assert "slot=" not in listed and "propensity:INV" not in listed


def test_a_rule_saved_with_a_slot_no_model_has_still_shows_it_and_can_be_edited(
    login, web_bank, manager
) -> None:
    rule = AlertRule.objects.create(
        name="Old typo",
        kind="score_threshold",
        params={"slot": "propensity:sav", "min_value": 0.5, "min_decile": 0},
    )
    client = login(manager)
    edit = client.get(f"/analytics/alerts/rules/{rule.pk}/").content.decode()
    assert '<option value="propensity:sav" selected>propensity:sav (no such model)</option>' in edit
    form = {**score_rule_form("propensity:sav"), "name": "Old typo", "min_value": 0.7}
    assert client.post(f"/analytics/alerts/rules/{rule.pk}/", form).status_code == 302
    rule.refresh_from_db()
    assert rule.params["min_value"] == 0.7 and rule.params["slot"] == "propensity:sav"


def test_the_api_takes_slot_codes_and_refuses_an_unknown_slot(client, web_bank, manager) -> None:
    def create(slot: str) -> Any:
        body = {"name": "Fund", "kind": "score_threshold", "params": {"slot": slot}}
        return client.post(
            "/api/analytics/alert-rules",
            data=json.dumps(body),
            content_type="application/json",
            **bearer(manager),
        )

    refused = create("propensity:NOPE")
    assert refused.status_code == 400
    assert "slot" in " ".join(refused.json()["errors"]["params"])
    ModelVersion.objects.get_or_create(slot="clv", version=1, defaults={"kind": "clv"})
    assert create("clv").status_code == 400
    created = create("propensity:INV")
    assert created.status_code == 201 and created.json()["params"]["slot"] == "propensity:INV"
