"""Core pages: imports with progress and report, the audit log, API tokens."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from ckm.core.models import ApiToken, AuditEntry, ImportRun, Job
from ckm.core.tests.package_files import write_package

pytestmark = pytest.mark.django_db


def zipped(folder: Path) -> io.BytesIO:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for path in folder.iterdir():
            zf.write(path, path.name)
    buffer.seek(0)
    buffer.name = "bank.zip"
    return buffer


def test_upload_page_runs_the_import_and_shows_the_report(
    login, admin_user, tmp_path, django_capture_on_commit_callbacks
) -> None:
    folder = write_package(
        tmp_path / "p", holdings="customer_id,product_id,opened\nC1,CUR,not-a-date\n"
    )
    client = login(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/imports/", {"files": zipped(folder)})
    assert response.status_code == 302
    run = ImportRun.objects.get()
    page = client.get(response["Location"]).content.decode()
    assert "rejected: nothing written" in page and "not a date in the form YYYY-MM-DD" in page
    csv_text = b"".join(client.get(f"/imports/{run.pk}/issues.csv").streaming_content).decode()
    assert csv_text.splitlines()[1].startswith("holdings.csv,2,opened,not-a-date,")
    assert AuditEntry.objects.filter(action="export", summary__contains=f"import {run.pk}").exists()


def test_upload_of_loose_csv_files(
    login, admin_user, tmp_path, django_capture_on_commit_callbacks
) -> None:
    folder = write_package(tmp_path / "p")
    client = login(admin_user)
    uploads = []
    for path in sorted(folder.iterdir()):
        handle = io.BytesIO(path.read_bytes())
        handle.name = path.name
        uploads.append(handle)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/imports/", {"files": uploads})
    assert response.status_code == 302
    assert ImportRun.objects.get().status == "succeeded"


def test_upload_refuses_other_file_types(login, admin_user) -> None:
    handle = io.BytesIO(b"MZ")
    handle.name = "virus.exe"
    page = login(admin_user).post("/imports/", {"files": handle}).content.decode()
    assert "only .zip, .csv and manifest.yaml" in page


def test_agents_cannot_open_imports_or_audit(login, agent) -> None:
    client = login(agent)
    assert client.get("/imports/").status_code == 403
    assert client.get("/audit/").status_code == 403


def test_audit_log_filters(login, admin_user, agent, north_customer) -> None:
    client = login(agent)
    client.get(f"/customers/{north_customer.pk}/")
    page = login(admin_user).get("/audit/", {"action": "view", "actor": "agent"}).content.decode()
    assert "Anna Schmidt" in page


def test_audit_log_reads_as_words(login, admin_user, north_customer) -> None:
    from ckm.customers.services import customer_reassign, customer_update

    customer_update(actor=admin_user, customer_id=north_customer.pk, city="Bonn", status="closed")
    previous = north_customer.owner
    customer_reassign(actor=admin_user, customer_id=north_customer.pk, owner=admin_user)
    page = login(admin_user).get("/audit/", {"action": "update"}).content.decode()
    # the record type, field labels, choice labels and the related user's name, not their codes
    assert ">Customer</span>" in page and 'title="customers.customer"' in page
    assert "<ins>Bonn</ins>" in page and "<ins>Closed</ins>" in page
    assert f"<del>{previous}</del> → <ins>{admin_user}</ins>" in page
    assert "owner_id</span>" not in page


def test_tokens_are_shown_once_and_can_be_revoked(login, agent) -> None:
    client = login(agent)
    page = client.post("/account/tokens/", {"name": "export", "days": 30}).content.decode()
    token = ApiToken.objects.get()
    assert token.prefix in page and 'id="new-token"' in page
    assert 'id="new-token"' not in client.get("/account/tokens/").content.decode()
    client.post(f"/account/tokens/{token.pk}/revoke/")
    token.refresh_from_db()
    assert token.revoked


def test_health_needs_no_login(client) -> None:
    assert client.get("/health/").content == b"ok"


def test_the_navigation_marks_the_most_specific_item_only() -> None:
    from ckm.core.models import Role
    from ckm.core.navigation import navigation_for
    from ckm.core.tests.factories import UserFactory

    manager = UserFactory(username="nav-manager", role=Role.MANAGER)

    def active(path: str) -> list[str]:
        return [
            item["label"]
            for _, items in navigation_for(manager, path)
            for item in items
            if item["active"]
        ]

    assert active("/cases/settings/queues/") == ["Service settings"]
    assert active("/cases/12/") == ["Cases"]
    assert active("/") == ["Start"]


def test_the_admin_site_lists_the_apps_for_the_administrator(client, make_user) -> None:
    admin = make_user("admin", username="boss", is_staff=True)
    client.force_login(admin)
    page = client.get("/admin/").content.decode()
    assert "have permission to view or edit anything" not in page
    assert "/admin/core/user/" in page and "/admin/core/team/" in page


def test_a_manager_reads_the_audit_log_of_their_own_teams_only(
    login, manager, north_customer, south_customer
) -> None:
    from ckm.core.audit import audit_record

    for customer in (north_customer, south_customer):
        audit_record(
            actor=None,
            action="update",
            object_type="customers.personalfact",
            customer_id=customer.pk,
            summary=f"fact of {customer.last_name}",
        )
    audit_record(actor=None, action="update", object_type="service.queue", summary="queue rules")
    page = login(manager).get("/audit/").content.decode()
    assert f"fact of {north_customer.last_name}" in page and "queue rules" in page
    assert f"fact of {south_customer.last_name}" not in page
    api = login(manager).get("/api/audit", {"customer_id": south_customer.pk}).json()
    assert api["count"] == 0
    # a record that moved from a south customer to a north one: the south name stays unsaid
    audit_record(
        actor=None,
        action="update",
        object_type="service.case",
        customer_id=north_customer.pk,
        summary="case moved",
        changes={"customer": [south_customer.pk, north_customer.pk]},
    )
    page = login(manager).get("/audit/").content.decode()
    assert "case moved" in page and str(north_customer) in page
    assert str(south_customer) not in page


def test_a_manager_reads_what_their_staff_did_to_any_customer(
    login, manager, team_north, make_user, north_customer, south_customer
) -> None:
    from ckm.core.audit import audit_record
    from ckm.core.models import Team

    mine = make_user("agent", username="own-agent", team=team_north)
    other_team = Team.objects.create(name="Elsewhere")
    theirs = make_user("agent", username="other-agent", team=other_team)
    for actor in (mine, theirs):
        audit_record(
            actor=actor,
            action="view",
            object_type="customers.customer",
            object_id=str(south_customer.pk),
            customer_id=south_customer.pk,
            summary=f"profile viewed by {actor.username}",
        )
    page = login(manager).get("/audit/").content.decode()
    # the south customer is not the manager's, but the agent is
    assert "profile viewed by own-agent" in page
    assert "profile viewed by other-agent" not in page


def test_a_mistyped_address_gets_the_product_page_even_with_debug(login, agent, settings) -> None:
    settings.DEBUG = True
    response = login(agent).get("/no-such-page/")
    assert response.status_code == 404
    assert b"URLconf" not in response.content and b"<h1>Not found</h1>" in response.content


def test_an_empty_file_is_refused_in_words(login, admin_user) -> None:
    handle = io.BytesIO(b"")
    handle.name = "customers.csv"
    page = login(admin_user).post("/imports/", {"files": handle}).content.decode()
    assert "customers.csv: The submitted file is empty." in page
    assert not ImportRun.objects.exists()


def test_loose_csv_files_name_the_import_after_the_files(
    login, admin_user, tmp_path, django_capture_on_commit_callbacks
) -> None:
    folder = write_package(tmp_path / "p")
    (folder / "manifest.yaml").unlink(missing_ok=True)
    uploads = []
    for name in ("customers.csv", "products.csv"):
        handle = io.BytesIO((folder / name).read_bytes())
        handle.name = name
        uploads.append(handle)
    client = login(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/imports/", {"files": uploads})
    run = ImportRun.objects.get()
    # not the random name of the folder the upload was stored in
    assert run.package_name == "customers.csv, products.csv"
    assert AuditEntry.objects.filter(
        object_type="core.importrun", summary="import of customers.csv, products.csv queued"
    ).exists()
    assert (
        f"Import {run.pk}: customers.csv, products.csv"
        in client.get(response["Location"]).content.decode()
    )


def test_a_bad_audit_filter_is_shown_and_the_others_still_apply(
    login, admin_user, agent, north_customer
) -> None:
    login(agent).get(f"/customers/{north_customer.pk}/")
    client = login(admin_user)
    client.get("/audit/")
    response = client.get("/audit/", {"actor": "agent", "since": "not-a-date"})
    entries = response.context["entries"].object_list
    assert entries and {e.actor_label for e in entries} == {"agent"}
    assert "Enter a valid date." in response.content.decode()
    response = client.get("/audit/", {"since": "2026-12-08", "until": "2026-12-01"})
    assert "Until comes before since" in response.content.decode()


def test_the_audit_log_filters_by_record_type_in_words(login, admin_user, north_customer) -> None:
    from ckm.core.audit import audit_record

    audit_record(actor=admin_user, action="update", obj=north_customer, summary="checked")
    response = login(admin_user).get("/audit/", {"object_type": "Customer"})
    entries = response.context["entries"].object_list
    assert entries and {e.object_type for e in entries} == {"customers.customer"}


def test_the_audit_user_filter_finds_what_their_background_jobs_wrote(
    login, admin_user, north_customer
) -> None:
    from ckm.core.audit import audit_record
    from ckm.core.middleware import AuditContext, audit_context

    token = audit_context.set(AuditContext(None, "job-1", on_behalf_of=admin_user))
    try:
        audit_record(actor=None, action="update", obj=north_customer, summary="scored")
    finally:
        audit_context.reset(token)
    entries = login(admin_user).get("/audit/", {"actor": admin_user.username}).context["entries"]
    assert any(e.summary == "scored" for e in entries.object_list)


def test_an_import_that_loads_nothing_fails_its_job(
    login, admin_user, tmp_path, django_capture_on_commit_callbacks
) -> None:
    from ckm.core.models import Job

    handle = io.BytesIO(b"customer_id,kind,last_name\nC1,alien,Bad\n")
    handle.name = "customers.csv"
    with django_capture_on_commit_callbacks(execute=True):
        login(admin_user).post("/imports/", {"files": handle})
    run = ImportRun.objects.get()
    assert run.status == "failed"
    job = Job.objects.get(pk=run.job_id)
    assert job.status == Job.Status.FAILED and job.message == "Failed: every file was rejected"


def test_the_logout_address_typed_in_asks_instead_of_answering_405(client, login, agent) -> None:
    client = login(agent)
    page = client.get("/logout/")
    assert page.status_code == 200 and 'action="/logout/"' in page.content.decode()
    assert "_auth_user_id" in client.session  # a GET does not log out
    assert client.post("/logout/")["Location"] == "/login/"
    assert client.get("/logout/")["Location"].startswith("/login/")


def test_a_job_nobody_started_shows_its_progress_only_to_those_who_see_imports(
    login, agent, rm, manager, admin_user, make_user, tmp_path
) -> None:
    from ckm.core.jobs import job_create
    from ckm.core.services import import_start

    # an import started from the command line, as `ckm import` starts it: nobody's job
    folder = tmp_path / "package"
    folder.mkdir()
    system_job = import_start(user=None, source=folder, enqueue=False).job
    url = f"/jobs/{system_job.pk}/progress/"
    assert login(agent).get(url).status_code == 404
    assert login(rm).get(url).status_code == 404
    assert login(manager).get(url).status_code == 200
    assert login(admin_user).get(url).status_code == 200
    own_job = job_create(kind="demo.work", label="Work", user=agent)
    assert login(agent).get(f"/jobs/{own_job.pk}/progress/").status_code == 200
    assert login(rm).get(f"/jobs/{own_job.pk}/progress/").status_code == 404
    # a page that shows a kind of work shows its progress to all who see that page
    topics = job_create(kind="feedback.topics_refresh", label="Refresh topics", user=manager)
    assert login(rm).get(f"/jobs/{topics.pk}/progress/").status_code == 404
    pm = make_user("product_manager", username="pm-jobs")
    assert login(pm).get(f"/jobs/{topics.pk}/progress/").status_code == 200


def test_the_import_page_says_running_while_the_progress_bar_polls(login, admin_user) -> None:
    from django.utils import timezone

    from ckm.core.jobs import job_create

    job = job_create(kind="core.import", label="Import shop", user=admin_user)
    run = ImportRun.objects.create(
        source="shop.zip", package_name="shop", created_by=admin_user, job=job
    )
    page = login(admin_user).get(f"/imports/{run.pk}/").content.decode()
    assert f'id="import-{run.pk}-head"' in page and "Queued</span>" in page and " · queued " in page
    # the worker takes the import: the next poll of the bar brings the run's state along
    Job.objects.filter(pk=job.pk).update(status=Job.Status.RUNNING, started_at=timezone.now())
    ImportRun.objects.filter(pk=run.pk).update(status=ImportRun.Status.RUNNING)
    poll = login(admin_user).get(f"/jobs/{job.pk}/progress/?refresh=1").content.decode()
    assert f'id="import-{run.pk}-head" hx-swap-oob="true"' in poll
    assert "Running</span>" in poll and " · started " in poll and "Queued" not in poll


def test_imports_without_a_user_are_said_to_come_from_the_command_line(login, admin_user) -> None:
    run = ImportRun.objects.create(source="shop.zip", package_name="shop")
    listing = login(admin_user).get("/imports/").content.decode()
    assert "<td>the command line</td>" in listing and "<td>CLI</td>" not in listing
    assert "by the command line" in login(admin_user).get(f"/imports/{run.pk}/").content.decode()
