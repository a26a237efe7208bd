"""The REST API: token auth, permissions, record access, validation answers, paging, filters."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from django.test import Client

from ckm.core.models import AuditEntry
from ckm.core.services import api_token_create
from ckm.core.tests.package_files import write_package
from ckm.customers.tests.factories import CustomerFactory, HoldingFactory, TransactionFactory
from ckm.interactions.models import Interaction

pytestmark = pytest.mark.django_db


def bearer(user) -> dict[str, str]:
    _, key = api_token_create(user=user, name="test")
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def get(client: Client, path: str, user=None, **params):
    headers = bearer(user) if user else {}
    return client.get(f"/api{path}", params, **headers)


def send(client: Client, method: str, path: str, user, body) -> object:
    return getattr(client, method)(
        f"/api{path}", data=json.dumps(body), content_type="application/json", **bearer(user)
    )


def test_no_token_is_401_not_a_login_page(client) -> None:
    response = client.get("/api/customers")
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")


def test_a_wrong_or_revoked_token_is_401(client, agent) -> None:
    assert client.get("/api/customers", HTTP_AUTHORIZATION="Bearer ckm_nope").status_code == 401
    from ckm.core.services import api_token_revoke

    token, key = api_token_create(user=agent, name="t")
    api_token_revoke(user=agent, token_id=token.pk)
    assert client.get("/api/customers", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 401


def test_me_tells_role_and_permissions(client, agent) -> None:
    body = get(client, "/me", agent).json()
    assert body["role"] == "agent" and "interactions.add_interaction" in body["permissions"]


def test_me_lists_every_permission_for_the_administrator(client, admin_user, make_user) -> None:
    from django.contrib.auth.models import Permission

    from ckm.core.models import Role
    from ckm.core.roles import role_permissions

    root = make_user(Role.AGENT, username="root", is_superuser=True)
    for user in (admin_user, root):
        permissions = set(get(client, "/me", user).json()["permissions"])
        assert len(permissions) >= Permission.objects.count()
        assert role_permissions(Role.MANAGER) | {"customers.add_customer"} <= permissions


def test_customer_list_is_paged_and_filtered(
    client, agent, north_customer, south_customer, team_south
) -> None:
    body = get(client, "/customers", agent).json()
    assert body["count"] == 2
    body = get(client, "/customers", agent, team_id=team_south.pk).json()
    assert [c["external_id"] for c in body["items"]] == [south_customer.external_id]
    body = get(client, "/customers", agent, q="anna").json()
    assert [c["display_name"] for c in body["items"]] == ["Anna Schmidt"]


def test_another_teams_customer_is_404_for_a_relationship_manager(
    client, rm, north_customer, south_customer
) -> None:
    assert get(client, f"/customers/{south_customer.pk}", rm).status_code == 404
    assert get(client, f"/customers/by-id/{south_customer.external_id}", rm).status_code == 404
    assert [c["id"] for c in get(client, "/customers", rm, q="Südmann").json()["items"]] == []
    assert get(client, f"/customers/{north_customer.pk}", rm).status_code == 200


def test_reading_a_customer_is_audited(client, agent, north_customer) -> None:
    get(client, f"/customers/{north_customer.pk}", agent)
    assert AuditEntry.objects.filter(
        action="view", customer_ref=north_customer.pk, actor=agent
    ).exists()


def test_invalid_input_is_4xx_with_field_errors(client, admin_user) -> None:
    response = send(client, "post", "/customers", admin_user, {"kind": "robot"})
    assert response.status_code == 422
    body = response.json()
    # one shape for every refusal: a sentence for people, the field errors for programs
    assert set(body) == {"detail", "errors"} and body["detail"].startswith("Invalid input: kind")
    assert list(body["errors"]) == ["kind"] and "person" in body["errors"]["kind"][0]
    response = send(
        client, "post", "/customers", admin_user, {"kind": "person", "first_name": "Only"}
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {"last_name": ["A person needs a last name."]}
    # every problem at once, under the names the client sent
    response = send(
        client,
        "post",
        "/customers",
        admin_user,
        {"kind": "person", "first_name": "Only", "email": "no-at-sign", "phone": "12"},
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "last_name": ["A person needs a last name."],
        "email": ["Not an e-mail address."],
        "phone": ["Not a phone number."],
    }
    response = send(
        client,
        "post",
        "/customers",
        admin_user,
        {"kind": "person", "last_name": "X", "owner": "ghost"},
    )
    assert response.status_code == 400 and "owner" in response.json()["errors"]
    response = client.get("/api/customers?owner_id=abc", **bearer(admin_user))
    assert response.status_code == 422 and list(response.json()["errors"]) == ["owner_id"]
    response = send(
        client,
        "post",
        "/customers",
        admin_user,
        {"kind": "person", "last_name": "X", "date_of_birth": "31.12.1990"},
    )
    assert response.status_code == 422


def test_create_and_patch_a_customer(client, admin_user) -> None:
    response = send(
        client,
        "post",
        "/customers",
        admin_user,
        {
            "kind": "person",
            "first_name": "Lea",
            "last_name": "Kurz",
            "email": "lea@example.com",
            "external_id": "X1",
        },
    )
    assert response.status_code == 201, response.content
    customer_id = response.json()["id"]
    assert (
        send(
            client,
            "post",
            "/customers",
            admin_user,
            {"kind": "person", "last_name": "Dup", "external_id": "X1"},
        ).status_code
        == 409
    )
    response = send(client, "patch", f"/customers/{customer_id}", admin_user, {"city": "Bonn"})
    assert response.status_code == 200 and response.json()["city"] == "Bonn"
    response = send(
        client, "patch", f"/customers/{customer_id}", admin_user, {"country": "Germany"}
    )
    assert response.status_code == 422
    # a field the customer API does not change is an error, not a silent no-op
    response = send(
        client, "patch", f"/customers/{customer_id}", admin_user, {"kind": "alien", "city": "Ulm"}
    )
    assert response.status_code == 422 and "kind" in str(response.json())
    assert get(client, f"/customers/{customer_id}", admin_user).json()["city"] == "Bonn"


def test_permissions_are_enforced(client, marketer, north_customer) -> None:
    response = send(client, "patch", f"/customers/{north_customer.pk}", marketer, {"city": "X"})
    assert response.status_code == 403
    assert get(client, f"/customers/{north_customer.pk}/facts", marketer).status_code in (200, 403)


def test_holdings_transactions_and_products(client, agent, north_customer) -> None:
    holding = HoldingFactory(customer=north_customer)
    TransactionFactory(customer=north_customer)
    assert (
        get(client, f"/customers/{north_customer.pk}/holdings", agent).json()[0]["product"]
        == holding.product.name
    )
    assert get(client, f"/customers/{north_customer.pk}/transactions", agent).json()["count"] == 1
    assert get(client, "/products", agent).json()["count"] == 1


def test_facts_and_consents(client, rm, north_customer) -> None:
    response = send(
        client,
        "post",
        f"/customers/{north_customer.pk}/facts",
        rm,
        {"kind": "family", "label": "Wife", "value": "Maria"},
    )
    assert response.status_code == 201
    assert get(client, f"/customers/{north_customer.pk}/facts", rm).json()[0]["value"] == "Maria"
    response = send(
        client,
        "put",
        f"/customers/{north_customer.pk}/consents",
        rm,
        {"purpose": "marketing", "channel": "email", "granted": True},
    )
    assert response.status_code == 200
    assert get(client, f"/customers/{north_customer.pk}/consents", rm).json()[0]["granted"] is True
    response = send(
        client,
        "put",
        f"/customers/{north_customer.pk}/consents",
        rm,
        {"purpose": "x", "channel": "email", "granted": True},
    )
    assert response.status_code == 422


def test_logging_an_interaction_is_idempotent_by_external_id(client, agent, north_customer) -> None:
    body = {
        "customer_id": north_customer.pk,
        "channel": "phone",
        "text": "Asked about fees",
        "external_id": "call-1",
    }
    first = send(client, "post", "/interactions", agent, body)
    second = send(client, "post", "/interactions", agent, body)
    assert (first.status_code, second.status_code) == (201, 200)  # the retry is answered as such
    assert first.json()["id"] == second.json()["id"]
    assert Interaction.objects.count() == 1
    listed = get(
        client, "/interactions", agent, customer_id=north_customer.pk, channel="phone"
    ).json()
    assert listed["count"] == 1
    assert (
        send(
            client,
            "post",
            "/interactions",
            agent,
            {"customer_id": north_customer.pk, "channel": "pigeon", "text": "x"},
        ).status_code
        == 422
    )
    assert (
        send(
            client,
            "post",
            "/interactions",
            agent,
            {"customer_id": north_customer.pk, "channel": "phone"},
        ).status_code
        == 400
    )


def test_interactions_of_invisible_customers_are_404(client, rm, south_customer) -> None:
    assert get(client, "/interactions", rm, customer_id=south_customer.pk).status_code == 404
    body = {"customer_id": south_customer.pk, "channel": "phone", "text": "x"}
    assert send(client, "post", "/interactions", rm, body).status_code == 404


def test_upload_a_package_and_read_its_report(
    client, admin_user, tmp_path: Path, django_capture_on_commit_callbacks
) -> None:
    folder = write_package(
        tmp_path / "p", holdings="customer_id,product_id,opened\nC1,NOPE,2020-01-01\n"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for path in folder.iterdir():
            zf.write(path, path.name)
    buffer.seek(0)
    buffer.name = "package.zip"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/api/imports", {"package": buffer}, **bearer(admin_user))
    assert response.status_code == 202, response.content
    run_id = response.json()["id"]
    report = get(client, f"/imports/{run_id}", admin_user).json()
    assert report["status"] == "partial"
    issues = get(client, f"/imports/{run_id}/issues", admin_user).json()["items"]
    assert issues[0]["line"] == 2 and issues[0]["column"] == "product_id"


def test_upload_rejects_anything_but_a_zip(client, admin_user) -> None:
    upload = io.BytesIO(b"customer_id\n")
    upload.name = "customers.csv"
    response = client.post("/api/imports", {"package": upload}, **bearer(admin_user))
    assert response.status_code == 400 and "package" in response.json()["errors"]


def test_agents_may_not_import_or_read_the_audit_log(client, agent, settings, tmp_path) -> None:
    assert get(client, "/imports", agent).status_code == 403
    assert get(client, "/audit", agent).status_code == 403
    settings.VAR_DIR = tmp_path
    upload = io.BytesIO(b"PK" + b"x" * 10_000)
    upload.name = "package.zip"
    response = client.post("/api/imports", {"package": upload}, **bearer(agent))
    assert response.status_code == 403
    assert not (tmp_path / "uploads").exists() or not any((tmp_path / "uploads").iterdir())


def test_openapi_schema_and_docs(client, agent) -> None:
    schema = client.get("/api/openapi.json")
    assert schema.status_code in (302, 401)  # docs and schema need a login
    assert client.get("/api/openapi.json", HTTP_AUTHORIZATION="Bearer ckm_nope").status_code == 302
    # or a token: a client generates its code from the schema
    by_token = client.get("/api/openapi.json", **bearer(agent))
    assert by_token.status_code == 200 and "/api/customers" in by_token.json()["paths"]
    client.force_login(agent)
    schema = client.get("/api/openapi.json").json()
    assert "/api/customers" in schema["paths"]
    docs = client.get("/api/docs")
    page = docs.content.lower()
    # every asset is served by us (a CSRF token in the page may spell "cdn" by chance)
    assert docs.status_code == 200 and b"cdn." not in page and b"//cdn" not in page
    assert b'src="http' not in page and b'href="http' not in page


def test_session_auth_needs_csrf_for_writes(agent, north_customer) -> None:
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(agent)
    assert csrf_client.get("/api/me").status_code == 200
    response = csrf_client.post(
        "/api/interactions",
        data=json.dumps({"customer_id": north_customer.pk, "channel": "phone", "text": "x"}),
        content_type="application/json",
    )
    assert response.status_code in (401, 403)


def test_many_customers_list_in_a_fixed_number_of_queries(
    client, agent, django_assert_max_num_queries
) -> None:
    for _ in range(30):
        CustomerFactory()
    headers = bearer(agent)
    with django_assert_max_num_queries(8):
        assert client.get("/api/customers", **headers).json()["count"] == 30
