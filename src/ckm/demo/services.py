"""Writes of the demo: the bank's organisation, the import of the generated package, and the
knowledge relationship managers keep beyond it (personal facts, consents, confirmations).

The organisation goes through ckm.core.services and the package through the real import. The
knowledge is bulk-written (thousands of rows in about a second) with the same rows, audit entries
and timeline events that ckm.customers.services writes one by one; see docs/demo.md.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone

from ckm.core.audit import audit_bulk
from ckm.core.errors import DomainError
from ckm.core.jobs import Progress
from ckm.core.models import AuditEntry, ImportIssue, ImportRun, Office, Role, Team, User
from ckm.core.permissions import require_perm
from ckm.core.services import (
    import_run,
    import_start,
    office_get_or_create,
    team_get_or_create,
    user_create,
)
from ckm.customers.models import Consent, Customer, CustomerEvent, PersonalFact, RecordConfirmation
from ckm.demo.generator import DemoConfig, PackageResult, package_generate
from ckm.demo.knowledge import KnowledgePlan
from ckm.demo.organisation import LOGINS, OFFICES, STAFF, TEAMS

BATCH = 2000


class DemoError(DomainError):
    """The demo could not be built as asked (the import reported problems, ...)."""


@dataclass(frozen=True)
class DemoLogin:
    """A login to print at the end: the password is the demo one unless the user existed."""

    username: str
    password: str
    role: str
    try_first: str
    existed: bool


@dataclass
class KnowledgeCounts:
    facts: int = 0
    consents: int = 0
    confirmations: int = 0


@dataclass
class DemoReport:
    """What `ckm demo` built."""

    logins: list[DemoLogin]
    package: PackageResult
    run: ImportRun
    knowledge: KnowledgeCounts
    seconds: dict[str, float] = field(default_factory=dict)


def demo_password(username: str, password: str | None = None) -> str:
    """The demo password of a user: the one given, else ckm-<username>."""
    return password or f"ckm-{username}"


@transaction.atomic
def demo_organisation_ensure(*, password: str | None = None) -> list[DemoLogin]:
    """Offices, teams and staff of the demo bank, created when missing (existing ones are kept)."""
    offices: dict[str, Office] = {
        spec.code: office_get_or_create(
            code=spec.code, name=spec.name, kind=spec.kind, city=spec.city, country="DE"
        )
        for spec in OFFICES
    }
    teams: dict[str, Team] = {
        spec.name: team_get_or_create(name=spec.name, office=offices[spec.office]) for spec in TEAMS
    }
    existed: set[str] = set()
    users: dict[str, User] = {}
    for staff in STAFF:
        user = User.objects.filter(username=staff.username).first()
        if user is not None:
            existed.add(staff.username)
        else:
            user = user_create(
                actor=None,
                username=staff.username,
                password=demo_password(staff.username, password),
                role=staff.role,
                first_name=staff.first_name,
                last_name=staff.last_name,
                email=f"{staff.username}@northbank.example",
                team=teams.get(staff.team),
                office=offices.get(staff.office),
            )
        users[staff.username] = user
    for spec in TEAMS:
        team_get_or_create(name=spec.name, office=offices[spec.office], manager=users[spec.manager])
    return [
        DemoLogin(
            username=login.username,
            password=demo_password(login.username, password),
            role=Role(login.role).label,
            try_first=login.try_first,
            existed=login.username in existed,
        )
        for login in LOGINS
    ]


def demo_package_import(*, path: Path, progress: Progress | None = None) -> ImportRun:
    """Load the generated package through the real import; fail loudly on any problem."""
    run = import_start(user=None, source=path, label="Demo bank (ckm demo)", enqueue=False)
    run = import_run(run_id=run.pk, progress=progress)
    if run.status != ImportRun.Status.SUCCEEDED or run.issue_count:
        problems = [
            f"{i.file}:{i.line} {i.column} {i.value!r}: {i.reason}"
            for i in ImportIssue.objects.filter(run=run).order_by("file", "line")[:10]
        ]
        rejected = [f["file"] for f in run.files if f["status"] != "loaded"]
        raise DemoError(
            f"import {run.pk} of the demo package {run.get_status_display().lower()}: "
            f"{run.issue_count} problems, rejected files {rejected or 'none'}; "
            + "; ".join(problems + list(run.notes[-3:]))
        )
    return run


def _aware(value: dt.datetime) -> dt.datetime:
    """A plan's naive datetime read in the firm's time zone, as the import reads package datetimes."""
    return value if timezone.is_aware(value) else timezone.make_aware(value)


@transaction.atomic
def demo_knowledge_add(*, actor: User, plan: KnowledgePlan) -> KnowledgeCounts:
    """Write the plan's personal facts, consents and confirmations, each with its audit entry and
    timeline event. What a customer already has is kept, so a re-run adds nothing."""
    require_perm(
        actor,
        "customers.add_personalfact",
        "customers.change_consent",
        "customers.confirm_customer",
    )
    customers = dict(Customer.objects.values_list("external_id", "id"))
    users = {u.username: u for u in User.objects.filter(username__in=[s.username for s in STAFF])}
    counts = KnowledgeCounts()
    counts.facts = _facts_add(actor, plan, customers, users)
    counts.consents = _consents_add(actor, plan, customers, users)
    counts.confirmations = _confirmations_add(actor, plan, customers, users)
    return counts


def _audit(
    actor: User,
    *,
    action: str,
    object_type: str,
    object_id: Any,
    object_repr: str,
    customer_id: int,
    changes: dict[str, Any],
    summary: str = "",
) -> AuditEntry:
    return AuditEntry(
        actor=actor,
        actor_label=actor.get_username(),
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        object_repr=object_repr[:200],
        customer_ref=customer_id,
        summary=summary[:300],
        changes=changes,
    )


def _facts_add(
    actor: User, plan: KnowledgePlan, customers: dict[str, int], users: dict[str, User]
) -> int:
    already = set(PersonalFact.objects.values_list("customer_id", flat=True).distinct())
    facts = [
        PersonalFact(
            customer_id=customers[f.customer_id],
            kind=f.kind,
            label=f.label,
            value=f.value,
            date=f.date,
            recurring=f.recurring,
            created_by=users.get(f.author, actor),
            confirmed_at=_aware(f.confirmed_at) if f.confirmed_at else None,
        )
        for f in plan.facts
        if f.customer_id in customers and customers[f.customer_id] not in already
    ]
    PersonalFact.objects.bulk_create(facts, batch_size=BATCH)
    audit_bulk(
        [
            _audit(
                actor,
                action=AuditEntry.Action.CREATE,
                object_type="customers.personalfact",
                object_id=fact.pk,
                object_repr=str(fact),
                customer_id=fact.customer_id,
                summary="demo data",
                changes={
                    "after": {
                        "kind": fact.kind,
                        "label": fact.label,
                        "value": fact.value,
                        "date": fact.date.isoformat() if fact.date else None,
                        "recurring": fact.recurring,
                    }
                },
            )
            for fact in facts
        ]
    )
    CustomerEvent.objects.bulk_create(
        [
            CustomerEvent(
                customer_id=fact.customer_id,
                occurred_at=fact.confirmed_at or timezone.now(),
                kind="fact_added",
                summary=f"Noted {fact.label}"[:300],
                actor=fact.created_by,
                source="customers",
            )
            for fact in facts
        ],
        batch_size=BATCH,
    )
    return len(facts)


def _consents_add(
    actor: User, plan: KnowledgePlan, customers: dict[str, int], users: dict[str, User]
) -> int:
    existing = set(Consent.objects.values_list("customer_id", "purpose", "channel"))
    consents = []
    for c in plan.consents:
        customer_id = customers.get(c.customer_id)
        if customer_id is None or (customer_id, c.purpose, c.channel) in existing:
            continue
        consents.append(
            Consent(
                customer_id=customer_id,
                purpose=c.purpose,
                channel=c.channel,
                granted=c.granted,
                recorded_at=_aware(c.recorded_at),
                recorded_by=None,
                source=c.source,
            )
        )
    Consent.objects.bulk_create(consents, batch_size=BATCH)
    audit_bulk(
        [
            _audit(
                actor,
                action=AuditEntry.Action.UPDATE,
                object_type="customers.consent",
                object_id=consent.pk,
                object_repr=str(consent),
                customer_id=consent.customer_id,
                summary="demo data",
                changes={"granted": [None, consent.granted]},
            )
            for consent in consents
        ]
    )
    CustomerEvent.objects.bulk_create(
        [
            CustomerEvent(
                customer_id=consent.customer_id,
                occurred_at=consent.recorded_at,
                kind="consent",
                source="customers",
                summary=(
                    f"Customer {'gave' if consent.granted else 'withdrew'} consent: "
                    f"{consent.get_purpose_display()} by {consent.get_channel_display()}"
                )[:300],
            )
            for consent in consents
        ],
        batch_size=BATCH,
    )
    return len(consents)


def _confirmations_add(
    actor: User, plan: KnowledgePlan, customers: dict[str, int], users: dict[str, User]
) -> int:
    existing = set(RecordConfirmation.objects.values_list("customer_id", "section"))
    rows = [
        RecordConfirmation(
            customer_id=customers[c.customer_id],
            section=c.section,
            confirmed_at=_aware(c.confirmed_at),
            confirmed_by=users.get(c.confirmed_by),
            source=c.source,
        )
        for c in plan.confirmations
        if c.customer_id in customers and (customers[c.customer_id], c.section) not in existing
    ]
    RecordConfirmation.objects.bulk_create(rows, batch_size=BATCH)
    labels = dict(RecordConfirmation.Section.choices)
    audit_bulk(
        [
            _audit(
                actor,
                action=AuditEntry.Action.UPDATE,
                object_type="customers.customer",
                object_id=row.customer_id,
                object_repr=f"customer {row.customer_id}",
                customer_id=row.customer_id,
                summary=f"confirmed {labels[row.section].lower()} as current (demo data)",
                changes={},
            )
            for row in rows
        ]
    )
    return len(rows)


def demo_build(
    *,
    config: DemoConfig,
    password: str | None = None,
    generate_progress: Callable[[int, int, str], None] | None = None,
    import_progress: Progress | None = None,
) -> DemoReport:
    """Build the whole demo bank: organisation, package, import, then the kept knowledge."""
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    logins = demo_organisation_ensure(password=password)
    seconds["organisation"] = time.perf_counter() - started

    started = time.perf_counter()
    package = package_generate(config, progress=generate_progress)
    seconds["generate"] = time.perf_counter() - started

    started = time.perf_counter()
    run = demo_package_import(path=config.out, progress=import_progress)
    seconds["import"] = time.perf_counter() - started

    started = time.perf_counter()
    admin = User.objects.get(username="admin")
    knowledge = demo_knowledge_add(actor=admin, plan=package.knowledge)
    seconds["knowledge"] = time.perf_counter() - started

    for name, seed in app_seeds():
        started = time.perf_counter()
        seed(actor=admin)
        seconds[name] = time.perf_counter() - started
    return DemoReport(logins=logins, package=package, run=run, knowledge=knowledge, seconds=seconds)


def app_seeds() -> list[tuple[str, Callable[..., Any]]]:
    """What each app sets up on the imported bank (models, rules, topics), in dependency order."""
    from ckm.analytics.services.demo import analytics_seed_demo
    from ckm.campaigns.services.demo import campaigns_seed_demo
    from ckm.customers.services import duplicates_find
    from ckm.feedback.services.demo import feedback_seed_demo
    from ckm.knowledge.services.demo import knowledge_seed_demo
    from ckm.service.services.demo import service_seed_demo

    return [
        ("duplicates", duplicates_find),
        ("knowledge", knowledge_seed_demo),
        ("service", service_seed_demo),
        ("feedback", feedback_seed_demo),
        ("analytics", analytics_seed_demo),
        ("campaigns", campaigns_seed_demo),
    ]
