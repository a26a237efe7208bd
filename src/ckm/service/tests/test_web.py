"""Pages and API of the service app: login and permissions, the workflow through the pages,
the profile panel, the API's 4xx answers, paging and idempotency."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ckm.core.services import api_token_create
from ckm.customers.tests.factories import ContactPointFactory, CustomerFactory
from ckm.service import services
from ckm.service.models import Case, CaseStatus
from ckm.service.services import case_intake

pytestmark = pytest.mark.django_db


def bearer(user: Any) -> dict[str, str]:
    _, key = api_token_create(user=user, name="test")
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


@pytest.mark.parametrize("url", ["/cases/", "/cases/classifier/", "/cases/1/"])
def test_every_page_needs_a_login(client, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_the_case_list_shows_queues_and_timers(login, desk, agent) -> None:
    for i in range(3):
        case_intake(
            actor=agent, channel="phone", subject=f"Card {i}", body="b", product=desk["card"]
        )
    client = login(agent)
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/cases/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Card 2" in html and "Cards" in html and 'data-level="ok"' in html
    assert len(queries) < 25


def test_a_marketer_may_not_open_cases(login, desk, marketer) -> None:
    assert login(marketer).get("/cases/").status_code == 403


def test_an_agent_logs_a_phone_case_on_the_profile(login, desk, agent) -> None:
    customer = CustomerFactory()
    client = login(agent)
    profile = client.get(f"/customers/{customer.pk}/").content.decode()
    assert 'id="cases-panel"' in profile and 'id="case-form"' in profile
    response = client.post(
        f"/cases/log/{customer.pk}/",
        {
            "channel": "phone",
            "kind": "complaint",
            "priority": "normal",
            "product": str(desk["card"].pk),
            "subject": "Card swallowed",
            "body": "The ATM kept my card.",
            "idempotency_key": "k1",
        },
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200 and "opened" in response.content.decode()
    assert response["HX-Trigger"] == "timeline-changed"
    case = Case.objects.get()
    assert case.customer == customer and case.queue == desk["cards"]
    again = client.post(
        f"/cases/log/{customer.pk}/",
        {
            "channel": "phone",
            "kind": "complaint",
            "priority": "normal",
            "subject": "Card swallowed",
            "body": "The ATM kept my card.",
            "idempotency_key": "k1",
        },
        HTTP_HX_REQUEST="true",
    )
    assert again.status_code == 200 and Case.objects.count() == 1


def test_the_workflow_through_the_case_page(login, desk, agent) -> None:
    case = case_intake(actor=agent, channel="phone", subject="s", body="b")
    client = login(agent)
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert 'data-step="in_progress"' in page and 'id="sla-timers"' in page
    client.post(f"/cases/{case.pk}/transition/", {"to_status": "in_progress"})
    client.post(f"/cases/{case.pk}/transition/", {"to_status": "resolved", "resolution": "Done"})
    resolved = client.get(f"/cases/{case.pk}/").content.decode()
    # back to work only by Reopen, which asks why
    assert 'data-step="reopen"' in resolved and 'data-step="in_progress"' not in resolved
    client.post(f"/cases/{case.pk}/transition/", {"to_status": "answered"})
    client.post(f"/cases/{case.pk}/transition/", {"to_status": "closed"})
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED
    client.post(f"/cases/{case.pk}/satisfaction/", {"score": "5", "comment": "great"})
    case.refresh_from_db()
    assert case.satisfaction_score == 5
    response = client.post(f"/cases/{case.pk}/transition/", {"to_status": "in_progress"})
    assert response.status_code == 302  # refused with a message, not an error page
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert "cannot become" in page and 'data-step="reopen"' in page


def _assign_controls(page: str) -> int:
    """Forms that assign the case, and buttons that say Assign."""
    return page.count('/assign/"') + len(re.findall(r'data-step="assigned"', page))


def test_a_reopened_case_has_one_assign_control(login, desk, agent) -> None:
    case = case_intake(actor=agent, channel="phone", subject="s", body="b")
    client = login(agent)
    assert _assign_controls(client.get(f"/cases/{case.pk}/").content.decode()) == 1
    client.post(f"/cases/{case.pk}/transition/", {"to_status": "in_progress"})
    client.post(f"/cases/{case.pk}/transition/", {"to_status": "resolved", "resolution": "Done"})
    client.post(f"/cases/{case.pk}/reopen/", {"reason": "It broke again."})
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_PROGRESS
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert _assign_controls(page) == 1
    assert len(re.findall(r">\s*Assign\s*</button>", page)) == 1
    assert 'data-step="resolved"' in page  # the work goes on from the reopened case


def test_the_case_page_shows_our_replies_rendered_and_the_customers_words_as_typed(
    login, desk, agent
) -> None:
    case = case_intake(actor=agent, channel="phone", subject="s", body="My **card** is <b>gone</b>")
    client = login(agent)
    client.post(
        f"/cases/{case.pk}/reply/",
        {"body": "Please **call us**: [fees](https://bank.example/f)\n\n<script>alert(1)</script>"},
    )
    page = client.get(f"/cases/{case.pk}/").content.decode()
    outbound = page.split('class="message-item message-outbound"')[-1].split("</article>")[0]
    assert "<strong>call us</strong>" in outbound and "**" not in outbound
    assert 'href="https://bank.example/f"' in outbound and "<script" not in outbound
    inbound = page.split('class="message-item message-inbound"')[1].split("</article>")[0]
    assert "My **card** is gone" in inbound and "<strong>card" not in inbound
    history = page.split('id="case-history"')[1].split("</ol>")[0]
    assert "Reply sent: Please call us: fees (https://bank.example/f)" in history


def test_a_refused_step_keeps_what_was_typed_and_says_why(login, desk, agent) -> None:
    case = case_intake(actor=agent, channel="phone", subject="s", body="b")
    client = login(agent)
    long_reply = "Dear customer, " + "x" * 20_000
    client.post(f"/cases/{case.pk}/reply/", {"body": long_reply})
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert "Reply: Ensure this value has at most 20000 characters" in page and long_reply in page
    assert long_reply not in client.get(f"/cases/{case.pk}/").content.decode()  # kept once
    client.post(f"/cases/{case.pk}/transition/", {"to_status": "in_progress"})
    client.post(f"/cases/{case.pk}/transition/", {"to_status": "resolved", "resolution": "Done"})
    answer = "We fixed it. " + "y" * 20_000
    client.post(f"/cases/{case.pk}/transition/", {"to_status": "answered", "answer": answer})
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert f">{answer}</textarea>" in page and "Answer: " in page
    reason = "It broke again. " * 40
    client.post(f"/cases/{case.pk}/reopen/", {"reason": reason})
    case.refresh_from_db()
    assert case.status == CaseStatus.RESOLVED  # refused, not cut short
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert "at most 500 characters" in page and reason.strip() in page


def test_a_refused_internal_note_comes_back_as_an_internal_note(login, desk, agent) -> None:
    case = case_intake(actor=agent, channel="phone", subject="s", body="b")
    client = login(agent)
    note = "On the fraud watch list. " + "x" * 20_000
    client.post(f"/cases/{case.pk}/reply/", {"body": note, "internal": "on"})
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert note in page
    # the box still ticked: Send after shortening it must not write the note to the customer
    assert '<input type="checkbox" name="internal" id="id_internal" checked>' in page
    client.post(f"/cases/{case.pk}/reply/", {"body": "Dear customer, " + "y" * 20_000})
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert '<input type="checkbox" name="internal" id="id_internal">' in page


def test_api_creates_lists_and_moves_cases(client, desk, agent) -> None:
    auth = bearer(agent)
    customer = CustomerFactory(external_id="K-1")
    payload = {
        "channel": "letter",
        "kind": "complaint",
        "subject": "Letter",
        "body": "I write to complain about the fee.",
        "customer_external_id": "K-1",
        "external_id": "LTR-1",
    }
    created = client.post(
        "/api/cases", json.dumps(payload), content_type="application/json", **auth
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["customer_id"] == customer.pk and body["reference"].startswith("C-")
    again = client.post("/api/cases", json.dumps(payload), content_type="application/json", **auth)
    assert again.status_code == 200 and again.json()["id"] == body["id"]
    unknown = {**payload, "customer_external_id": "NOPE", "external_id": "LTR-2"}
    refused = client.post(
        "/api/cases", json.dumps(unknown), content_type="application/json", **auth
    )
    assert refused.status_code == 400 and "customer_external_id" in refused.json()["errors"]
    assert Case.objects.filter(external_id="LTR-2").count() == 0
    listing = client.get("/api/cases?status=open&kind=complaint", **auth).json()
    assert listing["count"] == 1 and listing["items"][0]["timers"]["first_response"]["level"]
    moved = client.post(
        f"/api/cases/{body['id']}/transition",
        json.dumps({"to_status": "resolved"}),
        content_type="application/json",
        **auth,
    )
    assert moved.status_code == 400 and "resolution" in moved.json()["errors"]
    closed = client.post(
        f"/api/cases/{body['id']}/transition",
        json.dumps({"to_status": "answered"}),
        content_type="application/json",
        **auth,
    )
    assert closed.status_code == 409


def test_api_validation_and_record_access(client, desk, agent, rm_south, south_customer) -> None:
    auth = bearer(agent)
    bad = client.post(
        "/api/cases",
        json.dumps({"channel": "fax", "body": ""}),
        content_type="application/json",
        **auth,
    )
    assert bad.status_code in (400, 422)
    unknown_product = client.post(
        "/api/cases",
        json.dumps({"body": "x", "product": "NOPE"}),
        content_type="application/json",
        **auth,
    )
    assert unknown_product.status_code == 400 and "product" in unknown_product.json()["errors"]
    case = case_intake(actor=agent, channel="chat", subject="chat", body="transcript")
    assert client.get(f"/api/cases/{case.pk}", **auth).status_code == 200
    linked = client.post(
        f"/api/cases/{case.pk}/link",
        json.dumps({"customer_id": south_customer.pk}),
        content_type="application/json",
        **auth,
    )
    assert linked.status_code == 200 and linked.json()["customer_id"] == south_customer.pk
    other = bearer(rm_south)
    assert client.get(f"/api/cases/{case.pk}", **other).status_code == 200
    north = CustomerFactory()
    hidden = case_intake(actor=agent, channel="phone", subject="x", body="y", customer=north)
    assert client.get(f"/api/cases/{hidden.pk}", **other).status_code == 404
    assert client.get("/api/cases/999999", **auth).status_code == 404
    assert client.post("/api/cases/classifier/train", **auth).status_code == 403


def test_this_article_answered_it_is_evidence_for_knowledge(login, desk, agent) -> None:
    from ckm.knowledge.models import ArticleEvidence
    from ckm.knowledge.tests.factories import ArticleFactory

    article = ArticleFactory()
    case = case_intake(actor=agent, channel="phone", subject="Lost card", body="Card is gone")
    client = login(agent)
    assert client.get(f"/cases/{case.pk}/").status_code == 200
    client.post(f"/cases/{case.pk}/answered-by/", {"article": str(article.pk)})
    client.post(f"/cases/{case.pk}/answered-by/", {"article": str(article.pk)})
    evidence = ArticleEvidence.objects.get(article=article, source="case")
    assert evidence.source_id == str(case.pk) and "Card is gone" in evidence.text


def test_when_no_suggestion_fits_the_agent_searches_and_attaches_from_the_case(
    login, desk, agent, editor
) -> None:
    from ckm.knowledge import services as knowledge
    from ckm.knowledge.models import ArticleEvidence

    article = knowledge.article_publish(
        actor=editor,
        article=knowledge.article_create(
            actor=editor,
            title="Why was my card declined?",
            body_source="A card payment is declined when the limit is reached.",
            category="Cards",
            audience="internal",
        ),
    )
    case = case_intake(
        actor=agent, channel="phone", subject="Hotel payment", body="It did not go through"
    )
    client = login(agent)
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert 'id="case-article-q"' in page
    found = client.get(
        f"/cases/{case.pk}/articles/", {"q": "card declined"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "Why was my card declined?" in found and "This article answered it" in found
    # without htmx the case page itself shows what was found
    response = client.get(f"/cases/{case.pk}/articles/", {"q": "card declined"})
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert 'data-testid="case-article-hits"' in page and "Why was my card declined?" in page
    client.post(f"/cases/{case.pk}/answered-by/", {"article": str(article.pk)})
    assert ArticleEvidence.objects.filter(article=article, source_id=str(case.pk)).exists()
    nothing = client.get(
        f"/cases/{case.pk}/articles/", {"q": "zzzqqq"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "No article has these words" in nothing


def test_roles_without_customer_records_see_the_name_not_a_dead_link(
    login, desk, agent, product_manager
) -> None:
    customer = CustomerFactory(first_name="Clara", last_name="Weiss")
    case = case_intake(actor=agent, channel="phone", subject="s", body="b", customer=customer)
    link = f'href="/customers/{customer.pk}/"'
    assert link in login(agent).get(f"/cases/{case.pk}/").content.decode()
    page = login(product_manager).get(f"/cases/{case.pk}/").content.decode()
    assert "Clara Weiss" in page and link not in page


def test_a_manager_sees_another_teams_case_without_a_link_that_would_be_a_404(
    login, desk, agent, manager, north_customer, south_customer
) -> None:
    own = case_intake(actor=agent, channel="phone", subject="s", body="b", customer=north_customer)
    other = case_intake(
        actor=agent, channel="phone", subject="s", body="b", customer=south_customer
    )
    client = login(manager)
    assert client.get(f"/customers/{south_customer.pk}/").status_code == 404
    listed = client.get("/cases/").content.decode()
    assert f'href="/customers/{north_customer.pk}/"' in listed
    assert "Südmann" in listed and f'href="/customers/{south_customer.pk}/"' not in listed
    page = client.get(f"/cases/{other.pk}/").content.decode()
    assert "Südmann" in page and f'href="/customers/{south_customer.pk}/"' not in page
    page = client.get(f"/cases/{own.pk}/").content.decode()
    assert f'href="/customers/{north_customer.pk}/"' in page


def test_the_queue_strip_counts_the_cases_the_user_may_see(
    desk, agent, rm, north_customer, south_customer
) -> None:
    from ckm.service.selectors import queue_overview

    for customer in (north_customer, south_customer, None):
        case_intake(
            actor=agent,
            channel="phone",
            subject="Card",
            body="b",
            product=desk["card"],
            customer=customer,
        )
    cards = {row.queue.name: row for row in queue_overview(user=agent)}["Cards"]
    assert cards.open == 3  # each case once, though the queue has two members
    mine = {row.queue.name: row for row in queue_overview(user=rm)}["Cards"]
    assert mine.open == 2  # the north customer's and the unknown contact's, not the south's


def test_the_next_page_of_the_case_list_stays_on_the_open_cases(login, desk, agent) -> None:
    """The Next link sends only ?page=2: it must not drop the list's default filter and page through
    every closed case (page 1 said "1 of 2", page 2 "2 of 89")."""
    for i in range(51):
        case_intake(actor=agent, channel="phone", subject=f"Open {i}", body="b")
    closed = [
        case_intake(actor=agent, channel="phone", subject=f"Long closed {i}", body="b").pk
        for i in range(50)
    ]
    Case.objects.filter(pk__in=closed).update(status=CaseStatus.CLOSED)
    client = login(agent)
    first = client.get("/cases/").content.decode()
    second = client.get("/cases/?page=2").content.decode()
    assert "Page 1 of 2" in first and "Page 2 of 2" in second
    assert "Long closed" not in first + second
    # "Any status" is still a choice of its own
    assert "Long closed" in client.get("/cases/?status=&q=Long").content.decode()


def test_a_refused_satisfaction_says_what_is_wrong_and_keeps_the_comment(
    login, desk, agent
) -> None:
    case = case_intake(actor=agent, channel="phone", subject="s", body="b")
    Case.objects.filter(pk=case.pk).update(status=CaseStatus.CLOSED)
    client = login(agent)
    comment = "Very kind on the phone. " * 30
    client.post(f"/cases/{case.pk}/satisfaction/", {"score": "5", "comment": comment})
    case.refresh_from_db()
    assert case.satisfaction_score is None
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert "Give a score from 1 to 5" not in page
    assert "Comment: Ensure this value has at most 500 characters" in page
    assert comment.strip() in page and 'maxlength="500"' in page


def test_a_case_from_an_unknown_contact_is_linked_by_searching_the_customer(
    login, desk, agent, settings
) -> None:
    jorg = CustomerFactory(first_name="Jörg", last_name="Schulte")
    other = CustomerFactory(first_name="Jörg", last_name="Schuster", owner=desk["agent2"])
    case = case_intake(
        channel="email", subject="Card", body="b", sender_email="js@example.org", sender_name="JS"
    )
    client = login(agent)
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert "CKM number" not in page and 'name="customer_id"' not in page
    assert 'id="case-link-q"' in page and 'value="js@example.org"' in page  # the sender, to start

    found = client.get(
        f"/cases/{case.pk}/link/customers/", {"link_q": "schul jö"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "Jörg Schulte" in found and "Schuster" not in found
    assert f'name="customer_id" value="{jorg.pk}"' in found
    # two of one name are told apart by what the agent can check against the sender
    ContactPointFactory(customer=jorg, kind="email", value="j.schulte@example.org")
    jorg.date_of_birth = dt.date(1971, 3, 4)
    jorg.save(update_fields=["date_of_birth"])
    found = client.get(
        f"/cases/{case.pk}/link/customers/", {"link_q": "schul jö"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "j.schulte@example.org" in found and "born 1971-03-04" in found
    # without htmx the case page shows the same list
    page = client.get(f"/cases/{case.pk}/link/customers/", {"link_q": "jörg"}, follow=True)
    assert "Jörg Schulte" in page.content.decode() and "Schuster" in page.content.decode()

    # only the customers the agent may see
    settings.CKM_CUSTOMER_SCOPE = {**settings.CKM_CUSTOMER_SCOPE, "agent": "team"}
    scoped = client.get(
        f"/cases/{case.pk}/link/customers/", {"link_q": "jörg"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "Schulte" not in scoped and "Schuster" not in scoped
    other.owner = agent
    other.save(update_fields=["owner"])
    scoped = client.get(
        f"/cases/{case.pk}/link/customers/", {"link_q": "jörg"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "Schuster" in scoped and "Schulte" not in scoped

    settings.CKM_CUSTOMER_SCOPE = {**settings.CKM_CUSTOMER_SCOPE, "agent": "all"}
    response = client.post(f"/cases/{case.pk}/link/", {"customer_id": jorg.pk})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.customer == jorg


def test_open_cases_are_listed_by_their_next_sla_target_overdue_first(login, desk, agent) -> None:
    import datetime as dt

    from django.utils import timezone

    now = timezone.now()
    soon, overdue, later = (
        case_intake(actor=agent, channel="letter", subject=s, body="b", product=desk["card"])
        for s in ("Soon", "Overdue", "Later")
    )
    answered = case_intake(
        actor=agent, channel="letter", subject="Answered", body="b", product=desk["card"]
    )
    for case, due in ((soon, 2), (overdue, -3), (later, 30)):
        Case.objects.filter(pk=case.pk).update(
            first_response_due=now + dt.timedelta(hours=due),
            resolution_due=now + dt.timedelta(hours=due + 48),
        )
    # its first answer is given: its next target is the resolution, in 10 hours
    Case.objects.filter(pk=answered.pk).update(
        first_response_at=now - dt.timedelta(hours=1),
        first_response_due=now - dt.timedelta(hours=5),
        resolution_due=now + dt.timedelta(hours=10),
    )
    client = login(agent)

    def order(url: str) -> list[str]:
        html = client.get(url).content.decode()
        subjects = ["Soon", "Overdue", "Later", "Answered"]
        return sorted(subjects, key=lambda s: html.index(f'title="{s}"'))

    assert order("/cases/") == ["Overdue", "Soon", "Answered", "Later"]
    assert order("/cases/?status=open&order=newest") == ["Answered", "Later", "Overdue", "Soon"]
    assert order("/cases/?status=") == ["Answered", "Later", "Overdue", "Soon"]  # a history


def test_the_header_counts_link_to_their_lists(login, desk, agent) -> None:
    mine = case_intake(actor=agent, channel="phone", subject="Mine", body="b", product=desk["card"])
    Case.objects.filter(pk=mine.pk).update(assignee=agent)
    waiting = case_intake(
        actor=agent, channel="phone", subject="Waiting", body="b", product=desk["card"]
    )
    Case.objects.filter(pk=waiting.pk).update(assignee=None)
    client = login(agent)
    html = client.get("/cases/").content.decode()
    assert 'href="?status=open"' in html and 'href="?status=open&unassigned=on"' in html
    listed = client.get("/cases/?status=open&unassigned=on").content.decode()
    assert 'title="Waiting"' in listed and 'title="Mine"' not in listed


def test_the_case_page_shows_what_the_customer_wrote_once(login, desk, agent) -> None:
    from django.utils import timezone

    # a case from cases.csv (or a letter) has no message of its own: its body opens the thread
    imported = Case.objects.create(
        channel="letter",
        subject="Fee",
        body="Since when do you charge 7.50 at other banks' cash machines?",
        opened_at=timezone.now(),
        status="received",
        queue=desk["cards"],
        sender_name="G. Shevchenko",
    )
    page = login(agent).get(f"/cases/{imported.pk}/").content.decode()
    messages = page[page.index('id="messages"') :]
    assert "Since when do you charge 7.50" in messages and "No messages." not in messages
    assert "G. Shevchenko" in messages and imported.messages.count() == 0
    # a case taken in with its message shows that message, not the body a second time
    taken = case_intake(actor=agent, channel="phone", subject="s", body="The ATM kept my card.")
    page = login(agent).get(f"/cases/{taken.pk}/").content.decode()
    assert page[page.index('id="messages"') :].count("The ATM kept my card.") == 1


def test_linking_an_unknown_contact_brings_the_cases_history_onto_the_timeline(
    login, desk, agent
) -> None:
    from ckm.customers.models import CustomerEvent

    case = case_intake(
        channel="portal",
        kind="complaint",
        subject="Money taken twice",
        body="The ATM took 200 EUR twice.",
        sender_name="Sabine Neu",
        sender_email="sabine.neu@example.org",
    )
    assert case.customer is None
    customer = CustomerFactory(first_name="Sabine", last_name="Wolff")
    client = login(agent)
    client.post(f"/cases/{case.pk}/link/", {"customer_id": str(customer.pk)})
    kinds = set(
        CustomerEvent.objects.filter(customer=customer, payload__case_id=case.pk).values_list(
            "kind", flat=True
        )
    )
    # what happened before the link is on the timeline too, not only the link itself
    assert {"case_opened", "case_acknowledged", "case_linked"} <= kinds
    assert "case_classified" not in kinds
    opened = CustomerEvent.objects.get(customer=customer, kind="case_opened")
    assert opened.occurred_at == case.opened_at
    timeline = client.get(f"/customers/{customer.pk}/timeline/").content.decode()
    assert "Money taken twice" in timeline


def test_the_case_page_shows_the_customers_other_cases(login, desk, agent) -> None:
    customer = CustomerFactory(first_name="Giulia", last_name="Shevchenko")
    earlier = case_intake(
        actor=agent,
        channel="email",
        subject="Fee for cash at another bank",
        body="Why?",
        customer=customer,
    )
    services.case_transition(actor=agent, case_id=earlier.pk, to_status="in_progress")
    services.case_transition(
        actor=agent, case_id=earlier.pk, to_status="resolved", resolution="Fee refunded as goodwill"
    )
    still_open = case_intake(
        actor=agent, channel="phone", subject="On hold for 45 minutes", body="x", customer=customer
    )
    case = case_intake(
        actor=agent, channel="email", subject="Charged again", body="y", customer=customer
    )
    stranger = case_intake(
        actor=agent, channel="phone", subject="Someone else's", body="z", customer=CustomerFactory()
    )
    page = login(agent).get(f"/cases/{case.pk}/").content.decode()
    other = page.split('id="other-cases"')[1].split("</section>")[0]
    assert earlier.reference in other and "Fee refunded as goodwill" in other
    assert still_open.reference in other and "On hold for 45 minutes" in other
    assert case.reference not in other and stranger.reference not in other


def test_the_case_list_finds_cases_by_the_customers_name_email_or_phone(login, desk, agent) -> None:
    from ckm.customers.tests.factories import ContactPointFactory

    giulia = CustomerFactory(first_name="Giulia", last_name="Shevchenko")
    ContactPointFactory(customer=giulia, kind="email", value="g.shevchenko@example.com")
    ContactPointFactory(customer=giulia, kind="phone", value="030 1234567")
    # logged on her profile: the case keeps no sender name or address of its own
    hers = case_intake(
        actor=agent, channel="phone", subject="Fee for cash", body="b", customer=giulia
    )
    other = case_intake(
        actor=agent, channel="phone", subject="Other", body="b", customer=CustomerFactory()
    )
    client = login(agent)
    for q in ("Shevchenko", "shevchenko giulia", "g.shevchenko@example.com", "+49 30 1234567"):
        page = client.get("/cases/", {"status": "", "q": q}).content.decode()
        assert hers.reference in page and other.reference not in page, q


def test_a_reply_to_a_customer_without_e_mail_says_it_was_not_sent(login, desk, agent) -> None:
    from ckm.customers.tests.factories import ContactPointFactory

    no_mail = CustomerFactory(first_name="Karl-Heinz", last_name="Huber")
    ContactPointFactory(customer=no_mail, kind="phone", value="0711 555123")
    case = case_intake(
        actor=agent, channel="phone", subject="Call back", body="b", customer=no_mail
    )
    client = login(agent)
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert "No e-mail address" in page and "0711 555123" in page
    answer = client.post(
        f"/cases/{case.pk}/reply/", {"body": "The branch manager calls you tomorrow."}, follow=True
    ).content.decode()
    assert "Reply sent." not in answer
    assert "recorded on the case, not sent" in answer and "0711 555123" in answer

    with_mail = CustomerFactory()
    ContactPointFactory(customer=with_mail, kind="email", value="anna@example.com")
    other = case_intake(actor=agent, channel="phone", subject="Q", body="b", customer=with_mail)
    assert "E-mailed to anna@example.com" in client.get(f"/cases/{other.pk}/").content.decode()
    sent = client.post(f"/cases/{other.pk}/reply/", {"body": "Done."}, follow=True)
    assert "Reply sent." in sent.content.decode()
