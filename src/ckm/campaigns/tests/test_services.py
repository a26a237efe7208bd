"""Campaign services on a small synthetic bank: plan, contact rules, the NPV gate, launch,
outcomes, conversion detection, results, the retraining loop and uplift."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from ckm.analytics.models import ModelVersion
from ckm.campaigns import selectors, services
from ckm.campaigns.models import Campaign, CampaignMember
from ckm.campaigns.services.demo import simulate_responses
from ckm.core.errors import ConflictError, DomainError, NotFound
from ckm.core.models import AuditEntry
from ckm.customers.models import Consent, CustomerEvent, Holding, Label, Transaction

pytestmark = pytest.mark.django_db


def make_campaign(bank: dict[str, Any], actor: Any, **overrides: Any) -> Campaign:
    from ckm.analytics.models import Segment
    from ckm.customers.models import Product

    fields: dict[str, Any] = {
        "name": "Fund calls",
        "product": Product.objects.get(pk=bank["fund"]),
        "channel": Campaign.Channel.RM_CALL,
        "starts_on": dt.date(2026, 11, 1),
        "ends_on": timezone.localdate() + dt.timedelta(days=45),  # not ended: it may launch
        "audience": Campaign.Audience.SEGMENT,
        "segment": Segment.objects.get(pk=bank["segment"]),
        "selection": Campaign.Selection.ALL,
        "score_source": Campaign.ScoreSource.PROPENSITY,
        "control_share": 0.3,
        "cost_per_contact": 1.0,
        "margin_per_month": 20.0,
        "margin_months": 24,
    }
    fields.update(overrides)
    campaign = services.campaign_save(actor=actor, **fields)
    return services.campaign_plan(actor=actor, campaign_id=campaign.pk)


def test_plan_checks_consent_keeps_a_stratified_control_group_and_prices_the_list(
    bank, users
) -> None:
    campaign = make_campaign(bank, users["marketer"])
    plan = campaign.plan
    members = CampaignMember.objects.filter(campaign=campaign)
    assert plan["funnel"]["with_consent"] < plan["funnel"]["audience"]
    refused = Consent.objects.filter(purpose="marketing", channel="phone", granted=False)
    assert not members.filter(customer_id__in=refused.values("customer_id")).exists()
    holders = Holding.objects.filter(product_id=bank["fund"]).exclude(status="closed")
    assert not members.filter(customer_id__in=holders.values("customer_id")).exists()
    funnel = campaign.plan["funnel"]  # the holders left out are a step of the funnel
    assert funnel["audience"] > funnel["without_the_product"] >= funnel["with_consent"]
    n_control = members.filter(group="control").count()
    assert abs(n_control / members.count() - 0.3) < 0.05
    for stratum in (1, 10):  # drawn within each decile, not from the bottom or top alone
        in_stratum = members.filter(stratum=stratum)
        assert 0.1 < in_stratum.filter(group="control").count() / in_stratum.count() < 0.5
    targets = list(members.filter(group="target").values_list("score", flat=True))
    assert campaign.expected_conversions == pytest.approx(sum(targets), rel=1e-6)
    assert campaign.npv_low < campaign.expected_npv < campaign.npv_high
    assert campaign.model_version_id == bank["version"]
    assert members.filter(group="target").exclude(score_factors=[]).exists()


def test_a_call_list_says_how_many_have_no_number_to_call(bank, users) -> None:
    from ckm.customers.models import ContactPoint

    campaign = make_campaign(bank, users["marketer"])
    callable_ = ContactPoint.objects.filter(kind__in=["phone", "mobile"]).values("customer_id")
    members = CampaignMember.objects.filter(campaign=campaign)
    # they stay on the list (marked there), and the plan says how many
    assert members.exclude(customer_id__in=callable_).exists()
    with_consent = campaign.plan["funnel"]["with_consent"]
    note = next(n for n in campaign.plan["notes"] if "have no phone number on record" in n)
    assert note.split(" of the ")[1].startswith(f"{with_consent} customers with consent")
    assert 0 < int(note.split(" of the ")[0]) < with_consent


def test_an_audience_without_consent_says_why_the_list_is_empty(bank, users) -> None:
    campaign = make_campaign(bank, users["marketer"], consent_purpose="research")
    assert campaign.plan["funnel"]["audience"] > 0
    assert campaign.plan["funnel"]["with_consent"] == 0
    assert any(
        note.startswith("Nobody in the audience has consented to research by phone")
        for note in campaign.plan["notes"]
    )


def test_selecting_by_score_needs_a_model(bank, users) -> None:
    from ckm.customers.models import Product

    other = Product.objects.exclude(pk=bank["fund"]).order_by("pk").first()
    with pytest.raises(DomainError) as refused:
        make_campaign(
            bank,
            users["marketer"],
            product=other,
            selection=Campaign.Selection.TOP_PCT,
            selection_value=20,
        )
    assert "no propensity model yet" in refused.value.message
    everyone = make_campaign(bank, users["marketer"], product=other, name="Everyone")
    assert any("no active propensity model" in note for note in everyone.plan["notes"])


def test_top_k_selects_the_highest_scores(bank, users) -> None:
    campaign = make_campaign(
        bank,
        users["marketer"],
        selection=Campaign.Selection.TOP_K,
        selection_value=40,
        control_share=0.0,
    )
    members = CampaignMember.objects.filter(campaign=campaign)
    assert members.count() == 40
    everyone = make_campaign(bank, users["marketer"], control_share=0.0, name="All")
    scores = sorted(
        CampaignMember.objects.filter(campaign=everyone).values_list("score", flat=True),
        reverse=True,
    )
    assert min(members.values_list("score", flat=True)) == pytest.approx(scores[39])


def test_frequency_cap_leaves_out_customers_contacted_by_other_campaigns(bank, users) -> None:
    first = make_campaign(bank, users["marketer"], channel=Campaign.Channel.EMAIL)
    services.campaign_launch(actor=users["marketer"], campaign_id=first.pk)
    second = make_campaign(
        bank, users["marketer"], channel=Campaign.Channel.EMAIL, frequency_cap=1, name="Again"
    )
    contacted = CampaignMember.objects.filter(campaign=first, group="target")
    again = CampaignMember.objects.filter(campaign=second)
    assert second.plan["funnel"]["under_frequency_cap"] < second.plan["funnel"]["with_consent"]
    assert not again.filter(customer_id__in=contacted.values("customer_id")).exists()
    calls = make_campaign(bank, users["marketer"], name="Calls")
    services.campaign_launch(actor=users["marketer"], campaign_id=calls.pk)
    assigned = CampaignMember.objects.filter(campaign=calls, group="target")
    assert not assigned.exclude(contacted_at=None).exists()  # assigned, not called yet
    later = make_campaign(bank, users["marketer"], frequency_cap=1, name="Later")
    later_ids = CampaignMember.objects.filter(campaign=later).values("customer_id")
    assert not assigned.filter(customer_id__in=later_ids).exists()


def test_the_gate_stops_a_negative_npv_unless_a_manager_records_a_reason(bank, users) -> None:
    campaign = make_campaign(bank, users["marketer"], cost_per_contact=500.0)
    assert campaign.expected_npv < 0
    with pytest.raises(services.GateError):
        services.campaign_launch(actor=users["marketer"], campaign_id=campaign.pk)
    with pytest.raises(PermissionDenied):
        services.campaign_launch(
            actor=users["marketer"], campaign_id=campaign.pk, override_reason="I want it"
        )
    campaign.refresh_from_db()
    assert campaign.status == "draft"
    with pytest.raises(ValidationError, match="why the campaign should run"):
        # the manager may override: asked for the reason, not told a manager must decide
        services.campaign_launch(actor=users["manager"], campaign_id=campaign.pk)
    with pytest.raises(ValidationError):  # "x" is no reason
        services.campaign_launch(
            actor=users["manager"], campaign_id=campaign.pk, override_reason="x"
        )
    reason = "Brand campaign for the spring fair"
    services.campaign_launch(
        actor=users["manager"], campaign_id=campaign.pk, override_reason=reason
    )
    campaign.refresh_from_db()
    assert campaign.status == "launched"
    assert campaign.override_by == users["manager"] and campaign.override_reason == reason


def test_launch_assigns_members_to_their_relationship_manager_and_writes_the_timeline(
    bank, users
) -> None:
    campaign = make_campaign(bank, users["marketer"])
    services.campaign_launch(actor=users["marketer"], campaign_id=campaign.pk)
    targets = CampaignMember.objects.filter(campaign=campaign, group="target").select_related(
        "customer"
    )
    assert all(m.assigned_to_id == m.customer.owner_id for m in targets)
    assert not CampaignMember.objects.filter(
        campaign=campaign, group="control", assigned_to__isnull=False
    ).exists()
    events = CustomerEvent.objects.filter(source="campaigns", kind="campaign_assigned")
    assert events.count() == targets.count()
    mine = selectors.my_members(user=users["rm"])
    assert mine.count() == targets.filter(assigned_to=users["rm"]).count() > 0


def test_a_call_list_with_customers_nobody_would_call_needs_a_pool(bank, users) -> None:
    from ckm.core.models import Team
    from ckm.customers.models import Customer

    campaign = make_campaign(bank, users["marketer"])
    target_ids = list(
        CampaignMember.objects.filter(campaign=campaign, group="target").values_list(
            "customer_id", flat=True
        )
    )
    Customer.objects.filter(pk__in=target_ids[:3]).update(owner=None)
    campaign = services.campaign_plan(actor=users["marketer"], campaign_id=campaign.pk)
    unowned = CampaignMember.objects.filter(
        campaign=campaign, group="target", customer__owner__isnull=True
    ).count()
    assert unowned > 0
    warning = f"{unowned} of the {campaign.plan['n_target']} customers to call"
    assert any(note.startswith(warning) for note in campaign.plan["notes"])
    with pytest.raises(ValidationError) as refused:
        services.campaign_launch(actor=users["marketer"], campaign_id=campaign.pk)
    assert "choose a pool" in str(refused.value.message_dict["pool"])
    campaign.refresh_from_db()
    assert campaign.status == "draft"
    pool = Team.objects.get(pk=bank["north"])
    campaign = services.campaign_save(actor=users["marketer"], campaign_id=campaign.pk, pool=pool)
    campaign = services.campaign_plan(actor=users["marketer"], campaign_id=campaign.pk)
    assert not any("customers to call" in note for note in campaign.plan["notes"])
    services.campaign_launch(actor=users["marketer"], campaign_id=campaign.pk)
    worked = CampaignMember.objects.filter(
        campaign=campaign, group="target", customer__owner__isnull=True
    )
    assert worked.count() == unowned
    assert all(m.pool_id == pool.pk and m.assigned_to_id is None for m in worked)


def test_an_outcome_goes_to_the_member_the_timeline_and_the_training_labels(bank, users) -> None:
    campaign = make_campaign(bank, users["marketer"])
    services.campaign_launch(actor=users["marketer"], campaign_id=campaign.pk)
    member = selectors.my_members(user=users["rm"]).first()
    services.member_outcome_record(actor=users["rm"], member_id=member.pk, outcome="converted")
    member.refresh_from_db()
    assert member.converted and member.responded and member.contacted_at is not None
    label = Label.objects.get(external_id=f"campaign-{campaign.pk}-{member.customer_id}")
    assert label.name == "took_inv" and label.value_number == 1.0
    assert label.as_of.isoformat() == campaign.plan["as_of"]
    assert CustomerEvent.objects.filter(
        customer_id=member.customer_id, kind="campaign_outcome"
    ).exists()
    # a mistaken click is corrected, and the label with it
    services.member_outcome_record(actor=users["rm"], member_id=member.pk, outcome="declined")
    member.refresh_from_db()
    label.refresh_from_db()
    assert not member.converted and member.outcome == "declined" and label.value_number == 0.0
    # another team's relationship manager cannot touch it
    with pytest.raises(NotFound):
        services.member_outcome_record(
            actor=users["rm_south"], member_id=member.pk, outcome="declined"
        )
    control = CampaignMember.objects.filter(
        campaign=campaign, group="control", customer__owner=users["rm"]
    ).first()
    with pytest.raises(ConflictError):  # the control group is not contacted
        services.member_outcome_record(actor=users["rm"], member_id=control.pk, outcome="reached")


def test_an_outcome_in_the_future_or_before_the_campaign_is_refused_and_a_wrong_day_corrected(
    bank, users
) -> None:
    today = timezone.localdate()
    campaign = make_campaign(
        bank,
        users["marketer"],
        starts_on=today - dt.timedelta(days=40),
        ends_on=today + dt.timedelta(days=20),
    )
    services.campaign_launch(actor=users["marketer"], campaign_id=campaign.pk)
    member = selectors.my_members(user=users["rm"]).first()

    def record(at: dt.datetime) -> CampaignMember:
        return services.member_outcome_record(
            actor=users["rm"], member_id=member.pk, outcome="converted", occurred_at=at
        )

    def noon(day: dt.date) -> dt.datetime:
        return timezone.make_aware(dt.datetime.combine(day, dt.time(12)))

    for at, words in (
        (noon(dt.date(2099, 11, 1)), "cannot be in the future"),
        (noon(dt.date(1901, 1, 1)), "before the campaign started"),
        (noon(today - dt.timedelta(days=41)), "before the campaign started"),
    ):
        with pytest.raises(ValidationError) as refused:
            record(at)
        assert words in refused.value.message_dict["occurred_at"][0]
    member.refresh_from_db()
    assert member.outcome == "" and member.converted_at is None
    wrong, right = today - dt.timedelta(days=2), today - dt.timedelta(days=10)
    assert record(noon(wrong)).converted_at == wrong
    assert record(noon(right)).converted_at == right
    # a click without a day keeps the day recorded
    services.member_outcome_record(actor=users["rm"], member_id=member.pk, outcome="converted")
    member.refresh_from_db()
    assert member.converted_at == right
    entry = AuditEntry.objects.filter(
        object_type="campaigns.campaignmember", object_id=str(member.pk)
    ).order_by("pk")[1]
    assert entry.changes["converted_at"] == [wrong.isoformat(), right.isoformat()]


def test_an_outcome_between_launch_and_the_planned_start_is_kept(bank, users) -> None:
    today = timezone.localdate()
    campaign = make_campaign(
        bank,
        users["marketer"],
        starts_on=today + dt.timedelta(days=5),
        ends_on=today + dt.timedelta(days=30),
    )
    services.campaign_launch(actor=users["marketer"], campaign_id=campaign.pk)
    member = selectors.my_members(user=users["rm"]).first()
    at = timezone.now() - dt.timedelta(minutes=1)
    recorded = services.member_outcome_record(
        actor=users["rm"], member_id=member.pk, outcome="converted", occurred_at=at
    )
    assert recorded.converted_at == timezone.localdate(at)
    # a minute past local midnight is today, though still yesterday in UTC
    first_minute = timezone.make_aware(dt.datetime.combine(today, dt.time(0, 1)))
    other = selectors.my_members(user=users["rm"]).exclude(pk=member.pk).first()
    recorded = services.member_outcome_record(
        actor=users["rm"], member_id=other.pk, outcome="converted", occurred_at=first_minute
    )
    assert recorded.converted_at == today


def test_conversions_are_detected_from_new_holdings_in_both_groups(bank, users) -> None:
    campaign = make_campaign(bank, users["marketer"])
    services.campaign_launch(actor=users["marketer"], campaign_id=campaign.pk)
    control = CampaignMember.objects.filter(campaign=campaign, group="control").first()
    target = CampaignMember.objects.filter(campaign=campaign, group="target").first()
    for n, member in enumerate((control, target)):
        Holding.objects.create(
            external_id=f"new-{n}",
            customer_id=member.customer_id,
            product_id=bank["fund"],
            opened=dt.date(2026, 11, 20),
        )
    assert services.conversions_detect(campaign_id=campaign.pk) == 2
    entry = AuditEntry.objects.filter(
        object_type="campaigns.campaign", object_id=str(campaign.pk), summary__contains="detected"
    ).latest("at")
    assert sorted(entry.changes["after"]["converted_members"]) == sorted([target.pk, control.pk])
    target.refresh_from_db()
    control.refresh_from_db()
    assert control.converted and target.converted
    assert target.outcome == "converted" and target.source == "detected"
    assert control.outcome == ""
    assert services.conversions_detect(campaign_id=campaign.pk) == 0


def test_a_booking_just_after_local_midnight_converts_on_the_local_day(bank, users) -> None:
    campaign = make_campaign(bank, users["marketer"])
    services.campaign_launch(actor=users["marketer"], campaign_id=campaign.pk)
    member = CampaignMember.objects.filter(campaign=campaign, group="control").first()
    # 00:30 in Berlin on 20 November is 23:30 UTC on 19 November
    Transaction.objects.create(
        external_id="after-midnight",
        customer_id=member.customer_id,
        product_id=bank["fund"],
        booked_at=timezone.make_aware(dt.datetime(2026, 11, 20, 0, 30)),
        amount=100,
        kind="purchase",
    )
    assert services.conversions_detect(campaign_id=campaign.pk) == 1
    member.refresh_from_db()
    assert member.converted and member.converted_at == dt.date(2026, 11, 20)


def test_a_campaign_without_a_planned_day_is_dated_by_its_local_launch_day(bank, users) -> None:
    from ckm.campaigns.services.loop import label_write
    from ckm.campaigns.services.uplift import _as_of

    campaign = make_campaign(bank, users["marketer"])
    services.campaign_launch(actor=users["marketer"], campaign_id=campaign.pk)
    # launched at 00:30 in Berlin on 2 November, 23:30 UTC on 1 November; no day in the plan
    launched = timezone.make_aware(dt.datetime(2026, 11, 2, 0, 30))
    Campaign.objects.filter(pk=campaign.pk).update(plan={}, launched_at=launched)
    campaign.refresh_from_db()
    assert campaign.launched_at.date() == dt.date(2026, 11, 1)  # read back in UTC
    member = (
        CampaignMember.objects.filter(campaign=campaign, group="target")
        .select_related("campaign", "campaign__product")
        .first()
    )
    assert label_write(member).as_of == dt.date(2026, 11, 2)
    assert _as_of(campaign) == dt.date(2026, 11, 2)


def test_a_backdated_demo_campaign_puts_its_launch_on_the_timeline_on_the_day_it_ran(
    bank, users
) -> None:
    from ckm.analytics.features import local_start
    from ckm.campaigns.services.demo import _backdate

    past = make_campaign(bank, users["marketer"])
    services.campaign_launch(actor=users["marketer"], campaign_id=past.pk)
    other = make_campaign(bank, users["marketer"], name="Other calls")
    other = services.campaign_launch(actor=users["marketer"], campaign_id=other.pk)
    start = dt.date(2026, 8, 3)
    _backdate(past, start, dt.date(2026, 10, 2))
    assert past.launched_at == local_start(start)
    events = CustomerEvent.objects.filter(source="campaigns", payload__campaign=past.pk)
    assert events.count() == past.members.filter(group="target").count()
    assert set(events.values_list("occurred_at", flat=True)) == {local_start(start)}
    # another campaign's launch stays on its own day
    others = CustomerEvent.objects.filter(source="campaigns", payload__campaign=other.pk)
    assert others.exists() and not others.filter(occurred_at__lt=other.launched_at).exists()


def test_results_show_lift_over_control_with_an_interval_and_realised_npv(bank, users) -> None:
    campaign = make_campaign(bank, users["marketer"], control_share=0.4)
    services.campaign_launch(actor=users["marketer"], campaign_id=campaign.pk)
    campaign.refresh_from_db()
    simulate_responses(campaign=campaign, effect=0.6, start=dt.date(2026, 11, 1))
    results = selectors.campaign_results(user=users["marketer"], campaign_id=campaign.pk)
    assert results.target.n and results.control.n
    assert results.lift.lift == pytest.approx(
        results.target.conversion_rate - results.control.conversion_rate
    )
    assert results.lift.low < results.lift.lift < results.lift.high
    assert results.lift.lift > 0 and results.realised_npv is not None
    assert {b.name for b in results.by_rm} >= {"Test " + users["rm"].last_name}
    assert results.outcomes
    # an RM sees the campaign's figures, and the breakdown for their own customers only
    own = selectors.campaign_results(user=users["rm"], campaign_id=campaign.pk)
    assert own.target.n == results.target.n
    south = "Test " + users["rm_south"].last_name
    assert south in {b.name for b in results.by_rm} and south not in {b.name for b in own.by_rm}


def test_retraining_on_responses_makes_a_new_version_that_the_next_campaign_uses(
    bank, users
) -> None:
    campaign = make_campaign(bank, users["marketer"], control_share=0.2)
    # the first model knows only who took the product on their own: the plan says so
    assert any("no campaign response yet" in note for note in campaign.plan["notes"])
    services.campaign_launch(actor=users["marketer"], campaign_id=campaign.pk)
    campaign.refresh_from_db()
    simulate_responses(campaign=campaign, effect=0.5, start=dt.date(2026, 11, 1))
    services.campaign_close(actor=users["marketer"], campaign_id=campaign.pk)
    labelled = CampaignMember.objects.filter(campaign=campaign, label_at__isnull=False).count()
    assert labelled == Label.objects.filter(name="took_inv").count() > 60
    version = services.model_retrain_from_responses(
        actor=users["marketer"], product_id=bank["fund"]
    )
    assert version.version == 2 and version.params["label"] == "took_inv"
    assert version.status == ModelVersion.Status.ACTIVE
    assert CampaignMember.objects.filter(learned_by=version).count() == labelled
    generations = selectors.model_generations(user=users["marketer"], product_id=bank["fund"])
    assert [g.version.version for g in generations] == [2, 1]
    assert generations[0].learned == labelled and generations[0].latency_days is not None
    assert generations[1].campaigns and generations[1].campaigns[0][0] == campaign
    following = make_campaign(bank, users["marketer"], name="Next")
    assert following.model_version == version
    assert not any("no campaign response yet" in note for note in following.plan["notes"])


def test_uplift_model_learns_from_a_randomised_campaign_and_targets_by_effect(bank, users) -> None:
    campaign = make_campaign(bank, users["marketer"], control_share=0.5)
    services.campaign_launch(actor=users["marketer"], campaign_id=campaign.pk)
    campaign.refresh_from_db()
    simulate_responses(campaign=campaign, effect=0.6, start=dt.date(2026, 11, 1))
    model = services.uplift_train(actor=users["marketer"], product_id=bank["fund"])
    assert model.version == 1 and model.n_control > 0 and model.n_treated > 0
    assert model.metrics["ate"] > 0
    following = make_campaign(
        bank,
        users["marketer"],
        score_source=Campaign.ScoreSource.UPLIFT,
        selection=Campaign.Selection.TOP_PCT,
        selection_value=30,
        name="By uplift",
    )
    assert following.uplift_model == model and following.model_version is None
    assert CampaignMember.objects.filter(campaign=following).exclude(score=None).exists()


def test_a_retention_campaign_takes_its_audience_from_the_early_warning_list(bank, users) -> None:
    from ckm.analytics.models import Alert, AlertRule
    from ckm.customers.models import Customer

    rule = AlertRule.objects.create(name="Savings drop", kind="balance_drop")

    at_risk = list(Customer.objects.order_by("id")[:12])
    for customer in at_risk:
        Alert.objects.create(
            customer=customer,
            rule=rule,
            reason="Savings balance down",
            raised_at=dt.datetime(2026, 10, 30, tzinfo=dt.UTC),
        )
    campaign = make_campaign(
        bank,
        users["manager"],
        objective=Campaign.Objective.RETENTION,
        audience=Campaign.Audience.RETENTION,
        segment=None,
        score_source=Campaign.ScoreSource.NONE,
        control_share=0.0,
    )
    ids = set(
        CampaignMember.objects.filter(campaign=campaign).values_list("customer_id", flat=True)
    )
    assert ids and ids <= {c.pk for c in at_risk}
    services.campaign_launch(actor=users["manager"], campaign_id=campaign.pk)
    member = (
        CampaignMember.objects.filter(campaign=campaign, group="target", assigned_to__isnull=False)
        .select_related("assigned_to")
        .first()
    )
    services.member_outcome_record(actor=member.assigned_to, member_id=member.pk, outcome="reached")
    alert = Alert.objects.get(customer_id=member.customer_id)
    assert alert.status == "contacted" and "Campaign" in alert.note


def test_the_schedule_retrains_once_enough_new_outcomes_arrived(bank, users, settings) -> None:
    from django.core.management import call_command

    settings.CKM_CAMPAIGNS_RETRAIN_MIN_NEW = 20
    campaign = make_campaign(bank, users["marketer"], control_share=0.2)
    services.campaign_launch(actor=users["marketer"], campaign_id=campaign.pk)
    campaign.refresh_from_db()
    simulate_responses(campaign=campaign, effect=0.5, start=dt.date(2026, 11, 1))
    services.campaign_close(actor=users["marketer"], campaign_id=campaign.pk)
    call_command("campaigns-schedule")
    assert ModelVersion.objects.filter(slot="propensity:INV", version=2).exists()
    assert services.loop_schedule_run() == []  # nothing new since


def test_a_package_with_campaign_responses_records_outcomes(bank, users, tmp_path) -> None:
    from ckm.core.services import import_run, import_start
    from ckm.customers.models import Customer

    campaign = make_campaign(bank, users["marketer"], channel=Campaign.Channel.LETTER)
    services.campaign_launch(actor=users["marketer"], campaign_id=campaign.pk)
    member = CampaignMember.objects.filter(campaign=campaign, group="target").first()
    outsider = Customer.objects.exclude(
        pk__in=CampaignMember.objects.filter(campaign=campaign).values("customer_id")
    ).first()
    folder = tmp_path / "package"
    folder.mkdir()
    (folder / "customers.csv").write_text("customer_id,kind,last_name\n")
    responses = folder / "campaign_responses.csv"
    good = f"{campaign.pk},{member.customer.external_id},interested,2026-11-20T10:00:00\n"
    bad = f"{campaign.pk},{outsider.external_id},declined,2026-11-20T10:00:00\n"
    header = "campaign_id,customer_id,outcome,occurred_at\n"
    responses.write_text(header + good + bad)
    run = import_run(run_id=import_start(user=None, source=folder, enqueue=False).pk)
    member.refresh_from_db()
    assert member.outcome == ""  # all or nothing per file: the outsider's row stops it
    report = next(f for f in run.files if f["file"] == "campaign_responses.csv")
    assert report["status"] == "rejected" and report["rejected_rows"] == 1
    responses.write_text(header + good)
    import_run(run_id=import_start(user=None, source=folder, enqueue=False).pk)
    member.refresh_from_db()
    assert member.outcome == "interested" and member.source == "import" and member.responded


def test_responded_labels_from_labels_csv_become_outcomes(bank, users) -> None:
    campaign = make_campaign(bank, users["marketer"], channel=Campaign.Channel.EMAIL)
    services.campaign_launch(actor=users["marketer"], campaign_id=campaign.pk)
    yes, no = CampaignMember.objects.filter(campaign=campaign, group="target")[:2]
    Label.objects.create(
        external_id="l1",
        customer_id=yes.customer_id,
        name="responded",
        value="1",
        value_number=1.0,
        as_of=dt.date(2026, 11, 10),
    )
    Label.objects.create(
        external_id="l2",
        customer_id=no.customer_id,
        name="responded",
        value="0",
        value_number=0.0,
        as_of=dt.date(2026, 11, 10),
    )
    assert services.conversions_detect_all() == 2
    yes.refresh_from_db()
    no.refresh_from_db()
    assert yes.outcome == "interested" and yes.responded and yes.source == "import"
    assert no.outcome == "declined"
    assert services.conversions_detect_all() == 0


def test_approval_fixes_the_target_list(bank, users) -> None:
    campaign = make_campaign(bank, users["marketer"])
    with pytest.raises(PermissionDenied):
        services.campaign_approve(actor=users["rm"], campaign_id=campaign.pk)
    services.campaign_approve(actor=users["manager"], campaign_id=campaign.pk)
    with pytest.raises(ConflictError):
        services.campaign_plan(actor=users["marketer"], campaign_id=campaign.pk)
    with pytest.raises(ConflictError):
        services.campaign_save(actor=users["marketer"], campaign_id=campaign.pk, name="Changed")
    launched = services.campaign_launch(actor=users["marketer"], campaign_id=campaign.pk)
    assert launched.status == "launched" and launched.approved_by == users["manager"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("margin_per_month", 1e12),
        ("margin_months", 100_000),
        ("cost_per_contact", 2e7),
        ("fixed_costs", 1e11),
        ("discount_rate", 8.0),
    ],
)
def test_a_business_case_beyond_any_real_campaign_is_refused_naming_the_field(
    bank, users, field, value
) -> None:
    with pytest.raises(ValidationError) as refused:
        make_campaign(bank, users["marketer"], **{field: value})
    assert field in refused.value.message_dict
    make_campaign(bank, users["marketer"], margin_months=600, discount_rate=1.0)  # the bounds


def test_a_campaign_that_has_ended_is_kept_as_a_record_but_does_not_launch(bank, users) -> None:
    today = timezone.localdate()
    campaign = make_campaign(
        bank,
        users["marketer"],
        starts_on=today - dt.timedelta(days=60),
        ends_on=today - dt.timedelta(days=1),
    )
    with pytest.raises(ConflictError, match=r"ended on .* move its end date"):
        services.campaign_launch(actor=users["manager"], campaign_id=campaign.pk)
    assert Campaign.objects.get(pk=campaign.pk).status == Campaign.Status.DRAFT
