"""Input an API client should never send, answered with 4xx in the one error shape, never 500:
the cases a schema-driven fuzz of every operation found."""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
from collections import defaultdict

import pytest
from ninja import Schema

import ckm
from ckm.api.tests.test_api import bearer, get, send
from ckm.service.models import BusinessCalendar

pytestmark = pytest.mark.django_db

TOO_BIG = 2**63


def assert_refused(response, status: int, field: str | None = None) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert isinstance(body["detail"], str) and body["detail"]
    if field is not None:
        assert field in body["errors"], body
    return body


def test_an_id_beyond_64_bits_is_refused(client, agent, admin_user) -> None:
    assert_refused(get(client, "/customers", agent, owner_id=TOO_BIG), 422)
    assert_refused(get(client, "/cases", admin_user, queue_id=TOO_BIG), 422)
    assert_refused(get(client, "/knowledge/articles", agent, category_id=TOO_BIG), 422)


def test_a_date_beyond_the_calendar_is_refused(client, agent, north_customer) -> None:
    body = {
        "customer_id": north_customer.pk,
        "channel": "phone",
        "text": "x",
        "occurred_at": "0001-01-01T00:00:00+01:00",
    }
    assert_refused(send(client, "post", "/interactions", agent, body), 422)
    response = get(client, "/interactions", agent, since="0001-01-01T00:00:00+01:00")
    assert_refused(response, 422)


def test_a_null_where_a_field_cannot_be_empty_is_a_field_error(
    client, admin_user, north_customer
) -> None:
    path = f"/customers/{north_customer.pk}"
    for field in ("country", "last_name", "city"):
        response = send(client, "patch", path, admin_user, {field: None})
        assert "leave the field out" in assert_refused(response, 400, field)["errors"][field][0]
    # a date of birth may be cleared
    response = send(client, "patch", path, admin_user, {"date_of_birth": None})
    assert response.status_code == 200 and response.json()["date_of_birth"] is None


def test_an_article_patch_with_null_tags_is_refused(client, editor) -> None:
    created = send(client, "post", "/knowledge/articles", editor, {"title": "Fees", "body": "x"})
    assert created.status_code == 201
    response = send(
        client, "patch", f"/knowledge/articles/{created.json()['id']}", editor, {"tags": None}
    )
    assert_refused(response, 400, "tags")


def test_a_holiday_without_a_name_is_kept(client, manager) -> None:
    calendar = BusinessCalendar.objects.create(name="Berlin")
    response = send(
        client,
        "patch",
        f"/service/calendars/{calendar.pk}",
        manager,
        {"holidays": [{"date": "2026-12-24"}]},
    )
    assert response.status_code == 200, response.content
    assert calendar.holidays.get().date.isoformat() == "2026-12-24"


def test_a_broken_multipart_body_is_400(client, admin_user) -> None:
    response = client.post("/api/imports", content_type="multipart/form-data", **bearer(admin_user))
    assert_refused(response, 400)


def test_a_page_beyond_any_list_is_422(client, agent) -> None:
    assert_refused(get(client, "/customers", agent, page=10**17), 422)


def test_a_body_that_is_not_an_object_is_refused_with_the_reason(client, product_manager) -> None:
    for body in ("HELLO WORLD", [None, None], None, 3):
        response = send(client, "post", "/feedback/insights", product_manager, body)
        assert "must be a JSON object" in assert_refused(response, 400)["detail"]
    response = client.post(
        "/api/feedback/insights",
        data="{not json",
        content_type="application/json",
        **bearer(product_manager),
    )
    assert "could not be read" in assert_refused(response, 400)["detail"]


def test_a_misspelt_query_parameter_is_refused_not_ignored(client, agent, north_customer) -> None:
    response = get(client, "/interactions", agent, custmer_id=north_customer.pk)
    assert "Unknown query parameter" in str(assert_refused(response, 422, "custmer_id")["errors"])
    assert (
        get(client, "/interactions", agent, customer_id=north_customer.pk, page=1).status_code
        == 200
    )
    assert client.get("/api/customers").status_code == 401  # who you are is asked first
    assert client.get("/api/customers", {"nosuch": 1}).status_code == 401


def test_an_operation_without_query_parameters_refuses_one_too(
    client, agent, north_customer
) -> None:
    response = get(client, f"/customers/{north_customer.pk}", agent, expand="all")
    assert "Unknown query parameter" in str(assert_refused(response, 422, "expand")["errors"])
    assert get(client, f"/customers/{north_customer.pk}", agent).status_code == 200


def test_a_page_size_above_the_largest_is_refused_not_cut(client, agent, north_customer) -> None:
    response = get(client, "/interactions", agent, page_size=101)
    assert "At most 100" in str(assert_refused(response, 422, "page_size")["errors"])
    assert get(client, "/interactions", agent, page_size=100).status_code == 200


