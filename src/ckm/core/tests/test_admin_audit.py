"""The admin site is no back door: its changes, deletes and sign-ins are audited."""

from __future__ import annotations

import pytest
from django.contrib import admin

from ckm.core.admin import AuditedModelAdmin
from ckm.core.models import AuditEntry, Role, Team
from ckm.customers.models import Customer

pytestmark = pytest.mark.django_db


def test_every_model_the_admin_site_can_change_is_audited(admin_user, rf) -> None:
    request = rf.get("/admin/")
    request.user = admin_user
    unaudited = [
        model._meta.label
        for model, model_admin in admin.site._registry.items()
        if not isinstance(model_admin, AuditedModelAdmin)
        and (
            model_admin.has_add_permission(request)
            or model_admin.has_change_permission(request)
            or model_admin.has_delete_permission(request)
        )
    ]
    assert unaudited == []


def test_changing_a_users_role_and_groups_in_the_admin_is_audited(login, admin_user, agent) -> None:
    from django.contrib.auth.models import Group

    group = Group.objects.create(name="auditors")
    client = login(admin_user)
    page = client.get(f"/admin/core/user/{agent.pk}/change/")
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k != "password"}
    data.update(
        role=Role.ADMIN,
        groups=[group.pk],
        user_permissions=[],
        date_joined_0=agent.date_joined.strftime("%Y-%m-%d"),
        date_joined_1=agent.date_joined.strftime("%H:%M:%S"),
    )
    data = {k: v for k, v in data.items() if k not in ("date_joined", "last_login")}
    response = client.post(f"/admin/core/user/{agent.pk}/change/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    agent.refresh_from_db()
    assert agent.role == Role.ADMIN
    entry = AuditEntry.objects.get(
        object_type="core.user", object_id=str(agent.pk), action="update", summary="admin site"
    )
    assert entry.actor == admin_user and entry.changes["role"] == [Role.AGENT, Role.ADMIN]
    assert "password" not in str(entry.changes)
    links = AuditEntry.objects.get(summary="admin site: links", object_id=str(agent.pk))
    assert links.changes["groups"] == [[], ["auditors"]]


def test_deleting_a_customer_in_the_admin_is_audited_with_its_values(
    login, admin_user, north_customer
) -> None:
    client = login(admin_user)
    response = client.post(
        f"/admin/customers/customer/{north_customer.pk}/delete/", {"post": "yes"}
    )
    assert response.status_code == 302
    assert not Customer.objects.filter(pk=north_customer.pk).exists()
    entry = AuditEntry.objects.get(action="delete", object_type="customers.customer")
    assert entry.customer_ref == north_customer.pk and entry.actor == admin_user
    assert entry.changes["before"]["last_name"] == "Schmidt"


def test_a_team_change_and_a_bulk_delete_are_audited(login, admin_user, team_north) -> None:
    client = login(admin_user)
    response = client.post(
        "/admin/core/team/",
        {"action": "delete_selected", "_selected_action": [team_north.pk], "post": "yes"},
    )
    assert response.status_code == 302
    assert not Team.objects.filter(pk=team_north.pk).exists()
    assert AuditEntry.objects.filter(
        action="delete", object_type="core.team", object_id=str(team_north.pk)
    ).exists()


def test_sign_ins_anywhere_are_audited(client, admin_user) -> None:
    admin_user.set_password("pw-test-123")
    admin_user.save()
    client.post("/admin/login/?next=/admin/", {"username": "admin", "password": "wrong"})
    assert AuditEntry.objects.filter(action="login_failed", object_repr="admin").count() == 1
    client.post("/admin/login/?next=/admin/", {"username": "admin", "password": "pw-test-123"})
    assert AuditEntry.objects.filter(action="login", actor=admin_user).count() == 1
    client.post("/logout/")
    assert AuditEntry.objects.filter(action="logout", actor=admin_user).count() == 1


def test_a_record_with_an_embedding_is_deleted_and_audited_by_its_size(
    login, admin_user, editor
) -> None:
    from ckm.knowledge import services as knowledge
    from ckm.knowledge.models import Article

    article = knowledge.article_create(actor=editor, title="Fees", body_source="What fees cost.")
    Article.objects.filter(pk=article.pk).update(embedding=b"\x00" * 1536)
    response = login(admin_user).post(
        f"/admin/knowledge/article/{article.pk}/delete/", {"post": "yes"}
    )
    assert response.status_code == 302
    assert not Article.objects.filter(pk=article.pk).exists()
    entry = AuditEntry.objects.get(action="delete", object_type="knowledge.article")
    assert entry.changes["before"]["embedding"] == "<1536 bytes>"


def test_a_password_set_in_the_admin_is_audited_without_its_value(login, admin_user, agent) -> None:
    response = login(admin_user).post(
        f"/admin/core/user/{agent.pk}/password/",
        {"password1": "a-New-pass-2026!", "password2": "a-New-pass-2026!"},
    )
    assert response.status_code == 302
    entry = AuditEntry.objects.get(object_id=str(agent.pk), summary="admin site: password set")
    assert entry.actor == admin_user and "a-New-pass" not in str(entry.changes)


def test_saving_a_user_unchanged_in_the_admin_records_no_change(login, admin_user, agent) -> None:
    from django.utils import timezone

    client = login(admin_user)
    form = client.get(f"/admin/core/user/{agent.pk}/change/").context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k != "password"}
    joined = timezone.localtime(agent.date_joined)
    data.update(
        groups=[],
        user_permissions=[],
        team="",
        office=agent.office_id or "",
        date_joined_0=joined.strftime("%Y-%m-%d"),
        date_joined_1=joined.strftime("%H:%M:%S"),
    )
    data = {k: v for k, v in data.items() if k not in ("date_joined", "last_login")}
    response = client.post(f"/admin/core/user/{agent.pk}/change/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    entry = AuditEntry.objects.get(object_type="core.user", object_id=str(agent.pk))
    # the form keeps whole seconds: the joining date it saved again is not a change
    assert "date_joined" not in entry.changes


def test_a_time_in_the_log_reads_in_local_time(admin_user, agent, settings) -> None:
    from ckm.core.audit import audit_readable, audit_record

    settings.TIME_ZONE = "Europe/Berlin"
    entry = audit_record(
        actor=admin_user,
        action="update",
        obj=agent,
        changes={"date_joined": ["2026-12-07T23:37:30.519945+00:00", None]},
    )
    (row,) = audit_readable([entry])[0].rows  # type: ignore[attr-defined]
    assert row.label == "Date joined" and row.before == "2026-12-08 00:37:30"


def test_jobs_and_import_runs_are_not_made_or_edited_in_the_admin(login, admin_user) -> None:
    client = login(admin_user)
    assert client.get("/admin/core/job/add/").status_code == 403
    assert client.get("/admin/core/importrun/add/").status_code == 403
    assert client.get("/admin/core/apitoken/add/").status_code == 403
    assert client.get("/admin/core/job/").status_code == 200


def test_an_administrator_added_in_the_admin_can_open_the_admin_site(login, admin_user) -> None:
    from ckm.core.models import User

    client = login(admin_user)
    response = client.post(
        "/admin/core/user/add/",
        {
            "username": "newadmin",
            "password1": "A-long-enough-pass-42",
            "password2": "A-long-enough-pass-42",
            "usable_password": "true",
            "role": Role.ADMIN,
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    created = User.objects.get(username="newadmin")
    assert created.is_staff
    client.force_login(created)
    assert client.get("/admin/").status_code == 200


def test_a_user_no_longer_administrator_leaves_the_admin_site(login, admin_user, make_user) -> None:
    from django.utils import timezone

    former = make_user(Role.ADMIN, username="former", is_staff=True)
    client = login(admin_user)
    form = client.get(f"/admin/core/user/{former.pk}/change/").context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k != "password"}
    joined = timezone.localtime(former.date_joined)
    data.update(
        role=Role.AGENT,
        groups=[],
        user_permissions=[],
        team="",
        office="",
        date_joined_0=joined.strftime("%Y-%m-%d"),
        date_joined_1=joined.strftime("%H:%M:%S"),
    )
    data = {k: v for k, v in data.items() if k not in ("date_joined", "last_login")}
    response = client.post(f"/admin/core/user/{former.pk}/change/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    former.refresh_from_db()
    assert former.role == Role.AGENT and not former.is_staff


def test_a_users_page_in_the_admin_lists_what_the_role_grants(login, admin_user, agent) -> None:
    page = login(admin_user).get(f"/admin/core/user/{agent.pk}/change/").content.decode()
    assert "Permissions of the role" in page and "interactions.add_interaction" in page
