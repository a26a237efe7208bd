"""The agent's side panel on the customer profile: suggestions for the latest message, "used this"
records the answer, abstention offers search, and nobody sees another team's messages."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from ckm.core.models import AuditEntry
from ckm.interactions.tests.factories import InteractionFactory
from ckm.knowledge.models import ArticleEvidence

pytestmark = pytest.mark.django_db


def panel_url(interaction: Any) -> str:
    return reverse("suggestions:panel") + f"?source=interaction&source_id={interaction.pk}"


def test_profile_shows_the_panel_for_the_latest_customer_message(
    trained: Any, login: Any, agent: Any, north_customer: Any
) -> None:
    InteractionFactory(customer=north_customer, direction="outbound", text="We called back.")
    message = InteractionFactory(
        customer=north_customer, direction="inbound", subject="", text="My new card never arrived"
    )
    client = login(agent)
    profile = client.get(f"/customers/{north_customer.pk}/").content.decode()
    assert 'data-testid="suggestions-panel"' in profile
    assert panel_url(message).replace("&", "&amp;") in profile

    html = client.get(panel_url(message)).content.decode()
    assert "Card delivery" in html
    assert f"model v{trained.version}" in html
    assert "Used this" in html


def test_used_this_records_the_message_as_evidence(
    trained: Any, desk: dict[str, Any], login: Any, agent: Any, north_customer: Any
) -> None:
    message = InteractionFactory(
        customer=north_customer, direction="inbound", subject="", text="card still not here"
    )
    card = desk["Card delivery"]
    client = login(agent)
    response = client.post(
        reverse("suggestions:use"),
        {"article": card.pk, "source": "interaction", "source_id": message.pk, "text": "forged"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert "Recorded" in response.content.decode()
    evidence = ArticleEvidence.objects.get(source="interaction", source_id=str(message.pk))
    assert evidence.article == card
    assert evidence.customer == north_customer
    assert evidence.text == "card still not here"  # the interaction's own text, not the form's
    assert AuditEntry.objects.filter(action="create", object_id=str(evidence.pk)).exists()
    # idempotent: a second click adds nothing
    client.post(
        reverse("suggestions:use"),
        {"article": card.pk, "source": "interaction", "source_id": message.pk},
    )
    assert ArticleEvidence.objects.filter(source_id=str(message.pk)).count() == 1


def test_abstention_says_so_and_offers_search(
    trained: Any, login: Any, agent: Any, north_customer: Any
) -> None:
    message = InteractionFactory(
        customer=north_customer, direction="inbound", subject="", text="qwxz vbnmpl trrrk zzyx"
    )
    html = login(agent).get(panel_url(message)).content.decode()
    assert "No confident answer" in html
    assert 'data-testid="suggestion"' not in html
    assert reverse("knowledge:search") in html


def test_another_teams_message_is_not_found(
    trained: Any, login: Any, rm: Any, south_customer: Any, desk: dict[str, Any]
) -> None:
    message = InteractionFactory(customer=south_customer, direction="inbound", text="card?")
    client = login(rm)
    assert client.get(panel_url(message)).status_code == 404
    response = client.post(
        reverse("suggestions:use"),
        {"article": desk["Card delivery"].pk, "source": "interaction", "source_id": message.pk},
    )
    assert response.status_code == 404
    assert not ArticleEvidence.objects.filter(source_id=str(message.pk)).exists()


def test_a_case_page_can_ask_for_a_free_text_message(trained: Any, login: Any, agent: Any) -> None:
    html = (
        login(agent)
        .get(
            reverse("suggestions:panel"),
            {"source": "case", "source_id": "77", "text": "forgot my password"},
        )
        .content.decode()
    )
    assert "Reset your password" in html
    assert 'name="text" value="forgot my password"' in html


def test_panel_needs_login(client: Any) -> None:
    response = client.get(reverse("suggestions:panel"))
    assert response.status_code == 302