def test_a_form_where_json_is_read_is_415(client, admin_user) -> None:
    response = client.post(
        "/api/customers",
        data="kind=person&last_name=B",
        content_type="application/x-www-form-urlencoded",
        **bearer(admin_user),
    )
    assert "application/json" in assert_refused(response, 415)["detail"]


def test_unknown_routes_and_methods_answer_json(client, agent) -> None:
    assert assert_refused(get(client, "/cases/abc", agent), 404)["detail"] == "Not found."
    assert_refused(get(client, "/no-such-thing", agent), 404)
    response = client.delete("/api/customers", **bearer(agent))
    assert_refused(response, 405)


def test_the_agent_may_read_the_queues(client, agent) -> None:
    assert get(client, "/service/queues", agent).status_code == 200
    assert send(client, "post", "/service/queues", agent, {"name": "X"}).status_code == 403


def test_unknown_label_is_refused_before_training(client, admin_user) -> None:
    response = send(
        client, "post", "/analytics/models/train", admin_user, {"kind": "churn", "label": "nope"}
    )
    assert_refused(response, 400, "label")


def test_schema_names_are_unique_so_the_docs_describe_every_operation() -> None:
    # the OpenAPI schema keeps one model per class name: two apps' `JobOut` would document
    # one of them wrongly
    seen: dict[str, list[str]] = defaultdict(list)
    for module_info in pkgutil.walk_packages(ckm.__path__, "ckm."):
        name = module_info.name
        if ".tests" in name or not name.rsplit(".", 1)[-1].endswith(("api", "apikit")):
            continue
        module = importlib.import_module(name)
        for attr, obj in vars(module).items():
            if inspect.isclass(obj) and issubclass(obj, Schema) and obj.__module__ == name:
                seen[attr].append(name)
    assert {k: v for k, v in seen.items() if len(v) > 1} == {}


def test_the_docs_describe_the_error_answers(client, admin_user) -> None:
    from ckm.api.urls import api

    schema = api.get_openapi_schema()
    assert schema["components"]["schemas"]["Error"]["required"] == ["detail", "errors"]
    operations = [op for path in schema["paths"].values() for op in path.values()]
    assert operations and all(
        {"400", "403", "404", "422"} <= set(op["responses"]) for op in operations
    )
    with_body = [op for op in operations if "requestBody" in op]
    assert with_body and all("415" in op["responses"] for op in with_body)
    assert json.dumps(schema)  # serialisable as served at /api/openapi.json


def test_true_or_false_is_not_a_number_or_a_date(client, agent, north_customer) -> None:
    body = {"customer_id": False, "channel": "phone", "text": "x"}
    assert_refused(send(client, "post", "/interactions", agent, body), 422, "customer_id")
    body = {"customer_id": north_customer.pk, "channel": "phone", "text": "x", "occurred_at": True}
    assert_refused(send(client, "post", "/interactions", agent, body), 422, "occurred_at")


def test_agents_read_the_desk_settings_they_work_under(client, agent) -> None:
    for path in ("/service/sla-policies", "/service/calendars", "/service/reply-templates"):
        assert get(client, path, agent).status_code == 200, path


def test_a_unicode_digit_is_not_an_id(client, editor) -> None:
    created = send(client, "post", "/knowledge/articles", editor, {"title": "Fees", "body": "x"})
    article_id = created.json()["id"]
    send(client, "post", f"/knowledge/articles/{article_id}/publish", editor, {})
    body = {"text": "hello", "source": "case", "source_id": "²"}
    response = send(client, "post", f"/knowledge/articles/{article_id}/resolutions", editor, body)
    assert_refused(response, 404)


def test_true_is_a_value_where_any_value_may_be_given(client, marketer) -> None:
    body = {"match": "all", "conditions": [{"field": "alert:open", "op": "is_true", "value": True}]}
    response = send(client, "post", "/analytics/segments/preview", marketer, body)
    assert response.status_code == 200, response.content


def test_a_case_search_for_odd_digits_is_no_error(client, agent) -> None:
    for q in ("²", "C-99999999999999999999999"):
        assert get(client, "/cases", agent, q=q).status_code == 200, q


def test_every_refusal_has_the_same_two_keys(client, agent, marketer, south_customer) -> None:
    from ckm.api.tests.test_api import bearer

    answers = [
        client.get("/api/customers"),  # 401: no token
        client.get("/api/no-such-route", **bearer(agent)),  # 404: unknown route
        client.get("/api/customers/999999", **bearer(agent)),  # 404: no such record
        client.post(  # 403: a role without the right
            f"/api/customers/{south_customer.pk}/merge",
            data='{"other_id": 1}',
            content_type="application/json",
            **bearer(marketer),
        ),
        client.delete("/api/customers", **bearer(agent)),  # 405
    ]
    for response in answers:
        body = response.json()
        assert set(body) == {"detail", "errors"} and isinstance(body["errors"], dict), (
            response.status_code,
            body,
        )


