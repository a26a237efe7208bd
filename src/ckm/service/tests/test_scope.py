"""A person opening a case reaches only the customers they may work on, and learns nothing of
the others (the same answer as for a customer who does not exist)."""

from __future__ import annotations

import pytest

from ckm.core.errors import ConflictError, ValidationError
from ckm.customers.tests.factories import ContactPointFactory
from ckm.service.services import case_intake

pytestmark = pytest.mark.django_db


def test_an_rm_cannot_open_a_case_on_another_teams_customer(desk, rm, south_customer) -> None:
    with pytest.raises(ValidationError) as outside:
        case_intake(
            actor=rm,
            channel="letter",
            subject="x",
            body="probe",
            customer_external_id=south_customer.external_id,
        )
    with pytest.raises(ValidationError) as missing:
        case_intake(
            actor=rm, channel="letter", subject="x", body="probe", customer_external_id="NOPE"
        )
    # the same words for both: the answer tells nothing about who exists
    assert (
        outside.value.message_dict["customer_external_id"][0].replace(
            south_customer.external_id, "NOPE"
        )
        == missing.value.message_dict["customer_external_id"][0]
    )


def test_a_sender_outside_the_scope_stays_an_unknown_contact(desk, rm, south_customer) -> None:
    ContactPointFactory(customer=south_customer, kind="email", value="south@example.com")
    case = case_intake(
        actor=rm, channel="email", subject="x", body="probe", sender_email="south@example.com"
    )
    assert case.customer is None
    # the mailbox (no person) matches across all customers
    mailed = case_intake(
        channel="email", subject="y", body="from the mailbox", sender_email="south@example.com"
    )
    assert mailed.customer == south_customer


def test_an_idempotency_key_does_not_show_someone_elses_case(
    desk, rm, rm_south, south_customer
) -> None:
    theirs = case_intake(
        actor=rm_south,
        channel="phone",
        subject="Fee",
        body="b",
        customer=south_customer,
        external_id="K-1",
    )
    # the owner's retry returns the case; another team's RM gets a refusal without details
    again = case_intake(actor=rm_south, channel="phone", subject="Fee", body="b", external_id="K-1")
    assert again.pk == theirs.pk
    with pytest.raises(ConflictError):
        case_intake(actor=rm, channel="phone", subject="Fee", body="b", external_id="K-1")


def test_a_calendar_without_open_hours_never_blocks_intake(desk, agent) -> None:
    from ckm.service.models import BusinessCalendar, SlaPolicy

    # closed all week (allowed: a calendar may be kept for later) or nearly so: the case comes
    # in without deadlines instead of failing
    for hours in ({str(d): [] for d in range(7)}, {"0": [["09:00", "09:01"]]}):
        calendar = BusinessCalendar.objects.create(name=f"Shut {len(hours)}", hours=hours)
        SlaPolicy.objects.update(calendar=calendar)
        case = case_intake(actor=agent, channel="phone", subject="x", body="y")
        assert case.pk and case.first_response_due is None and case.resolution_due is None


def test_evidence_cites_only_a_case_the_person_may_see(
    desk, editor, rm, rm_south, south_customer
) -> None:
    from ckm.core.errors import NotFound
    from ckm.knowledge import services as knowledge

    article = knowledge.article_publish(
        actor=editor, article=knowledge.article_create(actor=editor, title="Fees", body_source="x")
    )
    theirs = case_intake(
        actor=rm_south, channel="phone", subject="Fee", body="b", customer=south_customer
    )
    with pytest.raises(NotFound):
        knowledge.article_link_resolution(
            actor=rm, article=article, text="poisoned", source="case", source_id=str(theirs.pk)
        )
    cited = knowledge.article_link_resolution(
        actor=rm_south, article=article, text="Fee", source="case", source_id=str(theirs.pk)
    )
    assert cited.customer == south_customer  # the case's own customer, not the client's word
