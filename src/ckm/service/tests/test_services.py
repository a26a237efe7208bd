"""Intake from every channel, routing, SLA timers, the workflow, satisfaction, linking."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied

from ckm.core.errors import ConflictError, NotFound, ValidationError
from ckm.core.models import AuditEntry, Role
from ckm.customers.models import CustomerEvent
from ckm.customers.tests.factories import ContactPointFactory, CustomerFactory, HoldingFactory
from ckm.service.models import Case, CaseStatus, Holiday, SlaPolicy
from ckm.service.services import (
    case_assign,
    case_correct,
    case_intake,
    case_link_customer,
    case_reopen,
    case_reply,
    case_satisfaction_record,
    case_transition,
    service_sla_check,
)

pytestmark = pytest.mark.django_db


def test_a_phone_case_is_matched_queued_assigned_and_timed(desk: dict[str, Any], agent) -> None:
    customer = CustomerFactory()
    case = case_intake(
        actor=agent,
        channel="phone",
        subject="Card blocked",
        body="My debit card was swallowed by the machine.",
        customer=customer,
        product=desk["card"],
        kind="complaint",
    )
    assert case.reference == f"C-{case.pk:06d}"
    assert case.queue == desk["cards"]
    assert case.assignee in (agent, desk["agent2"])
    assert case.status == CaseStatus.ASSIGNED
    assert case.sla_policy is not None and case.sla_policy.name == "Complaint"
    assert case.first_response_due is not None and case.first_response_due > case.opened_at
    assert case.messages.filter(direction="inbound").count() == 1
    assert case.messages.filter(direction="outbound", template__code="ack-complaint").exists()
    kinds = list(case.events.values_list("kind", flat=True))
    assert kinds[:3] == ["opened", "acknowledged", "assigned"]
    timeline = CustomerEvent.objects.filter(customer=customer, source="service")
    assert {"case_opened", "case_acknowledged", "case_assigned"} <= set(
        timeline.values_list("kind", flat=True)
    )
    assert AuditEntry.objects.filter(object_type="service.case", object_id=str(case.pk)).exists()


def test_an_email_is_matched_by_address_and_acknowledged_by_mail(desk) -> None:
    point = ContactPointFactory(kind="email", value="anna@example.com")
    case = case_intake(
        channel="email",
        subject="Statement",
        body="Where is my statement?",
        sender_email="Anna@Example.com",
        message_id="<m1@example.com>",
    )
    assert case.customer == point.customer
    assert len(mail.outbox) == 0  # sent after commit
    assert case.messages.filter(direction="outbound", recipients="Anna@Example.com").exists()


def test_an_unknown_sender_stays_unknown_until_linked(desk, agent) -> None:
    case = case_intake(
        channel="letter", subject="Complaint", body="Nobody answers.", sender_name="Jo Doe"
    )
    assert case.customer is None and case.contact_label == "Jo Doe"
    customer = CustomerFactory()
    case_link_customer(actor=agent, case_id=case.pk, customer_id=customer.pk)
    case.refresh_from_db()
    assert case.customer == customer
    assert CustomerEvent.objects.filter(customer=customer, kind="case_linked").exists()


def test_two_customers_sharing_an_address_are_not_guessed(desk) -> None:
    ContactPointFactory(kind="email", value="family@example.com")
    ContactPointFactory(kind="email", value="family@example.com")
    case = case_intake(channel="email", subject="x", body="y", sender_email="family@example.com")
    assert case.customer is None


def test_intake_is_idempotent_on_channel_and_external_id(desk) -> None:
    first = case_intake(channel="api", subject="a", body="b", external_id="X-1")
    again = case_intake(channel="api", subject="a", body="b", external_id="X-1")
    other_channel = case_intake(channel="chat", subject="a", body="b", external_id="X-1")
    assert first.pk == again.pk != other_channel.pk
    assert Case.objects.count() == 2


def test_an_email_reply_joins_its_case_and_reopens_it(desk, agent) -> None:
    case = case_intake(
        channel="email",
        subject="Fee",
        body="Why this fee?",
        message_id="<q1@example.com>",
        sender_email="x@example.com",
    )
    case_transition(actor=agent, case_id=case.pk, to_status="in_progress")
    case_transition(actor=agent, case_id=case.pk, to_status="resolved", resolution="Refunded")
    reply = case_intake(
        channel="email",
        subject="Re: Fee",
        body="It is still there.",
        message_id="<q2@example.com>",
        in_reply_to="<q1@example.com>",
        references="<q1@example.com>",
        sender_email="x@example.com",
    )
    assert reply.pk == case.pk
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_PROGRESS and case.reopened_count == 1
    assert case.messages.filter(direction="inbound").count() == 2
    reopened = AuditEntry.objects.get(
        object_type="service.case", object_id=str(case.pk), summary__startswith="reopened"
    )
    assert reopened.changes["status"] == ["resolved", "in_progress"]


def test_an_answer_to_our_reply_threads_by_our_message_id(desk, agent) -> None:
    case = case_intake(channel="email", subject="Q", body="?", sender_email="y@example.com")
    ours = case.messages.filter(direction="outbound").first()
    assert ours is not None and ours.message_id
    joined = case_intake(
        channel="email",
        subject="Re",
        body="thanks",
        in_reply_to=ours.message_id,
        message_id="<a1@example.com>",
    )
    assert joined.pk == case.pk


def test_the_workflow_runs_to_close_and_asks_for_satisfaction(desk, agent) -> None:
    customer = CustomerFactory()
    ContactPointFactory(customer=customer, kind="email", value="c@example.com")
    case = case_intake(actor=agent, channel="phone", subject="s", body="b", customer=customer)
    case_transition(actor=agent, case_id=case.pk, to_status="in_progress")
    case.refresh_from_db()
    assert case.first_response_at is not None
    with pytest.raises(ValidationError):
        case_transition(actor=agent, case_id=case.pk, to_status="resolved")
    case_transition(actor=agent, case_id=case.pk, to_status="resolved", resolution="Card sent")
    case_transition(actor=agent, case_id=case.pk, to_status="answered")
    answer = case.messages.filter(template__code="answer-resolved").get()
    assert "Card sent" in answer.body
    case_transition(actor=agent, case_id=case.pk, to_status="closed")
    case.refresh_from_db()
    assert case.closed_at is not None
    assert case.messages.filter(template__code="satisfaction").exists()
    case_satisfaction_record(actor=agent, case_id=case.pk, score=4, comment="quick")
    case.refresh_from_db()
    assert case.satisfaction_score == 4
    with pytest.raises(ConflictError):
        case_transition(actor=agent, case_id=case.pk, to_status="in_progress")
    case_reopen(actor=agent, case_id=case.pk, reason="card never arrived")
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_PROGRESS and case.closed_at is None
    assert case.reopened_count == 1


def test_satisfaction_only_after_close(desk, agent) -> None:
    case = case_intake(actor=agent, channel="phone", subject="s", body="b")
    with pytest.raises(ConflictError):
        case_satisfaction_record(actor=agent, case_id=case.pk, score=5)


def test_a_reply_is_the_first_response(desk, agent) -> None:
    case = case_intake(actor=agent, channel="phone", subject="s", body="b")
    case_reply(actor=agent, case_id=case.pk, body="We are on it.")
    case.refresh_from_db()
    assert case.first_response_at is not None and case.status == CaseStatus.IN_PROGRESS
    case_reply(actor=agent, case_id=case.pk, body="Called the branch.", internal=True)
    # both the reply (which moved the case) and the internal note are in the audit log
    entries = AuditEntry.objects.filter(
        object_type="service.case", object_id=str(case.pk), actor=agent
    ).order_by("pk")
    reply, note = list(entries)[-2:]
    assert reply.summary.startswith("reply to the customer") and "status" in reply.changes
    assert note.summary.startswith("internal note")


# an article's answer pasted into a reply, with what an attacker might have slipped in
MARKDOWN_REPLY = """Dear Anna,
here is **what to do**:

