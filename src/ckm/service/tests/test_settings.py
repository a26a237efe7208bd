"""The managers' service settings: the services' rules and audit entries, the pages (tabs, a
create/edit round trip, members and holidays, 403 for agents) and the API (201, 400/422 with field
errors, 403)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ckm.core.models import AuditEntry
from ckm.core.services import api_token_create
from ckm.service.models import BusinessCalendar, Queue, QueueMember, ReplyTemplate, SlaPolicy
from ckm.service.services import desk_settings as ds
from ckm.service.services.timers import calendar_of
from ckm.service.sla import DEFAULT_HOURS

pytestmark = pytest.mark.django_db


def bearer(user: Any) -> dict[str, str]:
    _, key = api_token_create(user=user, name="test")
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def errors_of(call: Any) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        call()
    return caught.value.message_dict


def policy(**overrides: Any) -> ds.SlaPolicyFields:
    return ds.SlaPolicyFields(
        **{"name": "VIP complaints", "kind": "complaint", "priority": "high", **overrides}
    )


# --- services -----------------------------------------------------------------------------------


def test_sla_policy_create_is_audited_with_its_values(manager) -> None:
    row = ds.sla_policy_create(actor=manager, fields=policy(first_response_hours=2))
    entry = AuditEntry.objects.get(object_type="service.slapolicy", object_id=str(row.pk))
    assert entry.action == AuditEntry.Action.CREATE and entry.actor == manager
    assert entry.changes["after"]["first_response_hours"] == 2


def test_sla_policy_update_audits_the_difference(manager) -> None:
    row = ds.sla_policy_create(actor=manager, fields=policy())
    ds.sla_policy_update(actor=manager, policy_id=row.pk, fields=policy(resolution_hours=30))
    entry = AuditEntry.objects.filter(object_type="service.slapolicy").latest("pk")
    assert entry.action == AuditEntry.Action.UPDATE
    assert entry.changes == {"resolution_hours": [40.0, 30.0]}


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"warn_at_percent": 95, "escalate_at_percent": 95}, "warn_at_percent"),
        ({"warn_at_percent": 0}, "warn_at_percent"),
        ({"escalate_at_percent": 101}, "escalate_at_percent"),
        ({"first_response_hours": 0}, "first_response_hours"),
        ({"resolution_hours": -1}, "resolution_hours"),
        ({"first_response_hours": 10, "resolution_hours": 5}, "resolution_hours"),
        ({"first_response_hours": float("inf")}, "first_response_hours"),
        ({"name": "  "}, "name"),
        ({"kind": "bogus"}, "kind"),
        ({"calendar_id": 99999}, "calendar_id"),
        ({"escalate_to_id": 99999}, "escalate_to_id"),
    ],
)
def test_sla_policy_rules_give_field_errors(manager, overrides: dict[str, Any], field: str) -> None:
    errors = errors_of(lambda: ds.sla_policy_create(actor=manager, fields=policy(**overrides)))
    assert field in errors
    assert not SlaPolicy.objects.exists()


def test_names_are_unique_whatever_the_case(manager) -> None:
    ds.sla_policy_create(actor=manager, fields=policy())
    errors = errors_of(
        lambda: ds.sla_policy_create(actor=manager, fields=policy(name="vip COMPLAINTS"))
    )
    assert errors["name"] == ["An SLA policy named 'vip COMPLAINTS' already exists."]


def test_a_name_taken_between_the_check_and_the_save_is_a_field_error(manager) -> None:
    ds.sla_policy_create(actor=manager, fields=policy())
    twin = SlaPolicy(name="VIP complaints")  # another save that passed the check at the same time
    errors = errors_of(lambda: ds._save_unique(twin, "An SLA policy named"))
    assert errors["name"] == ["An SLA policy named 'VIP complaints' already exists."]
    assert SlaPolicy.objects.filter(name="VIP complaints").count() == 1


def test_an_agent_may_not_change_settings(agent) -> None:
    with pytest.raises(PermissionDenied):
        ds.sla_policy_create(actor=agent, fields=policy())
    with pytest.raises(PermissionDenied):
        ds.queue_create(actor=agent, fields=ds.QueueFields(name="Mine"))
    assert not AuditEntry.objects.filter(object_type__startswith="service.").exists()


def test_calendar_hours_keep_the_format_the_sla_clock_reads(manager) -> None:
    hours = {"0": [["13:00", "17:00"], ["08:00", "12:00"]], "5": [["10:00", "24:00"]]}
    calendar = ds.calendar_create(
        actor=manager,
        fields=ds.CalendarFields(
            name="Support", time_zone="Europe/Vienna", hours=hours, holidays=[]
        ),
    )
    assert calendar.hours["0"] == [["08:00", "12:00"], ["13:00", "17:00"]]
    assert calendar.hours["1"] == [] and set(calendar.hours) == {str(d) for d in range(7)}
    clock = calendar_of(calendar)
    assert clock.spans[0][0] == (dt.time(8), dt.time(12)) and clock.spans[5][0][1] == dt.time.max
    assert clock.spans[1] == [] and clock.time_zone == "Europe/Vienna"


def test_a_calendar_closed_all_week_is_not_read_as_the_default(manager) -> None:
    calendar = ds.calendar_create(actor=manager, fields=ds.CalendarFields(name="Closed"))
    assert not calendar_of(calendar).has_open_hours()


@pytest.mark.parametrize(
    ("fields", "field", "text"),
    [
        ({"hours": {"0": [["17:00", "09:00"]]}}, "hours", "Monday: opening 17:00 must be before"),
        ({"hours": {"2": [["9am", "17:00"]]}}, "hours", "Wednesday: times are HH:MM"),
        (
            {"hours": {"4": [["09:00", "13:00"], ["12:00", "17:00"]]}},
            "hours",
            "Friday: the spans overlap",
        ),
        ({"hours": {"7": []}}, "hours", "Weekdays are 0 (Monday) to 6"),
        ({"time_zone": "Mars/Olympus"}, "time_zone", "is not a time zone"),
    ],
)
def test_calendar_rules_give_field_errors(
    manager, fields: dict[str, Any], field: str, text: str
) -> None:
    values = {"name": "Support", "hours": DEFAULT_HOURS, **fields}
    errors = errors_of(
        lambda: ds.calendar_create(actor=manager, fields=ds.CalendarFields(**values))
    )
    assert text in " ".join(errors[field])


def test_holidays_are_added_and_removed_with_audit(manager) -> None:
    calendar = ds.calendar_create(actor=manager, fields=ds.CalendarFields(name="Support"))
    holiday = ds.holiday_add(
        actor=manager, calendar_id=calendar.pk, date=dt.date(2026, 12, 25), name="Christmas"
    )
    errors = errors_of(
        lambda: ds.holiday_add(actor=manager, calendar_id=calendar.pk, date=dt.date(2026, 12, 25))
    )
    assert "already a holiday" in errors["date"][0]
    assert dt.date(2026, 12, 25) in calendar_of(calendar).holidays
    ds.holiday_remove(actor=manager, calendar_id=calendar.pk, holiday_id=holiday.pk)
    assert not calendar.holidays.exists()
    changes = AuditEntry.objects.filter(object_type="service.businesscalendar").latest("pk")
    assert changes.changes == {"holidays": [[["2026-12-25", "Christmas"]], []]}


def test_only_one_default_calendar_and_queue(manager) -> None:
    first = ds.calendar_create(actor=manager, fields=ds.CalendarFields(name="A", is_default=True))
    ds.calendar_create(actor=manager, fields=ds.CalendarFields(name="B", is_default=True))
    first.refresh_from_db()
    assert not first.is_default
    ds.queue_create(actor=manager, fields=ds.QueueFields(name="General", is_default=True))
    ds.queue_create(actor=manager, fields=ds.QueueFields(name="Other", is_default=True))
    assert list(Queue.objects.filter(is_default=True).values_list("name", flat=True)) == ["Other"]


def test_queue_with_members_and_skills(manager, desk) -> None:
    queue = ds.queue_create(
        actor=manager,
        fields=ds.QueueFields(
            name="Loans",
            product_ids=[desk["loan"].pk],
            product_families=[" Loans ", "loans"],
            kinds=["complaint"],
            categories=["rate", " rate"],
            strategy="round_robin",
            rank=5,
            members=[ds.MemberFields(user_id=desk["agent2"].pk, skills=["rate"])],
        ),
    )
    assert queue.product_families == ["loans"] and queue.categories == ["rate"]
    member = QueueMember.objects.get(queue=queue)
    assert member.user == desk["agent2"] and member.skills == ["rate"]
    ds.queue_member_save(
        actor=manager, queue_id=queue.pk, user_id=desk["agent2"].pk, skills=[], active=False
    )
    member.refresh_from_db()
    assert member.skills == [] and not member.active
    entry = AuditEntry.objects.filter(object_type="service.queue").latest("pk")
    assert entry.changes["members"][1] == [
        {"user_id": desk["agent2"].pk, "skills": [], "active": False}
    ]


def test_queue_rules_give_field_errors(manager, desk) -> None:
    errors = errors_of(
        lambda: ds.queue_create(
            actor=manager,
            fields=ds.QueueFields(
                name="Cards",
                product_ids=[99999],
                kinds=["bogus"],
                strategy="random",
                members=[ds.MemberFields(user_id=99999)],
            ),
        )
    )
    assert set(errors) == {"name", "product_ids", "kinds", "strategy", "members"}


def test_the_default_queue_is_not_deactivated(manager, desk) -> None:
    general = Queue.objects.get(is_default=True)
    errors = errors_of(lambda: ds.queue_deactivate(actor=manager, queue_id=general.pk))
    assert errors == {
        "active": [
            f"“{general.name}” is the default queue: it takes the cases no other queue's rules "
            "match, so it cannot be deactivated. Make another queue the default first."
        ]
    }
    assert Queue.objects.get(pk=general.pk).active
    cards = ds.queue_deactivate(actor=manager, queue_id=desk["cards"].pk)
    assert not cards.active and cards.memberships.count() == 2


def test_reply_template_placeholders_are_checked(manager) -> None:
    fields = ds.ReplyTemplateFields(
        code="Late-Answer", name="Late", subject="About {reference}", body="Dear {nme}, {"
    )
    errors = errors_of(lambda: ds.reply_template_create(actor=manager, fields=fields))
    assert "brace" in errors["body"][0]
    fields = ds.ReplyTemplateFields(
        code="Late-Answer", name="Late", subject="About {reference}", body="Dear {nme}"
    )
    errors = errors_of(lambda: ds.reply_template_create(actor=manager, fields=fields))
    assert "{nme}" in errors["body"][0]
    row = ds.reply_template_create(
        actor=manager,
        fields=ds.ReplyTemplateFields(
            code="Late-Answer", name="Late", subject="About {reference}", body="Dear {name}"
        ),
    )
    assert row.code == "late-answer"
    assert not ds.reply_template_deactivate(actor=manager, template_id=row.pk).active


@pytest.mark.parametrize(
    "body", ["{name:>5000000}", "Dear {name!r}", "{reference:x}", "{name!s:^9}"]
)
def test_a_placeholder_with_a_format_or_a_conversion_is_refused(manager, body: str) -> None:
    fields = ds.ReplyTemplateFields(code="wide", name="Wide", subject="s", body=body)
    errors = errors_of(lambda: ds.reply_template_create(actor=manager, fields=fields))
    assert "format or a conversion" in errors["body"][0]
    assert not ReplyTemplate.objects.filter(code="wide").exists()


def test_a_template_stored_with_a_format_renders_each_placeholder_as_it_is(desk, agent) -> None:
    from ckm.service.services import case_intake
    from ckm.service.services.replies import render

    case = case_intake(actor=agent, channel="phone", subject="Card", body="b")
    text = render("{reference:>5000000} {subject!r} {name.upper} {{x}} {nme}.", case)
    assert text == f"{case.reference} Card  {{x}} ."
    assert render("Dear {name", case) == "Dear {name"


# --- pages --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["/cases/settings/", "/cases/settings/sla/", "/cases/settings/queues/new/"]
)
def test_settings_pages_need_a_login(client, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.parametrize(
    "url",
    [
        "/cases/settings/",
        "/cases/settings/queues/",
        "/cases/settings/sla/new/",
        "/cases/settings/calendars/",
        "/cases/settings/templates/",
    ],
)
def test_an_agent_gets_403_on_settings(login, desk, agent, url: str) -> None:
    assert login(agent).get(url).status_code == 403


def test_an_agent_may_not_post_settings(login, desk, agent) -> None:
    client = login(agent)
    response = client.post("/cases/settings/sla/new/", {"name": "x"})
    assert response.status_code == 403
    response = client.post(f"/cases/settings/queues/{desk['cards'].pk}/deactivate/")
    assert response.status_code == 403
    assert Queue.objects.get(pk=desk["cards"].pk).active


def test_the_default_queue_offers_no_deactivate_and_a_post_is_refused(login, desk, manager) -> None:
    general = Queue.objects.get(is_default=True)
    client = login(manager)
    page = client.get("/cases/settings/queues/").content.decode()
    rows = {
        row.split("</a>")[0].rsplit(">", 1)[-1]: row
        for row in page.split('id="settings-table"')[1].split("<tr>")[2:]
    }
    assert "Deactivate" not in rows[general.name]
    assert "default queue takes the cases no rule matches" in rows[general.name]
    assert "Deactivate" in rows[desk["cards"].name]
    response = client.post(f"/cases/settings/queues/{general.pk}/deactivate/", follow=True)
    assert "is the default queue" in response.content.decode()
    assert "cannot be deactivated" in response.content.decode()
    assert Queue.objects.get(pk=general.pk).active


def test_the_case_list_links_settings_for_managers_only(login, desk, agent, manager) -> None:
    assert "Service settings" not in login(agent).get("/cases/").content.decode()
    html = login(manager).get("/cases/").content.decode()
    assert 'id="service-settings-link"' in html


def test_every_settings_tab_renders(login, desk, manager) -> None:
    client = login(manager)
    assert client.get("/cases/settings/")["Location"] == "/cases/settings/queues/"
    for tab, text in [
        ("queues", "Cards"),
        ("sla", "Complaint, urgent"),
        ("calendars", "Office hours"),
        ("templates", "ack-complaint"),
    ]:
        response = client.get(f"/cases/settings/{tab}/")
        assert response.status_code == 200 and text in response.content.decode()
        new = client.get(f"/cases/settings/{tab}/new/")
        assert new.status_code == 200 and 'id="settings-form"' in new.content.decode()
    assert client.get("/cases/settings/nothing/").status_code == 404


def test_the_queue_list_does_not_query_per_queue(login, desk, manager) -> None:
    client = login(manager)
    client.get("/cases/settings/queues/")
    with CaptureQueriesContext(connection) as before:
        client.get("/cases/settings/queues/")
    for i in range(5):
        ds.queue_create(
            actor=manager,
            fields=ds.QueueFields(
                name=f"Q{i}",
                product_ids=[desk["card"].pk],
                members=[ds.MemberFields(user_id=desk["agent2"].pk)],
            ),
        )
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/cases/settings/queues/")
    assert response.status_code == 200 and "Q4" in response.content.decode()
    assert len(queries) == len(before)


def test_sla_policy_round_trip_in_the_pages(login, desk, manager) -> None:
    client = login(manager)
    calendar = BusinessCalendar.objects.get(is_default=True)
    data = {
        "name": "Gold",
        "kind": "complaint",
        "priority": "",
        "first_response_hours": "2",
        "resolution_hours": "16",
        "warn_at_percent": "70",
        "escalate_at_percent": "90",
        "calendar_id": str(calendar.pk),
        "escalate_to_id": "",
        "active": "on",
    }
    response = client.post("/cases/settings/sla/new/", data)
    assert response.status_code == 302
    row = SlaPolicy.objects.get(name="Gold")
    assert row.calendar == calendar and row.first_response_hours == 2
    page = client.get(f"/cases/settings/sla/{row.pk}/").content.decode()
    assert 'value="Gold"' in page and 'value="70"' in page
    bad = client.post(
        f"/cases/settings/sla/{row.pk}/", {**data, "warn_at_percent": "95", "name": "Gold"}
    )
    assert bad.status_code == 422
    assert "The warning comes before the escalation" in bad.content.decode()
    response = client.post(f"/cases/settings/sla/{row.pk}/", {**data, "resolution_hours": "20"})
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.resolution_hours == 20
    client.post(f"/cases/settings/sla/{row.pk}/deactivate/")
    row.refresh_from_db()
    assert not row.active


def test_queue_round_trip_with_members_in_the_pages(login, desk, manager, office) -> None:
    client = login(manager)
    response = client.post(
        "/cases/settings/queues/new/",
        {
            "name": "Loans",
            "strategy": "round_robin",
            "rank": "20",
            "team_id": "",
            "kinds": ["complaint", "request"],
            "categories": "rate, fees",
            "product_families": "loans",
            "product_ids": [str(desk["loan"].pk)],
            "office_ids": [str(office.pk)],
            "active": "on",
        },
    )
    queue = Queue.objects.get(name="Loans")
    assert response["Location"] == f"/cases/settings/queues/{queue.pk}/"
    assert queue.categories == ["rate", "fees"] and list(queue.offices.all()) == [office]
    response = client.post(
        f"/cases/settings/queues/{queue.pk}/members/",
        {"user_id": desk["agent2"].pk, "skills": "rate", "active": "on"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200 and "agent2" in response.content.decode()
    assert QueueMember.objects.get(queue=queue).skills == ["rate"]
    edit = client.get(f"/cases/settings/queues/{queue.pk}/").content.decode()
    assert 'value="rate, fees"' in edit and 'id="members"' in edit


def test_calendar_page_parses_hours_and_manages_holidays(login, desk, manager) -> None:
    client = login(manager)
    hours = {f"hours_{d}": "" for d in range(7)}
    response = client.post(
        "/cases/settings/calendars/new/",
        {
            "name": "Hotline",
            "time_zone": "Europe/London",
            **hours,
            "hours_0": "8:00-12:00, 13:00-18:00",
        },
    )
    calendar = BusinessCalendar.objects.get(name="Hotline")
    assert response.status_code == 302
    assert calendar.hours["0"] == [["08:00", "12:00"], ["13:00", "18:00"]]
    bad = client.post(
        f"/cases/settings/calendars/{calendar.pk}/",
        {"name": "Hotline", "time_zone": "Nowhere", **hours, "hours_1": "nine to five"},
    )
    html = bad.content.decode()
    assert bad.status_code == 422 and "Write spans as 09:00-17:00" in html
    bad = client.post(
        f"/cases/settings/calendars/{calendar.pk}/",
        {"name": "Hotline", "time_zone": "Nowhere", **hours, "hours_1": "17:00-09:00"},
    )
    html = bad.content.decode()
    assert "is not a time zone" in html and "Tuesday: opening 17:00 must be before" in html
    response = client.post(
        f"/cases/settings/calendars/{calendar.pk}/holidays/",
        {"date": "2026-12-24", "name": "Christmas Eve"},
        HTTP_HX_REQUEST="true",
    )
    assert "Christmas Eve" in response.content.decode()
    holiday = calendar.holidays.get()
    response = client.post(
        f"/cases/settings/calendars/{calendar.pk}/holidays/{holiday.pk}/remove/",
        HTTP_HX_REQUEST="true",
    )
    assert "No holidays" in response.content.decode() and not calendar.holidays.exists()


def test_reply_template_edit_in_the_pages(login, desk, manager) -> None:
    client = login(manager)
    row = ReplyTemplate.objects.get(code="ack-complaint")
    page = client.get(f"/cases/settings/templates/{row.pk}/").content.decode()
    assert "Complaint received" in page
    data = {
        "name": "Complaint received",
        "code": "ack-complaint",
        "purpose": "acknowledgement",
        "kind": "complaint",
        "subject": "Got it ({reference})",
        "body": "Dear {name}, thanks.",
        "active": "on",
    }
    assert client.post(f"/cases/settings/templates/{row.pk}/", data).status_code == 302
    row.refresh_from_db()
    assert row.subject == "Got it ({reference})"


# --- API ----------------------------------------------------------------------------------------


def test_api_sla_policy_create_update_and_list(client, desk, manager) -> None:
    auth = bearer(manager)
    response = client.post(
        "/api/service/sla-policies",
        json.dumps({"name": "Gold", "kind": "complaint", "first_response_hours": 1}),
        content_type="application/json",
        **auth,
    )
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["resolution_hours"] == 40 and created["active"] is True
    response = client.patch(
        f"/api/service/sla-policies/{created['id']}",
        json.dumps({"warn_at_percent": 50, "escalate_to_id": manager.pk}),
        content_type="application/json",
        **auth,
    )
    assert response.status_code == 200 and response.json()["escalate_to_id"] == manager.pk
    names = [p["name"] for p in client.get("/api/service/sla-policies", **auth).json()]
    assert "Gold" in names and "Complaint, urgent" in names


def test_api_field_errors(client, desk, manager) -> None:
    auth = bearer(manager)
    response = client.post(
        "/api/service/sla-policies",
        json.dumps({"name": "Bad", "warn_at_percent": 99, "escalate_at_percent": 90}),
        content_type="application/json",
        **auth,
    )
    assert response.status_code == 400
    assert "warn_at_percent" in response.json()["errors"]
    response = client.post(
        "/api/service/sla-policies",
        json.dumps({"name": "Bad", "kind": "bogus", "first_response_hours": "soon"}),
        content_type="application/json",
        **auth,
    )
    assert response.status_code == 422
    response = client.post(
        "/api/service/calendars",
        json.dumps({"name": "Bad", "time_zone": "Nowhere", "hours": {"0": [["18:00", "08:00"]]}}),
        content_type="application/json",
        **auth,
    )
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"time_zone", "hours"}
    response = client.patch(
        f"/api/service/queues/{desk['cards'].pk}",
        json.dumps({"name": "General", "members": [{"user_id": 99999}]}),
        content_type="application/json",
        **auth,
    )
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"name", "members"}
    response = client.patch(
        "/api/service/reply-templates/99999",
        json.dumps({}),
        content_type="application/json",
        **auth,
    )
    assert response.status_code == 404


def test_api_queue_calendar_and_template(client, desk, manager) -> None:
    auth = bearer(manager)
    response = client.post(
        "/api/service/calendars",
        json.dumps(
            {
                "name": "Weekend desk",
                "time_zone": "Europe/Berlin",
                "hours": {"5": [["10:00", "14:00"]]},
                "holidays": [{"date": "2026-12-26", "name": "Boxing Day"}],
            }
        ),
        content_type="application/json",
        **auth,
    )
    assert response.status_code == 201
    calendar = response.json()
    assert calendar["hours"]["5"] == [["10:00", "14:00"]]
    assert calendar["holidays"] == [{"date": "2026-12-26", "name": "Boxing Day"}]
    response = client.patch(
        f"/api/service/calendars/{calendar['id']}",
        json.dumps({"holidays": []}),
        content_type="application/json",
        **auth,
    )
    assert response.json()["holidays"] == [] and response.json()["hours"]["5"]
    response = client.post(
        "/api/service/queues",
        json.dumps(
            {
                "name": "Loans",
                "product_families": ["loans"],
                "kinds": ["complaint"],
                "members": [{"user_id": desk["agent2"].pk, "skills": ["rate"]}],
            }
        ),
        content_type="application/json",
        **auth,
    )
    assert response.status_code == 201
    queue = response.json()
    assert queue["members"][0]["username"] == "agent2"
    response = client.patch(
        f"/api/service/queues/{queue['id']}",
        json.dumps({"rank": 7, "name": None}),
        content_type="application/json",
        **auth,
    )
    # a null for a field that cannot be empty is refused, not silently ignored
    assert response.status_code == 400 and "name" in response.json()["errors"]
    response = client.patch(
        f"/api/service/queues/{queue['id']}",
        json.dumps({"rank": 7}),
        content_type="application/json",
        **auth,
    )
    assert response.status_code == 200 and response.json()["rank"] == 7
    assert response.json()["name"] == "Loans" and response.json()["members"]
    response = client.post(
        "/api/service/reply-templates",
        json.dumps(
            {"code": "apology", "name": "Apology", "subject": "Sorry", "body": "Dear {name}"}
        ),
        content_type="application/json",
        **auth,
    )
    assert response.status_code == 201 and response.json()["purpose"] == "other"
    listed = client.get("/api/service/queues", **auth).json()
    assert {q["name"] for q in listed} >= {"Loans", "Cards", "General"}


@pytest.mark.parametrize(
    ("url", "body"),
    [
        ("/api/service/queues", {"name": "X"}),
        ("/api/service/sla-policies", {"name": "X"}),
        ("/api/service/calendars", {"name": "X", "hours": {"0": [["09:00", "17:00"]]}}),
        ("/api/service/reply-templates", {"code": "x", "name": "X", "subject": "s", "body": "b"}),
    ],
)
def test_api_denies_an_agent(client, desk, agent, url: str, body: dict[str, Any]) -> None:
    response = client.post(url, json.dumps(body), content_type="application/json", **bearer(agent))
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("url", "body"),
    [
        ("/api/service/calendars", {"name": "C", "hours": {"0": [[9, 17]]}}),
        ("/api/service/calendars", {"name": "C", "hours": {"x": [], "1": [["09:00"]]}}),
        (
            "/api/service/calendars",
            {"name": "", "hours": {}, "holidays": [{"date": "2026-01-01"}] * 2},
        ),
        ("/api/service/calendars", {"name": "C", "hours": {}, "holidays": [{"date": "soon"}]}),
        ("/api/service/queues", {"name": "Q", "team_id": 99999, "office_ids": [99999]}),
        ("/api/service/queues", {"name": "Q", "members": [{"user_id": 1}, {"user_id": 1}]}),
        ("/api/service/queues", {"name": "Q", "rank": 40000}),
        (
            "/api/service/sla-policies",
            {"name": "S", "warn_at_percent": 0, "escalate_at_percent": 0},
        ),
        ("/api/service/sla-policies", {"name": "S" * 200}),
        ("/api/service/reply-templates", {"code": "a b", "name": "T", "subject": "", "body": ""}),
    ],
)
def test_api_bad_input_is_4xx_never_500(client, desk, manager, url: str, body: Any) -> None:
    response = client.post(
        url, json.dumps(body), content_type="application/json", **bearer(manager)
    )
    assert response.status_code in (400, 422), response.content


def test_the_desk_defaults_go_through_the_same_checks_and_audit(db) -> None:
    from ckm.service.services.setup import queue_save

    first = queue_save(actor=None, name="First", is_default=True)
    second = queue_save(actor=None, name="Second", is_default=True)
    first.refresh_from_db()
    assert second.is_default and not first.is_default  # one default queue, as on the page
    assert AuditEntry.objects.filter(object_type="service.queue", object_id=str(second.pk)).exists()
    errors = errors_of(lambda: queue_save(actor=None, name="Odd", kinds=["parcel"]))
    assert errors["kinds"] == ["Unknown case kinds: parcel."]


def test_only_people_who_work_on_cases_join_a_queue(manager, desk, editor) -> None:
    from ckm.service.settings_forms import MemberForm

    with pytest.raises(ValidationError) as refused:
        ds.queue_member_save(actor=manager, queue_id=desk["cards"].pk, user_id=editor.pk)
    assert "does not work on cases" in str(refused.value)
    with pytest.raises(ValidationError):
        ds.queue_update(
            actor=manager,
            queue_id=desk["cards"].pk,
            fields=ds.QueueFields(
                name="Cards", members=[ds.MemberFields(user_id=editor.pk, skills=[])]
            ),
        )
    offered = {pk for pk, _ in MemberForm().fields["user_id"].choices}
    assert desk["agent2"].pk in offered and editor.pk not in offered