def test_a_misspelt_field_is_refused_not_dropped(client, admin_user) -> None:
    body = {"kind": "person", "first_name": "A", "last_name": "B", "emial": "a@example.de"}
    assert_refused(send(client, "post", "/customers", admin_user, body), 422, "emial")


def test_a_time_without_an_offset_is_local_time(client, agent, north_customer) -> None:
    body = {"customer_id": north_customer.pk, "channel": "phone", "text": "x"}
    response = send(
        client, "post", "/interactions", agent, {**body, "occurred_at": "2026-01-07T10:00:00"}
    )
    assert response.status_code == 201, response.content
    assert response.json()["occurred_at"].startswith("2026-01-07T10:00:00+01:00")
    response = send(
        client, "post", "/cases", agent, {"body": "x", "opened_at": "2026-01-07T10:00:00"}
    )
    assert response.status_code == 201, response.content


def test_a_number_is_not_a_date_nor_false_an_id_in_a_list(client, agent, product_manager) -> None:
    response = send(client, "post", "/cases", agent, {"body": "x", "opened_at": 0})
    assert "YYYY-MM-DD" in str(assert_refused(response, 422, "opened_at")["errors"])
    response = send(
        client, "post", "/feedback/insights/1/link", product_manager, {"cases": [False]}
    )
    assert "not true or false" in str(assert_refused(response, 422, "cases")["errors"])


def test_an_amount_beyond_any_real_one_is_a_field_error(client, marketer) -> None:
    # a number no field of its own bounds more tightly (a business case's amounts have theirs)
    for amount in (1e308, 1e16):
        body = {"name": "Too many", "selection_value": amount}
        response = send(client, "post", "/campaigns", marketer, body)
        assert "10^15" in str(assert_refused(response, 422, "selection_value")["errors"])


def test_text_with_a_nul_character_is_refused(client, admin_user) -> None:
    body = {"kind": "person", "first_name": "A\u0000B", "last_name": "B"}
    assert_refused(send(client, "post", "/customers", admin_user, body), 422, "first_name")


# --- values the fuzz found accepted that nobody can mean ------------------------------------------


def test_a_segment_condition_with_nan_or_an_unknown_choice_is_a_field_error(
    client, marketer
) -> None:
    for condition in (
        {"field": "customer:age", "op": "gt", "value": "NaN"},
        {"field": "customer:tenure_years", "op": "gt", "value": "inf"},
        {"field": "value:clv", "op": "gt", "value": "NaN"},
        {"field": "customer:kind", "op": "eq", "value": "martian"},
        {"field": "holds:product", "op": "has", "value": "NOPE"},
        {"field": "customer:city", "op": "eq", "value": ["x"]},
        {"field": "holds:family", "op": "gt", "value": "savings"},
        {"field": "holds:family", "op": "has", "value": "yachts"},
    ):
        body = {"conditions": [condition]}
        response = send(client, "post", "/analytics/segments/preview", marketer, body)
        errors = assert_refused(response, 400, "definition")["errors"]["definition"]
        assert errors[0].startswith(condition["field"]), errors
    body = {"conditions": [{"field": "customer:age", "op": "gt", "value": 1e308}]}
    response = send(client, "post", "/analytics/segments/preview", marketer, body)
    assert_refused(response, 422, "conditions.0.value")


def test_a_reply_template_with_a_format_spec_is_refused(client, manager) -> None:
    body = {"code": "fzwide", "name": "wide", "subject": "s", "body": "{name:>5000000}"}
    response = send(client, "post", "/service/reply-templates", manager, body)
    assert "format" in assert_refused(response, 400, "body")["errors"]["body"][0]


def test_a_customer_id_is_trimmed_and_a_blank_one_is_none(client, admin_user) -> None:
    blank = {"kind": "person", "last_name": "Y", "external_id": " "}
    created = send(client, "post", "/customers", admin_user, blank)
    assert created.status_code == 201 and created.json()["external_id"].startswith("CKM-")
    first = send(client, "post", "/customers", admin_user, {**blank, "external_id": "C93"})
    assert first.status_code == 201 and first.json()["external_id"] == "C93"
    again = send(client, "post", "/customers", admin_user, {**blank, "external_id": "C93 "})
    assert_refused(again, 409)


def test_a_contact_logged_again_with_spaces_around_its_id_is_the_same_record(
    client, agent, north_customer
) -> None:
    contact = {"customer_id": north_customer.pk, "channel": "phone", "text": "x"}
    logged = send(client, "post", "/interactions", agent, {**contact, "external_id": "FZ-1"})
    retried = send(client, "post", "/interactions", agent, {**contact, "external_id": " FZ-1 "})
    assert (logged.status_code, retried.status_code) == (201, 200)
    assert retried.json()["id"] == logged.json()["id"] and retried.json()["external_id"] == "FZ-1"