1. Open the *app*
2. Read [our fees](https://bank.example/fees?a=1&b=2)

<script>alert("x")</script><img src=x onerror="alert(1)" alt="fees">
[click](javascript:alert(1))"""


def test_a_markdown_reply_is_mailed_as_text_and_sanitised_html(
    desk, agent, django_capture_on_commit_callbacks
) -> None:
    ContactPointFactory(kind="email", value="anna@example.com")
    case = case_intake(
        channel="email", subject="Fees", body="Why?", sender_email="anna@example.com"
    )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        case_reply(actor=agent, case_id=case.pk, body=MARKDOWN_REPLY)
    (email,) = mail.outbox
    (html, mimetype), *more = email.alternatives
    assert mimetype == "text/html" and not more
    assert "<strong>what to do</strong>" in html and "<ol>" in html
    assert 'href="https://bank.example/fees?a=1&amp;b=2"' in html
    assert "Anna,<br>" in html  # the letter's lines are kept
    lowered = html.lower()
    assert (
        "<script" not in lowered and "onerror" not in lowered and 'href="javascript' not in lowered
    )
    text = email.body
    assert text.startswith("Dear Anna,\nhere is what to do:")
    assert "1. Open the app\n2. Read our fees (https://bank.example/fees?a=1&b=2)" in text
    for raw in ("**", "*app*", "](https", "<", "&amp;", 'alert("x")', "onerror"):
        assert raw not in text
    # what the agent typed is what the case keeps
    assert case.messages.get(direction="outbound", body=MARKDOWN_REPLY)


def test_a_customers_words_in_a_template_are_no_link_in_our_mail(
    desk, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        case = case_intake(
            channel="email",
            kind="request",
            subject="[Reset your PIN here](https://phish.example/pin) *now*",
            body="b",
            sender_email="anna@example.com",
            sender_name="Anna <b>",
        )
    (email,) = mail.outbox
    html = email.alternatives[0][0]
    assert "phish.example" in html and "href" not in html and "<em>" not in html
    assert '"[Reset your PIN here](https://phish.example/pin) *now*"' in email.body
    assert "Dear Anna <b>," in email.body
    assert case.messages.get(direction="outbound").body.startswith("Dear Anna \\<b>,")


def test_round_robin_and_least_loaded(desk, agent) -> None:
    queue = desk["cards"]
    loads = [
        case_intake(
            actor=agent, channel="phone", subject=f"c{i}", body="b", product=desk["card"]
        ).assignee
        for i in range(4)
    ]
    assert loads.count(agent) == 2  # least loaded alternates between the two
    queue.strategy = "round_robin"
    queue.save()
    picks = [
        case_intake(
            actor=agent, channel="phone", subject=f"r{i}", body="b", product=desk["card"]
        ).assignee
        for i in range(2)
    ]
    assert picks[0] != picks[1]


def test_a_case_without_a_matching_queue_goes_to_the_default(desk, agent) -> None:
    case = case_intake(actor=agent, channel="phone", subject="s", body="b", product=desk["loan"])
    assert case.queue is not None and case.queue.is_default and case.assignee is None


def test_a_case_without_a_product_is_routed_by_its_category_s_usual_family(desk, agent) -> None:
    pin = "Cards / Blocked cards and PIN"
    for _ in range(9):  # the desk's history: this issue nearly always concerns a card
        case_intake(
            actor=agent, channel="phone", subject="s", body="b", product=desk["card"], category=pin
        )
    case_intake(
        actor=agent, channel="phone", subject="s", body="b", product=desk["loan"], category=pin
    )
    case = case_intake(actor=agent, channel="phone", subject="PIN", body="blocked", category=pin)
    assert case.product is None and case.queue == desk["cards"]
    # an issue spread over families decides nothing
    for product in ("card", "loan", "loan"):
        case_intake(
            actor=agent,
            channel="phone",
            subject="s",
            body="b",
            product=desk[product],
            category="Complaints / Waiting",
        )
    mixed = case_intake(
        actor=agent, channel="phone", subject="s", body="b", category="Complaints / Waiting"
    )
    assert mixed.queue is not None and mixed.queue.is_default


def test_sla_counts_business_hours_and_holidays(desk, agent) -> None:
    policy = SlaPolicy.objects.get(name="Request")
    Holiday.objects.create(calendar=policy.calendar, date=dt.date(2026, 11, 23))
    opened = dt.datetime(2026, 11, 20, 16, 0, tzinfo=dt.UTC)  # Friday 17:00 Berlin
    case = case_intake(actor=agent, channel="phone", subject="s", body="b", opened_at=opened)
    # 8 business hours: Friday is over, Monday is a holiday, so Tuesday 17:00 Berlin
    assert case.first_response_due == dt.datetime(2026, 11, 24, 16, 0, tzinfo=dt.UTC)


def test_a_call_the_agent_logs_is_answered_in_that_call(desk, agent) -> None:
    from ckm.service.services.timers import timers

    call = case_intake(actor=agent, channel="phone", subject="Card", body="Blocked card")
    assert call.first_response_at == call.opened_at
    assert timers(call)["first_response"].level == "met"
    # a letter, or a call a switchboard system reports without an agent, still waits for one
    letter = case_intake(actor=agent, channel="letter", subject="Card", body="Blocked card")
    system = case_intake(channel="phone", subject="Card", body="Blocked card", sender_phone="0171")
    assert letter.first_response_at is None and system.first_response_at is None


def test_the_sla_check_warns_then_escalates_once(desk, agent, manager) -> None:
    queue = desk["cards"]
    queue.team = manager.team
    queue.save()
    opened = dt.datetime(2026, 11, 16, 8, 0, tzinfo=dt.UTC)  # Monday 9:00 Berlin
    case = case_intake(
        actor=agent,
        channel="letter",
        subject="s",
        body="b",
        product=desk["card"],
        kind="complaint",
        opened_at=opened,
    )
    # first response due after 4 business hours (13:00 Berlin): at 12:30 the warning comes
    assert service_sla_check(now=opened + dt.timedelta(hours=3, minutes=30)) == {
        "warned": 1,
        "escalated": 0,
    }
    result = service_sla_check(now=opened + dt.timedelta(hours=5))
    assert result["escalated"] == 1
    case.refresh_from_db()
    assert case.escalated and case.priority == "high"
    escalation = AuditEntry.objects.get(
        object_type="service.case", object_id=str(case.pk), summary__startswith="escalated"
    )
    assert escalation.actor_label == "system" and escalation.changes["priority"][1] == "high"
    assert (
        "manager" in case.events.get(kind="escalated").summary.lower()
        or case.events.filter(kind="escalated").exists()
    )
    assert service_sla_check(now=opened + dt.timedelta(hours=6))["escalated"] == 0


def test_correcting_the_classification_is_flagged(desk, agent) -> None:
    case = case_intake(actor=agent, channel="phone", subject="s", body="b")
    case.classifier_version = "v1"
    case.suggested_category = "fees"
    case.save()
    case_correct(actor=agent, case_id=case.pk, category="card lost", product_id=desk["card"].pk)
    case.refresh_from_db()
    assert case.category_corrected and case.product_corrected
    assert case.events.filter(kind="corrected").exists()
    case_correct(actor=agent, case_id=case.pk, category="fees")
    case.refresh_from_db()
    assert not case.category_corrected


def test_assigning_moves_the_case_and_checks_the_agent(desk, agent, make_user) -> None:
    case = case_intake(actor=agent, channel="phone", subject="s", body="b", product=desk["loan"])
    case_assign(actor=agent, case_id=case.pk, queue_id=desk["cards"].pk)
    case.refresh_from_db()
    assert case.queue == desk["cards"] and case.assignee is not None
    pm = make_user(Role.PRODUCT_MANAGER, username="pm")
    with pytest.raises(ValidationError):
        case_assign(actor=agent, case_id=case.pk, assignee_id=pm.pk)


def test_roles_and_record_level_access(desk, agent, rm, rm_south, make_user, team_north) -> None:
    mine = CustomerFactory(team=team_north)
    case = case_intake(actor=agent, channel="phone", subject="s", body="b", customer=mine)
    from ckm.service.selectors import case_get

    assert case_get(user=rm, case_id=case.pk) == case
    with pytest.raises(NotFound):
        case_get(user=rm_south, case_id=case.pk)
    with pytest.raises(NotFound):
        case_transition(actor=rm_south, case_id=case.pk, to_status="in_progress")
    pm = make_user(Role.PRODUCT_MANAGER, username="pm")
    assert case_get(user=pm, case_id=case.pk) == case
    with pytest.raises(PermissionDenied):
        case_transition(actor=pm, case_id=case.pk, to_status="in_progress")
    with pytest.raises(PermissionDenied):
        case_intake(actor=pm, channel="phone", subject="s", body="b")


def test_markup_in_a_message_is_stripped(desk) -> None:
    case = case_intake(
        channel="portal", subject="<b>Hi</b>", body="<script>alert(1)</script>Card & PIN"
    )
    assert "<" not in case.subject and "script" not in case.body and "Card & PIN" in case.body


def test_holdings_feed_the_classifier_examples(desk) -> None:
    from ckm.service.services.classify import holdings_of

    customer = CustomerFactory()
    HoldingFactory(customer=customer, product=desk["card"])
    assert holdings_of([customer.pk]) == {customer.pk: ("cards",)}


def test_a_reopened_case_gets_a_fresh_resolution_target(desk, agent) -> None:
    from ckm.service.services.timers import timers

    case = case_intake(actor=agent, channel="phone", subject="Card", body="Blocked card")
    assert case.sla_policy_id and case.resolution_due
    case_transition(actor=agent, case_id=case.pk, to_status="in_progress")
    case_transition(actor=agent, case_id=case.pk, to_status="resolved", resolution="Unblocked")
    # resolved in time; the customer writes back a month later, long after the first target
    Case.objects.filter(pk=case.pk).update(
        opened_at=case.opened_at - dt.timedelta(days=31),
        resolution_due=case.resolution_due - dt.timedelta(days=31),
        resolved_at=case.resolution_due - dt.timedelta(days=32),
    )
    case_reopen(actor=agent, case_id=case.pk, reason="blocked again")
    case.refresh_from_db()
    assert case.reopened_at and case.resolution_due > case.reopened_at
    state = timers(case)["resolution"]
    assert state.level == "ok" and state.used_percent < 50
    assert case.events.filter(kind="reopened", summary__contains="resolve by").exists()


def _closed_case_asked_how_we_did(agent: Any) -> Any:
    customer = CustomerFactory()
    ContactPointFactory(customer=customer, kind="email", value="c@example.com")
    case = case_intake(actor=agent, channel="phone", subject="s", body="b", customer=customer)
    case_transition(actor=agent, case_id=case.pk, to_status="in_progress")
    case_transition(actor=agent, case_id=case.pk, to_status="resolved", resolution="Card sent")
    case_transition(actor=agent, case_id=case.pk, to_status="closed")
    return case.messages.get(template__code="satisfaction")


def test_a_number_in_reply_to_how_did_we_do_is_the_score_not_a_reopen(desk, agent) -> None:
    question = _closed_case_asked_how_we_did(agent)
    case = case_intake(
        channel="email",
        subject=f"Re: {question.subject}",
        body="5 - very quick, thank you!\n\nOn Mon, Customer service wrote:\n> How satisfied",
        message_id="<s1@example.com>",
        in_reply_to=question.message_id,
        references=question.message_id,
        sender_email="c@example.com",
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED and case.reopened_count == 0
    assert case.satisfaction_score == 5
    assert case.satisfaction_comment == "very quick, thank you!"
    assert case.messages.filter(message_id="<s1@example.com>").exists()


def test_a_reply_with_words_after_close_still_reopens(desk, agent) -> None:
    question = _closed_case_asked_how_we_did(agent)
    case = case_intake(
        channel="email",
        subject="Re",
        body="The card never arrived.",
        message_id="<s2@example.com>",
        in_reply_to=question.message_id,
        sender_email="c@example.com",
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_PROGRESS and case.satisfaction_score is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("4", (4, "")),
        ("  3/5\n", (3, "")),
        ("2. Too slow\nSecond line", (2, "Too slow Second line")),
        ("> 5 quoted\n1", (1, "")),
        ("10 days and nothing", None),
        ("6", None),
        ("Not solved", None),
        ("", None),
    ],
)
def test_a_score_is_read_from_the_start_of_a_reply(text: str, expected: Any) -> None:
    from ckm.service.services.intake import satisfaction_score_in

    assert satisfaction_score_in(text) == expected
