import io

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command

from ckm.core.models import AuditEntry, ImportRun, Role, Team, User
from ckm.customers.models import (
    Consent,
    Customer,
    Holding,
    Label,
    PersonalFact,
    RecordConfirmation,
    Transaction,
)
from ckm.demo.organisation import LOGINS, STAFF, TEAMS
from ckm.demo.services import demo_build, demo_organisation_ensure
from ckm.interactions.models import Interaction

from .conftest import AS_OF, SMALL, small_config

pytestmark = pytest.mark.django_db


def test_organisation_has_one_login_per_role_with_working_passwords():
    logins = demo_organisation_ensure()
    assert {login.username for login in logins} == {
        "agent",
        "rm",
        "marketer",
        "editor",
        "pm",
        "manager",
        "admin",
    }
    assert {User.objects.get(username=login.username).role for login in LOGINS} == set(Role.values)
    for login in logins:
        assert authenticate(username=login.username, password=f"ckm-{login.username}") is not None
    assert User.objects.count() == len(STAFF)
    assert User.objects.filter(role=Role.RELATIONSHIP_MANAGER).count() >= 8
    for spec in TEAMS:
        assert Team.objects.get(name=spec.name).manager.username == spec.manager
    assert User.objects.get(username="admin").is_staff


def test_organisation_is_idempotent_and_keeps_existing_passwords():
    demo_organisation_ensure(password="first-secret")
    logins = demo_organisation_ensure(password="other-secret")
    assert all(login.existed for login in logins)
    assert User.objects.count() == len(STAFF)
    assert authenticate(username="rm", password="first-secret") is not None


def test_build_imports_the_bank_without_problems_and_adds_what_rms_know(tmp_path):
    report = demo_build(config=small_config(tmp_path / "pkg"))
    run = ImportRun.objects.get(pk=report.run.pk)
    assert run.status == ImportRun.Status.SUCCEEDED and run.issue_count == 0
    assert {f["file"] for f in run.files} >= {
        "customers.csv",
        "transactions.csv",
        "interactions.csv",
        "labels.csv",
    }
    assert Customer.objects.count() == SMALL
    assert Holding.objects.count() == report.package.rows["holdings.csv"]
    assert Transaction.objects.count() == report.package.rows["transactions.csv"]
    assert Interaction.objects.count() == report.package.rows["interactions.csv"]
    assert Interaction.objects.filter(recorded_by__username__startswith="agent").exists()
    churned = set(
        Label.objects.filter(name="churned", value="1").values_list(
            "customer__external_id", flat=True
        )
    )
    assert churned == set(report.package.churned)
    owned = Customer.objects.exclude(owner=None)
    assert owned.exists() and not owned.filter(team=None).exists()
    assert Customer.objects.get(external_id="C000001").attributes.keys() >= {
        "marketing_segment",
        "risk_class",
    }

    facts = PersonalFact.objects.all()
    assert facts.count() == report.knowledge.facts > 0
    assert facts.filter(kind="birthday", recurring=True).exists()
    assert not facts.filter(customer__owner=None).exists()
    assert Consent.objects.count() == report.knowledge.consents > 0
    assert (
        Consent.objects.filter(granted=False).exists()
        and Consent.objects.filter(granted=True).exists()
    )
    ages = [(AS_OF - c.confirmed_at.date()).days for c in RecordConfirmation.objects.all()]
    assert min(ages) < 90 and max(ages) > 365
    admin = User.objects.get(username="admin")
    audited = AuditEntry.objects.filter(actor=admin, object_type="customers.personalfact").count()
    assert audited == report.knowledge.facts

    again = demo_build(config=small_config(tmp_path / "pkg"))
    assert again.run.issue_count == 0
    assert Customer.objects.count() == SMALL
    assert PersonalFact.objects.count() == report.knowledge.facts
    assert again.knowledge.facts == again.knowledge.consents == again.knowledge.confirmations == 0


def test_command_prints_the_logins_and_if_empty_leaves_data_alone(tmp_path):
    out = io.StringIO()
    call_command(
        "demo", customers=30, seed=3, as_of=AS_OF, out=tmp_path / "pkg", stdout=out, verbosity=0
    )
    printed = out.getvalue()
    assert (
        "agent" in printed
        and "ckm-agent" in printed
        and "search a customer and log a call" in printed
    )
    assert Customer.objects.count() == 30
    out = io.StringIO()
    call_command(
        "demo", "--if-empty", customers=50, out=tmp_path / "other", stdout=out, verbosity=0
    )
    assert "already exist" in out.getvalue()
    assert Customer.objects.count() == 30
    assert not (tmp_path / "other").exists()