def test_a_case_sent_again_with_a_space_before_its_id_is_answered_as_a_retry(client, agent) -> None:
    case = {"channel": "api", "subject": "s", "body": "b", "external_id": "FZC-1"}
    opened = send(client, "post", "/cases", agent, case)
    assert opened.status_code == 201, opened.content
    repeated = send(client, "post", "/cases", agent, {**case, "external_id": " FZC-1"})
    assert repeated.status_code == 200 and repeated.json()["id"] == opened.json()["id"]


def test_a_number_is_not_true_or_false(client, admin_user, north_customer) -> None:
    path = f"/customers/{north_customer.pk}"
    for body, where in (
        ({"purpose": "marketing", "channel": "email", "granted": 0}, "consents"),
        ({"kind": "web", "value": "example.de", "primary": 1}, "contact-points"),
        ({"kind": "note", "label": "x", "recurring": 0}, "facts"),
    ):
        method = "put" if where == "consents" else "post"
        response = send(client, method, f"{path}/{where}", admin_user, body)
        field = next(k for k, v in body.items() if isinstance(v, int))
        assert "true or false" in str(assert_refused(response, 422, field)["errors"])
    assert not north_customer.consents.exists() and not north_customer.personal_facts.exists()
    response = send(
        client,
        "put",
        f"{path}/consents",
        admin_user,
        {"purpose": "marketing", "channel": "email", "granted": False},
    )
    assert response.status_code == 200, response.content


def test_a_number_in_a_query_is_not_a_date(client, agent, admin_user) -> None:
    # read as seconds since 1970, `since=0` would answer every contact without a word
    for path, user, params in (
        ("/interactions", agent, {"since": "0"}),
        ("/interactions", agent, {"since": "0.5"}),
        ("/cases", admin_user, {"opened_to": "1733600000"}),
        ("/audit", admin_user, {"until": "-1e3"}),
    ):
        (name,) = params
        response = get(client, path, user, **params)
        assert "YYYY-MM-DD" in str(assert_refused(response, 422, name)["errors"]), path
    assert get(client, "/interactions", agent, since="2026-01-01").status_code == 200
    assert get(client, "/audit", admin_user, until="2026-01-01").status_code == 200
    response = send(client, "post", "/cases", agent, {"body": "x", "opened_at": "1733600000"})
    assert_refused(response, 422, "opened_at")


def test_the_docs_tell_each_lists_largest_page_size(client, agent) -> None:
    from ckm.api.urls import api

    paths = api.get_openapi_schema(path_prefix="/api/")["paths"]

    def largest(path: str) -> int:
        (param,) = [p for p in paths[path]["get"]["parameters"] if p["name"] == "page_size"]
        (number,) = [s for s in param["schema"]["anyOf"] if s["type"] == "integer"]
        return int(number["maximum"])

    assert largest("/api/customers") == 100
    assert largest("/api/imports/{run_id}/issues") == 200  # a list whose own size is larger
    response = get(client, "/interactions", agent, page_size=largest("/api/interactions"))
    assert response.status_code == 200, response.content
    response = get(client, "/interactions", agent, page_size=largest("/api/interactions") + 1)
    assert_refused(response, 422, "page_size")


def test_the_docs_admit_what_the_api_takes(client, admin_user, north_customer) -> None:
    # a PATCH refuses null except where it clears a field; a number beyond a database integer
    # or an amount beyond 10^15 is refused: the schema says so, so a client following it is
    # not refused
    from ckm.api.urls import api

    schemas = api.get_openapi_schema(path_prefix="/api/")["components"]["schemas"]
    patch = schemas["CustomerPatch"]["properties"]
    assert patch["last_name"]["type"] == "string" and "anyOf" not in patch["last_name"]
    assert {"type": "null"} in patch["date_of_birth"]["anyOf"]
    queue = schemas["QueuePatch"]["properties"]
    assert {"type": "null"} in queue["team_id"]["anyOf"] and "anyOf" not in queue["active"]
    assert queue["product_ids"]["items"]["maximum"] == 2**63 - 1
    assert queue["rank"]["maximum"] == 32767  # a tighter limit stays
    assert schemas["SlaPolicyIn"]["properties"]["resolution_hours"]["maximum"] == 1e15
    path = f"/customers/{north_customer.pk}"
    assert_refused(send(client, "patch", path, admin_user, {"last_name": None}), 400, "last_name")
    response = send(client, "patch", path, admin_user, {"date_of_birth": None})
    assert response.status_code == 200, response.content
