"""Customer reads: record-level access by role and team, search, the profile."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied

from ckm.core.errors import NotFound
from ckm.customers import selectors
from ckm.customers.selectors import CustomerFilters
from ckm.customers.tests.factories import (
    ContactPointFactory,
    CustomerFactory,
    HoldingFactory,
    ProductFactory,
)

pytestmark = pytest.mark.django_db


def visible(user) -> set[str]:
    return set(selectors.customer_queryset(user=user).values_list("external_id", flat=True))


def test_service_roles_look_up_any_customer(agent, north_customer, south_customer) -> None:
    assert visible(agent) == {north_customer.external_id, south_customer.external_id}


def test_relationship_managers_see_their_own_and_their_teams_customers(
    rm, make_user, north_customer, south_customer, team_north
) -> None:
    colleague_customer = CustomerFactory(team=team_north, owner=None)
    assert visible(rm) == {north_customer.external_id, colleague_customer.external_id}
    with pytest.raises(NotFound):
        selectors.customer_get(user=rm, customer_id=south_customer.pk)


def test_managers_see_the_teams_they_manage(
    manager, north_customer, south_customer, team_south
) -> None:
    assert visible(manager) == {north_customer.external_id}
    team_south.manager = manager
    team_south.save()
    assert visible(manager) == {north_customer.external_id, south_customer.external_id}


def test_roles_without_customer_access_are_refused(editor, product_manager, north_customer) -> None:
    with pytest.raises(PermissionDenied):
        selectors.customer_queryset(user=editor)
    with pytest.raises(PermissionDenied):
        selectors.customer_queryset(user=product_manager)


def test_scope_is_configurable(settings, rm, north_customer, south_customer) -> None:
    settings.CKM_CUSTOMER_SCOPE = {**settings.CKM_CUSTOMER_SCOPE, "relationship_manager": "all"}
    assert south_customer.external_id in visible(rm)


def test_search_finds_by_name_in_either_order_without_accents(agent) -> None:
    jurgen = CustomerFactory(first_name="Jürgen", last_name="Müller")
    CustomerFactory(first_name="Anna", last_name="Muster")
    assert [c.pk for c in selectors.customer_search(user=agent, q="jurgen mu")] == [jurgen.pk]
    assert [c.pk for c in selectors.customer_search(user=agent, q="Müller J")] == [jurgen.pk]
    assert len(selectors.customer_search(user=agent, q="mu")) == 2


def test_search_finds_a_name_by_partial_words_in_any_order(agent) -> None:
    jorg = CustomerFactory(first_name="Jörg", last_name="Schulte")
    CustomerFactory(first_name="Jonas", last_name="Schubert")
    CustomerFactory(first_name="Jörg", last_name="Bauer")
    for typed in ("schul jö", "jö schul", "Schul Jo", "jorg schulte", "schulte jorg"):
        assert [c.pk for c in selectors.customer_search(user=agent, q=typed)] == [jorg.pk], typed


def test_search_reads_ae_oe_ue_ss_as_umlauts_and_sharp_s_both_ways(agent) -> None:
    jorg = CustomerFactory(first_name="Jörg", last_name="Schulte")
    gartner = CustomerFactory(first_name="Hans", last_name="Gaertner")
    strauss = CustomerFactory(first_name="Anna", last_name="Strauß")
    for typed, wanted in [
        ("Schulte Joerg", jorg),
        ("joerg", jorg),
        ("Gärtner", gartner),
        ("gaertner hans", gartner),
        ("strauss", strauss),
        ("Strauß", strauss),
    ]:
        assert [c.pk for c in selectors.customer_search(user=agent, q=typed)] == [wanted.pk], typed


def test_search_forgives_a_letter_or_two_when_nothing_starts_so(agent) -> None:
    karin = CustomerFactory(first_name="Karin", last_name="Fischer")
    bergmann = CustomerFactory(first_name="Uwe", last_name="Bergmann")
    CustomerFactory(first_name="Karl", last_name="Fiedler")
    CustomerFactory(first_name="Uwe", last_name="Berger")
    for typed, wanted in [
        ("Karin Fisher", karin),
        ("fisher karin", karin),
        ("Fsicher", None),  # the first two letters must be right
        ("Bergmnn", bergmann),
        ("Uwe Bergamnn", bergmann),  # a swap counts one
    ]:
        found = [c.pk for c in selectors.customer_search(user=agent, q=typed)]
        assert found == ([wanted.pk] if wanted else []), typed
    # a name that starts so is found as typed, with no guessing beside it
    assert [c.pk for c in selectors.customer_search(user=agent, q="Berger")] != [bergmann.pk]
    assert selectors.customer_search(user=agent, q="Zzyzxqw") == []


def test_search_by_words_never_leaks_customers_of_other_teams(rm, south_customer) -> None:
    words = f"{south_customer.last_name[:3]} {south_customer.first_name[:2]}"
    assert selectors.customer_search(user=rm, q=words) == []


def test_search_finds_by_email_phone_and_id(agent) -> None:
    customer = CustomerFactory(external_id="C-4711")
    ContactPointFactory(customer=customer, kind="email", value="Kim.Lee@Example.com")
    ContactPointFactory(customer=customer, kind="phone", value="+49 30 1234-567")
    assert selectors.customer_search(user=agent, q="kim.lee@")[0] == customer
    assert selectors.customer_search(user=agent, q="C-4711")[0] == customer
    assert selectors.customer_search(user=agent, q="030 1234567")[0] == customer  # national format
    assert selectors.customer_search(user=agent, q="1234567")[0] == customer  # the last digits
    assert selectors.customer_match(phone="0049 30 1234567") == [customer.pk]
    assert selectors.customer_match(email="KIM.LEE@example.com") == [customer.pk]


def test_search_finds_a_phone_number_however_it_is_written(agent) -> None:
    """The caller's number as the phone shows it (+49 …) finds a number stored in national
    form, and brackets and dashes do not make a number look like a name."""
    customer = CustomerFactory()
    ContactPointFactory(customer=customer, kind="phone", value="089 7530098")
    for typed in ("(089) 753-00-98", "089/753 00 98", "+49 89 753 0098", "+49 (0)89 7530098"):
        assert selectors.customer_search(user=agent, q=typed) == [customer], typed
    assert selectors.customer_match(phone="+49 89 7530098") == [customer.pk]
    assert selectors.customer_match(phone="0049 89 7530098") == [customer.pk]


def test_search_never_leaks_customers_of_other_teams(rm, north_customer, south_customer) -> None:
    assert selectors.customer_search(user=rm, q="Südmann") == []
    assert selectors.customer_search(user=rm, q=south_customer.external_id) == []
    ContactPointFactory(customer=south_customer, kind="email", value="bernd@example.com")
    assert selectors.customer_search(user=rm, q="bernd@") == []


def test_search_needs_two_characters(agent, north_customer) -> None:
    assert selectors.customer_search(user=agent, q="a") == []


def test_customer_list_filters(agent, north_customer, south_customer, team_south) -> None:
    result = selectors.customer_list(user=agent, filters=CustomerFilters(team_id=team_south.pk))
    assert list(result) == [south_customer]
    result = selectors.customer_list(user=agent, filters=CustomerFilters(q="schmidt"))
    assert list(result) == [north_customer]


def test_profile_shows_value_and_hides_sections_the_role_may_not_see(
    agent, marketer, north_customer
) -> None:
    product = ProductFactory(family="savings", margin=0.01)
    HoldingFactory(customer=north_customer, product=product, balance=10_000)
    profile = selectors.customer_profile(user=agent, customer_id=north_customer.pk)
    assert profile.value is not None and profile.value.balance_total == 10_000
    assert profile.value.annual_margin == 100
    assert profile.can["facts"] is True
    marketer_view = selectors.customer_profile(user=marketer, customer_id=north_customer.pk)
    assert marketer_view.can["facts"] is False and marketer_view.facts == []
    assert marketer_view.can["contacts"] is False and marketer_view.contact_points == []


def test_upcoming_dates_are_the_owners_customers_only(rm, north_customer, south_customer) -> None:
    from ckm.customers.models import PersonalFact

    soon = dt.date.today() + dt.timedelta(days=3)
    PersonalFact.objects.create(
        customer=north_customer,
        kind="birthday",
        label="Birthday",
        date=soon.replace(year=1980),
        recurring=True,
    )
    PersonalFact.objects.create(
        customer=south_customer,
        kind="birthday",
        label="Birthday",
        date=soon.replace(year=1981),
        recurring=True,
    )
    upcoming = selectors.upcoming_personal_dates(user=rm)
    assert [fact.customer for _, fact in upcoming] == [north_customer]


def test_relatives_outside_the_users_customers_are_counted_not_named(
    rm, north_customer, south_customer
) -> None:
    from ckm.customers.models import Household
    from ckm.customers.selectors import customer_profile

    household = Household.objects.create(external_id="H-X")
    for customer in (north_customer, south_customer):
        customer.household = household
        customer.save(update_fields=["household"])
    profile = customer_profile(user=rm, customer_id=north_customer.pk)
    assert profile.household_members == [] and profile.relatives_hidden == 1


def test_the_migration_recomputes_stored_name_keys(agent) -> None:
    import importlib

    from django.apps import apps

    migration = importlib.import_module("ckm.customers.migrations.0005_name_keys_umlaut_digraphs")
    joerg = CustomerFactory(first_name="Joerg", last_name="Schulte")
    type(joerg).objects.filter(pk=joerg.pk).update(
        name_key="joerg schulte", sort_key="schulte joerg"
    )
    migration.recompute_name_keys(apps, None)
    joerg.refresh_from_db()
    assert (joerg.name_key, joerg.sort_key) == ("jorg schulte", "schulte jorg")
    assert selectors.customer_search(user=agent, q="Jörg") == [joerg]
