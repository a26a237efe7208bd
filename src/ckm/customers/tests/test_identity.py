"""Identity resolution: finding customers recorded twice, deciding the pairs, merging two records
into one without losing anything, and the old id still finding the customer."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from ckm.analytics.models import CustomerValue
from ckm.api.tests.test_api import bearer, send
from ckm.core.errors import NotFound
from ckm.core.models import AuditEntry, ImportRun
from ckm.core.tests.package_files import write_package
from ckm.core.tests.test_import import run_import
from ckm.customers import linkage, services
from ckm.customers.models import (
    Consent,
    ContactPoint,
    Customer,
    CustomerEvent,
    DuplicatePair,
    Holding,
    MergedRecord,
    PartyRelationship,
)
from ckm.customers.tests.factories import ContactPointFactory, CustomerFactory, HoldingFactory
from ckm.interactions.models import Interaction
from ckm.interactions.tests.factories import InteractionFactory

pytestmark = pytest.mark.django_db


# --- linkage (pure) ---------------------------------------------------------------------------


def _person(pk: int, first: str, last: str, born: str, **rest: str) -> linkage.Record:
    return linkage.Record(id=pk, first_name=first, last_name=last, date_of_birth=born, **rest)


def test_linkage_finds_a_typo_and_a_new_address_but_not_a_household() -> None:
    records = [
        _person(
            1,
            "anna",
            "schmidt",
            "1980-06-15",
            email="anna@example.de",
            street="hauptstr 1",
            postcode="10115",
        ),
        # the same customer: surname mistyped, no e-mail, same address
        _person(2, "anna", "schmdit", "1980-06-15", street="hauptstr 1", postcode="10115"),
        # the same customer again: moved, same e-mail
        _person(
            3,
            "anna",
            "schmidt",
            "1980-06-15",
            email="anna@example.de",
            street="gartenweg 9",
            postcode="50667",
        ),
        # her partner: same surname, address and e-mail, another first name and birthday
        _person(
            4,
            "bernd",
            "schmidt",
            "1979-02-01",
            email="anna@example.de",
            street="hauptstr 1",
            postcode="10115",
        ),
        # her father: same first name (!), address; born a generation earlier
        _person(5, "anna", "schmidt", "1950-03-03", street="hauptstr 1", postcode="10115"),
        # a company of the same name never pairs with a person
        linkage.Record(id=6, kind="organisation", last_name="schmidt", postcode="10115"),
    ]
    result = linkage.find_pairs(records)
    found = {(p.left_id, p.right_id) for p in result.pairs}
    assert found == {(1, 2), (1, 3), (2, 3)}
    assert not result.trained  # too few records to learn from: the priors
    typo = next(p for p in result.pairs if (p.left_id, p.right_id) == (1, 2))
    assert typo.evidence["last_name"] == "similar" and typo.evidence["email"] == "missing"
    assert 0.5 <= typo.probability <= 1


def test_linkage_of_nothing_or_one_record_finds_nothing() -> None:
    assert linkage.find_pairs([]).pairs == []
    assert linkage.find_pairs([_person(1, "a", "b", "1990-01-01")]).pairs == []


# --- finding and deciding ---------------------------------------------------------------------


def test_merges_teach_the_search_how_this_firms_duplicates_differ() -> None:
    # this firm's second records carry another phone number and no e-mail address
    def twin(pk: int, phone: str) -> linkage.Record:
        return _person(
            pk, "anna", "schmidt", "", phone=phone, street="hauptstr 1", postcode="10115"
        )

    confirmed = [(twin(0, f"17112345{i:02d}"), twin(0, f"16099999{i:02d}")) for i in range(40)]
    learned = linkage.learn_m(confirmed)
    prior_m = {name: m for name, (m, _) in linkage.PRIORS.items()}
    assert learned["phone"][1] > 0.6 > prior_m["phone"][1]  # "different" is usual here
    assert learned["email"] == pytest.approx(prior_m["email"])  # missing on both: nothing learned
    assert learned["first_name"][0] > prior_m["first_name"][0]
    for levels in learned.values():  # still probabilities, and no level rules a pair out
        assert sum(levels) == pytest.approx(1.0) and min(levels) > 0
    assert linkage.learn_m([]) == prior_m
    # the next such pair weighs more once the merges are learned
    bank = [twin(1, "1711111111"), twin(2, "1602222222")]
    (as_set,) = linkage.find_pairs(bank, threshold=0.0).pairs
    (after,) = linkage.find_pairs(bank, threshold=0.0, m=learned).pairs
    assert after.weight > as_set.weight + 1


def test_the_search_keeps_probable_pairs_and_respects_decisions(manager, twins) -> None:
    first, second = twins
    CustomerFactory(first_name="Otto", last_name="Other", date_of_birth=dt.date(1960, 1, 1))
    result = services.duplicates_find(actor=manager)
    assert result["found"] == 1 and result["new"] == 1
    pair = DuplicatePair.objects.get()
    assert (pair.customer_id, pair.other_id) == (first.pk, second.pk)
    assert pair.evidence["email"] == "same" and pair.status == "open"
    assert AuditEntry.objects.filter(object_type="customers.duplicatepair", actor=manager).exists()

    services.duplicate_dismiss(actor=manager, pair_id=pair.pk)
    again = services.duplicates_find(actor=manager)
    assert again["new"] == 0
    pair.refresh_from_db()
    assert pair.status == "dismissed" and pair.decided_by == manager  # not proposed again

    # a pair no longer found disappears (unless decided)
    DuplicatePair.objects.all().delete()
    services.duplicates_find(actor=manager)
    Customer.objects.filter(pk=second.pk).update(first_name="Zoe", name_key="zoe schmitd")
    ContactPoint.objects.filter(customer=second).delete()
    Customer.objects.filter(pk=second.pk).update(date_of_birth=dt.date(2001, 1, 1))
    assert services.duplicates_find(actor=manager)["removed"] == 1
    assert not DuplicatePair.objects.exists()


def test_an_agent_may_neither_search_nor_decide(agent, twins) -> None:
    with pytest.raises(PermissionDenied):
        services.duplicates_find(actor=agent)
    with pytest.raises(PermissionDenied):
        services.customer_merge(actor=agent, customer_id=twins[0].pk, other_id=twins[1].pk)


def test_pairs_are_listed_only_to_those_who_see_both_customers(rm_south, rm, twins) -> None:
    from ckm.customers.selectors import duplicate_list

    services.duplicates_find()
    assert duplicate_list(user=rm).count() == 1
    assert duplicate_list(user=rm_south).count() == 0
    pair = DuplicatePair.objects.get()
    with pytest.raises(NotFound):
        services.duplicate_dismiss(actor=rm_south, pair_id=pair.pk)


# --- merging ----------------------------------------------------------------------------------


def test_a_merge_moves_everything_and_loses_nothing(rm, twins) -> None:
    first, second = twins
    holding = HoldingFactory(customer=second)
    call = InteractionFactory(customer=second)
    now = timezone.now()
    Consent.objects.create(
        customer=first,
        purpose="marketing",
        channel="email",
        granted=True,
        recorded_at=now - dt.timedelta(days=30),
    )
    # the customer withdrew later, on the second record: the later word wins
    Consent.objects.create(
        customer=second, purpose="marketing", channel="email", granted=False, recorded_at=now
    )
    PartyRelationship.objects.create(from_customer=first, to_customer=second, kind="other")
    CustomerValue.objects.create(customer=second, as_of=dt.date.today(), profit=10)
    services.duplicates_find()

    result = services.customer_merge(
        actor=rm, customer_id=first.pk, other_id=second.pk, take={"status": "other"}
    )

    assert not Customer.objects.filter(pk=second.pk).exists()
    first.refresh_from_db()
    assert first.status == "prospect"  # chosen
    assert first.customer_since == dt.date(2009, 1, 1)  # the earlier date by default
    assert first.last_name == "Schmidt"  # the survivor's value by default
    assert Holding.objects.get(pk=holding.pk).customer_id == first.pk
    assert Interaction.objects.get(pk=call.pk).customer_id == first.pk
    assert CustomerValue.objects.get(customer=first).profit == 10
    # the same e-mail once, the phone number added
    assert sorted(first.contact_points.values_list("kind", flat=True)) == ["email", "phone"]
    consent = Consent.objects.get(customer=first, purpose="marketing", channel="email")
    assert consent.granted is False
    assert not PartyRelationship.objects.exists()  # no customer related to itself
    assert not DuplicatePair.objects.exists()
    merged = MergedRecord.objects.get(customer=first)
    assert merged.former_id == second.pk and merged.external_id == second.external_id
    assert ["phone", "0171 1234567"] in merged.identity["contact_points"]
    assert result.moved["holdings"] == 1 and result.moved["interactions"] == 1
    assert {d["record"] for d in result.dropped} == {
        "contact point",
        "consent",
        "party relationship",
    }

    entry = AuditEntry.objects.get(action="merge", customer_ref=first.pk)
    assert entry.actor == rm and entry.changes["status"] == ["active", "prospect"]
    assert entry.changes["merged_record"][1]["external_id"] == second.external_id
    assert AuditEntry.objects.filter(action="merge", customer_ref=second.pk).exists()
    assert CustomerEvent.objects.filter(customer=first, kind="merged").exists()


def test_the_search_learns_from_the_merges_made(rm, twins) -> None:
    first, second = twins
    services.customer_merge(
        actor=rm, customer_id=first.pk, other_id=second.pk, take={"last_name": "other"}
    )
    merged = MergedRecord.objects.get(former_id=second.pk)
    # both records as they were before the merge: the survivor's surname not yet overwritten
    assert merged.kept_identity["last_name"] == "Schmidt"
    assert merged.identity["last_name"] == "Schmitd"
    ((kept, other),) = services.identity.merges_confirmed()
    assert (kept.last_name, other.last_name) == ("schmidt", "schmitd")
    assert (kept.email, other.phone) == (
        "anna@example.de",
        services.identity.phone_key("0171 1234567"),
    )
    assert services.duplicates_find()["merges_learned_from"] == 1


def test_a_merge_that_cannot_be_done_changes_nothing(rm, rm_south, twins, south_customer) -> None:
    first, second = twins
    HoldingFactory(customer=second)
    with pytest.raises(ValidationError) as error:
        services.customer_merge(
            actor=rm, customer_id=first.pk, other_id=second.pk, take={"x": "other"}
        )
    assert "take.x" in error.value.message_dict
    with pytest.raises(ValidationError):
        services.customer_merge(actor=rm, customer_id=first.pk, other_id=first.pk)
    company = CustomerFactory(kind="organisation", name="Schmidt GmbH", team=first.team)
    with pytest.raises(ValidationError) as error:
        services.customer_merge(actor=rm, customer_id=first.pk, other_id=company.pk)
    assert "other_id" in error.value.message_dict
    # another team's customer is invisible to this RM, and this RM's to the other
    with pytest.raises(NotFound):
        services.customer_merge(actor=rm, customer_id=first.pk, other_id=south_customer.pk)
    with pytest.raises(NotFound):
        services.customer_merge(actor=rm_south, customer_id=south_customer.pk, other_id=second.pk)
    assert Customer.objects.filter(pk=second.pk).exists()
    assert second.holdings.count() == 1
    assert not AuditEntry.objects.filter(action="merge").exists()


def test_the_old_id_keeps_finding_the_customer(client, login, rm, twins, tmp_path) -> None:
    first, second = twins
    services.customer_merge(actor=rm, customer_id=first.pk, other_id=second.pk)
    # an old link to the merged record's profile
    login(rm)
    response = client.get(f"/customers/{second.pk}/", follow=True)
    assert response.redirect_chain[-1][0].endswith(f"/customers/{first.pk}/")
    assert second.external_id in response.content.decode()  # "also recorded as"
    # the API by the firm's id
    client.logout()
    found = client.get(f"/api/customers/by-id/{second.external_id}", **bearer(rm))
    assert found.status_code == 200 and found.json()["id"] == first.pk


def test_an_import_after_a_merge_attaches_to_the_survivor(rm, twins, tmp_path) -> None:
    first, second = twins
    services.customer_merge(actor=rm, customer_id=first.pk, other_id=second.pk)
    folder = write_package(
        tmp_path / "p",
        customers=(
            f"customer_id,kind,first_name,last_name\n{second.external_id},person,Anna,Schmitd\n"
        ),
        interactions=(
            "customer_id,occurred_at,channel,subject,text\n"
            f"{second.external_id},2026-01-05T10:00:00,phone,Call,Asked about fees\n"
        ),
        holdings=None,
        products=None,
    )
    run = run_import(folder)
    assert run.status == ImportRun.Status.SUCCEEDED, run.notes
    assert not Customer.objects.filter(external_id=second.external_id).exists()
    first.refresh_from_db()
    assert first.last_name == "Schmidt"  # the merged record's identity row is not applied
    assert Interaction.objects.get(subject="Call").customer_id == first.pk
    assert any("was merged into" in n for n in run.notes)


# --- pages and API ----------------------------------------------------------------------------


def test_the_duplicates_page_and_the_merge_form(client, login, manager, twins) -> None:
    first, second = twins
    services.duplicates_find()
    login(manager)
    page = client.get("/customers/duplicates/").content.decode()
    assert "Anna Schmitd" in page and "Compare and merge" in page
    profile = client.get(f"/customers/{first.pk}/").content.decode()
    assert "may be recorded twice" in profile
    form = client.get(f"/customers/duplicates/merge/{first.pk}/{second.pk}/")
    assert form.status_code == 200 and b"Merge into Anna Schmidt" in form.content
    done = client.post(
        f"/customers/duplicates/merge/{first.pk}/{second.pk}/",
        {"take_last_name": "other"},
        follow=True,
    )
    assert done.status_code == 200 and b"Merged Anna Schmitd" in done.content
    first.refresh_from_db()
    assert first.last_name == "Schmitd"


def test_the_merge_pick_page_finds_the_other_record(client, login, manager, twins) -> None:
    first, second = twins
    login(manager)
    page = client.get(f"/customers/duplicates/merge/{first.pk}/", {"q": second.external_id})
    assert f"/customers/duplicates/merge/{first.pk}/{second.pk}/" in page.content.decode()


def test_an_agent_sees_no_duplicates_page(client, login, agent) -> None:
    login(agent)
    assert client.get("/customers/duplicates/").status_code == 403


def test_the_api_lists_dismisses_merges_and_refuses_bad_input(client, manager, twins) -> None:
    first, second = twins
    services.duplicates_find()
    listed = client.get("/api/customers/duplicates", **bearer(manager)).json()
    assert listed["count"] == 1 and listed["items"][0]["other_name"] == "Anna Schmitd"
    bad = send(
        client,
        "post",
        f"/customers/{first.pk}/merge",
        manager,
        {"other_id": second.pk, "take": {"status": "both"}},
    )
    assert bad.status_code == 422 and "take" in json.dumps(bad.json()["errors"])
    unknown = send(client, "post", f"/customers/{first.pk}/merge", manager, {"other_id": 2**40})
    assert unknown.status_code == 404
    merged = send(
        client,
        "post",
        f"/customers/{first.pk}/merge",
        manager,
        {"other_id": second.pk, "take": {"status": "other"}},
    )
    assert merged.status_code == 200, merged.json()
    body = merged.json()
    assert (
        body["customer"]["status"] == "prospect"
        and body["merged_external_id"] == second.external_id
    )
    again = send(client, "post", f"/customers/{first.pk}/merge", manager, {"other_id": second.pk})
    assert again.status_code == 200 and again.json() == body  # a retry answers the same
    assert AuditEntry.objects.filter(action="merge", customer_ref=first.pk).count() == 1
    job = client.post("/api/customers/duplicates/find", **bearer(manager))
    assert job.status_code == 202 and job.json()["progress_url"]


def test_creating_a_customer_who_exists_already_warns_at_once(client, login, admin_user, twins):
    login(admin_user)
    response = client.post(
        "/customers/new/",
        {
            "kind": "person",
            "first_name": "Anna",
            "last_name": "Schmidt",
            "email": "ANNA@example.de",
            "status": "active",
        },
        follow=True,
    )
    page = response.content.decode()
    assert "Possibly the same customer as Anna Schmidt" in page and twins[0].external_id in page


# --- what a careful review found --------------------------------------------------------------


def test_an_old_link_reveals_nothing_to_someone_who_cannot_see_the_survivor(
    client, login, rm, rm_south, twins
) -> None:
    first, second = twins
    services.customer_merge(actor=rm, customer_id=first.pk, other_id=second.pk)
    login(rm_south)
    assert client.get(f"/customers/{second.pk}/").status_code == 404  # as if it never existed
    assert client.get(f"/customers/{first.pk + 1000}/").status_code == 404


def test_a_merged_customer_id_cannot_be_given_to_a_new_customer(admin_user, rm, twins) -> None:
    first, second = twins
    services.customer_merge(actor=rm, customer_id=first.pk, other_id=second.pk)
    with pytest.raises(ValidationError) as error:
        services.customer_create(
            actor=admin_user, kind="person", last_name="New", external_id=second.external_id
        )
    assert "external_id" in error.value.message_dict


def test_a_customer_merged_while_the_search_runs_gets_no_pair(manager, twins, monkeypatch) -> None:
    first, second = twins
    real = services.identity.find_pairs

    def merged_meanwhile(records, **options):  # another person merges while the comparison runs
        result = real(records, **options)
        services.customer_merge(actor=manager, customer_id=first.pk, other_id=second.pk)
        return result

    monkeypatch.setattr(services.identity, "find_pairs", merged_meanwhile)
    assert services.duplicates_find()["found"] == 0
    assert not DuplicatePair.objects.exists()


def test_the_fuller_copy_wins_and_one_primary_stays(rm, twins) -> None:
    from ckm.campaigns.models import Campaign, CampaignMember
    from ckm.customers.tests.factories import ProductFactory

    first, second = twins
    campaign = Campaign.objects.create(
        name="Gold card",
        product=ProductFactory(),
        starts_on=dt.date(2026, 1, 1),
        ends_on=dt.date(2026, 3, 1),
    )
    CampaignMember.objects.create(campaign=campaign, customer=first, group="control")
    converted = CampaignMember.objects.create(
        campaign=campaign,
        customer=second,
        group="target",
        outcome="converted",
        contacted_at=timezone.now(),
        outcome_at=timezone.now(),
    )
    ContactPointFactory(customer=second, kind="email", value="anna.second@example.de")
    services.customer_merge(actor=rm, customer_id=first.pk, other_id=second.pk)
    member = CampaignMember.objects.get(campaign=campaign, customer=first)
    assert member.pk == converted.pk and member.outcome == "converted"  # the conversion counts
    primaries = first.contact_points.filter(kind="email", is_primary=True)
    assert list(primaries.values_list("value", flat=True)) == ["anna@example.de"]


def test_what_a_merge_removes_between_the_two_and_decisions_about_others_are_kept(
    manager, rm, twins
) -> None:
    first, second = twins
    third = CustomerFactory(first_name="Anna", last_name="Schmidt", team=first.team)
    PartyRelationship.objects.create(from_customer=second, to_customer=first, kind="sibling")
    low, high = sorted((second.pk, third.pk))
    DuplicatePair.objects.create(
        customer_id=low, other_id=high, probability=0.7, status="dismissed", decided_by=manager
    )
    result = services.customer_merge(actor=rm, customer_id=first.pk, other_id=second.pk)
    assert "party relationship" in {d["record"] for d in result.dropped}
    carried = DuplicatePair.objects.get(customer_id=first.pk, other_id=third.pk)
    assert carried.status == "dismissed" and carried.decided_by == manager


def test_dismissing_twice_changes_nothing_the_second_time(manager, twins) -> None:
    services.duplicates_find()
    pair = DuplicatePair.objects.get()
    services.duplicate_dismiss(actor=manager, pair_id=pair.pk)
    services.duplicate_dismiss(actor=manager, pair_id=pair.pk)
    assert (
        AuditEntry.objects.filter(object_type="customers.duplicatepair", action="update")
        .exclude(object_repr="Duplicate search")
        .count()
        == 2
    )  # one per customer of the pair, once


def test_a_shared_mailbox_does_not_make_every_pair(rm) -> None:
    records = [
        linkage.Record(
            id=i, first_name=f"person{i}", last_name=f"family{i}", email="info@shared.example"
        )
        for i in range(1, 121)
    ]
    result = linkage.find_pairs(records)
    assert result.compared < 100 and result.pairs == []


def test_a_sole_trader_and_the_company_are_not_one_customer() -> None:
    shared = {"email": "jo@jo.example", "phone": "1711234567", "postcode": "10115"}
    records = [
        linkage.Record(id=1, first_name="jo", last_name="brandt", **shared),
        linkage.Record(id=2, kind="organisation", last_name="jo brandt", **shared),
    ]
    assert linkage.find_pairs(records).pairs == []


def test_a_second_click_on_merge_lands_on_the_merged_customer(client, login, manager, twins):
    first, second = twins
    login(manager)
    url = f"/customers/duplicates/merge/{first.pk}/{second.pk}/"
    assert client.post(url).status_code == 302
    again = client.post(url, follow=True)
    assert again.status_code == 200 and b"merged already" in again.content


# --- what a walk through the pages and a fuzz of the API found ---------------------------------


def test_the_merge_api_refuses_a_misspelt_field_and_other_choices_on_retry(client, manager, twins):
    first, second = twins
    url = f"/customers/{first.pk}/merge"
    typo = send(client, "post", url, manager, {"other_id": second.pk, "tak": {"address": "other"}})
    assert typo.status_code == 422 and "tak" in json.dumps(typo.json()["errors"])
    assert Customer.objects.filter(pk=second.pk).exists()  # nothing merged
    done = send(client, "post", url, manager, {"other_id": second.pk, "take": {"status": "other"}})
    assert done.status_code == 200
    same = send(client, "post", url, manager, {"other_id": second.pk, "take": {"status": "other"}})
    assert same.status_code == 200 and same.json() == done.json()
    other = send(
        client, "post", url, manager, {"other_id": second.pk, "take": {"status": "customer"}}
    )
    assert other.status_code == 409 and "merged already" in other.json()["detail"]
    missing = send(client, "post", "/customers/999999/merge", manager, {"other_id": second.pk})
    assert missing.status_code == 404 and missing.json()["errors"] == {}


def test_the_compare_page_refuses_impossible_pairs_before_the_form(client, login, manager, twins):
    first, _ = twins
    company = CustomerFactory(kind="organisation", name="Schmidt GmbH", team=first.team)
    login(manager)
    for other in (first, company):
        response = client.get(f"/customers/duplicates/merge/{first.pk}/{other.pk}/", follow=True)
        assert response.redirect_chain and b"Merge into" not in response.content


def test_the_compare_page_says_what_the_first_record_holds_already(client, login, manager, twins):
    first, second = twins
    now = timezone.now()
    for customer in (first, second):
        Consent.objects.create(
            customer=customer, purpose="marketing", channel="email", granted=True, recorded_at=now
        )
    login(manager)
    page = client.get(f"/customers/duplicates/merge/{first.pk}/{second.pk}/").content.decode()
    assert "the first has it already: kept once" in page


def test_a_manager_reads_a_merged_records_history_in_the_audit_log(client, login, manager, twins):
    first, second = twins
    services.customer_merge(actor=manager, customer_id=first.pk, other_id=second.pk)
    login(manager)
    page = client.get("/audit/", {"object_id": second.pk}).content.decode()
    assert "Merged into Anna Schmidt" in page


def test_asking_for_a_search_while_one_runs_joins_it(manager, twins) -> None:
    from ckm.core.models import Job

    running = Job.objects.create(kind="customers.duplicates", label="x", status=Job.Status.RUNNING)
    assert services.duplicates_find_start(actor=manager) == running


def test_a_wrong_not_the_same_can_be_taken_back(client, login, manager, rm_south, twins) -> None:
    services.duplicates_find()
    pair = DuplicatePair.objects.get()
    services.duplicate_dismiss(actor=manager, pair_id=pair.pk)
    login(manager)
    page = client.get("/customers/duplicates/", {"status": "dismissed"}).content.decode()
    assert "Propose again" in page
    client.post(f"/customers/duplicates/{pair.pk}/reopen/")
    pair.refresh_from_db()
    assert pair.status == "open" and pair.decided_by is None
    assert AuditEntry.objects.filter(summary__startswith="Proposed again").count() == 2
    with pytest.raises(NotFound):  # someone who cannot see both customers
        services.duplicate_reopen(actor=rm_south, pair_id=pair.pk)
    again = client.post(
        f"/api/customers/duplicates/{pair.pk}/reopen", **bearer(manager)
    )  # open already: nothing changes
    assert again.status_code == 200 and again.json()["status"] == "open"
    assert AuditEntry.objects.filter(summary__startswith="Proposed again").count() == 2
