"""cases.csv of the customer data package: service requests, complaints and ideas with their
history. Rows are written in bulk (idempotent on case_id); afterwards the cases still open are
classified, given SLA timers and routed to queues like cases from any other channel."""

from __future__ import annotations

from typing import Any, ClassVar

from ckm.core.audit import ImportedRecord, audit_import_rows, snapshot
from ckm.core.imports.registry import Column, FileLoader, LoadContext, Row
from ckm.customers.loaders import customer_ids, office_id, product_ids, usernames
from ckm.customers.models import CustomerEvent
from ckm.service.models import OPEN_STATUSES, Case, CaseChannel, CaseKind, CasePriority, CaseStatus
from ckm.service.services.common import LOGGED_FIELDS
from ckm.service.subjects import subject_from_text

# channels of the contact history that cases know under another name
CHANNEL_ALIASES = {"web": "portal", "field": "branch", "sms": "import", "social": "import"}
STATUS_ALIASES = {"open": "received", "new": "received", "pending": "in_progress"}
CHANNELS = tuple(CaseChannel.values) + tuple(CHANNEL_ALIASES) + ("note",)
STATUSES = tuple(CaseStatus.values) + tuple(STATUS_ALIASES)


class CaseLoader(FileLoader):
    filename = "cases.csv"
    order = 60
    key = "case_id"
    batch_size = 2000
    columns: ClassVar = [
        Column("case_id", required=True, max_length=100),
        Column("customer_id", max_length=64),
        Column("kind", choices=tuple(CaseKind.values)),
        Column("product_id", max_length=64),
        Column("opened_at", "datetime", required=True),
        Column("subject", max_length=255),
        Column("text"),
        Column("category", max_length=120),
        Column("resolution"),
        Column("channel", choices=CHANNELS),
        Column("office", max_length=32),
        Column("closed_at", "datetime"),
        Column("status", choices=STATUSES),
        Column("priority", choices=tuple(CasePriority.values)),
        Column("sender_name", max_length=200),
        Column("sender_email", max_length=254),
        Column("sender_phone", max_length=40),
        Column("satisfaction", "integer"),
        Column("agent", max_length=150),
    ]

    def check(self, row: Row, ctx: LoadContext) -> list[tuple[str, str]]:
        v = row.values
        problems = []
        if v["customer_id"] and v["customer_id"] not in customer_ids(ctx):
            problems.append(("customer_id", "unknown customer id"))
        if v["product_id"] and v["product_id"] not in product_ids(ctx):
            problems.append(("product_id", "unknown product id"))
        if not (v["text"] or v["subject"]):
            problems.append(("text", "a case needs a text or a subject"))
        if v["closed_at"] and v["opened_at"] and v["closed_at"] < v["opened_at"]:
            problems.append(("closed_at", "closed before it was opened"))
        if v["satisfaction"] is not None and not 1 <= v["satisfaction"] <= 5:
            problems.append(("satisfaction", "a score from 1 to 5"))
        if v["agent"] and v["agent"].lower() not in usernames(ctx):
            problems.append(("agent", f"no user with the username {v['agent']!r}"))
        return problems

    def write(self, rows: list[Row], ctx: LoadContext) -> tuple[int, int]:
        customers, products, users = customer_ids(ctx), product_ids(ctx), usernames(ctx)
        existing = {
            c.external_id: c
            for c in Case.objects.filter(
                external_id__in=[r.key for r in rows], created_by__isnull=True
            ).exclude(external_id="")
        }
        new: list[Case] = []
        changed: list[Case] = []
        written: list[tuple[int, Case, dict[str, Any] | None]] = []
        for row in rows:
            v = row.values
            channel = CHANNEL_ALIASES.get(v["channel"] or "", v["channel"] or "import")
            if channel not in CaseChannel.values:
                channel = CaseChannel.IMPORT
            status = STATUS_ALIASES.get(v["status"] or "", v["status"] or "")
            if not status:
                status = CaseStatus.CLOSED if v["closed_at"] else CaseStatus.RECEIVED
            text = v["text"] or ""
            closed = v["closed_at"] if status == CaseStatus.CLOSED else None
            values: dict[str, Any] = {
                "kind": v["kind"] or CaseKind.REQUEST,
                "channel": channel,
                "customer_id": customers.get(v["customer_id"]) if v["customer_id"] else None,
                "product_id": products.get(v["product_id"]) if v["product_id"] else None,
                "office_id": office_id(ctx, v["office"]) if v["office"] else None,
                "opened_at": v["opened_at"],
                "subject": v["subject"] or subject_from_text(text),
                "body": text,
                "category": v["category"] or "",
                "resolution": v["resolution"] or "",
                "status": status,
                "priority": v["priority"] or CasePriority.NORMAL,
                "closed_at": closed,
                "resolved_at": closed
                or (v["closed_at"] if status in ("resolved", "answered") else None),
                "sender_name": v["sender_name"] or "",
                "sender_email": v["sender_email"] or "",
                "sender_phone": v["sender_phone"] or "",
                "satisfaction_score": v["satisfaction"],
                "assignee_id": users.get((v["agent"] or "").lower()),
            }
            case = existing.get(row.key)
            if case is None:
                case = Case(external_id=row.key, **values)
                new.append(case)
                written.append((row.line, case, None))
            else:
                before = snapshot(case, LOGGED_FIELDS)
                for name, value in values.items():
                    setattr(case, name, value)
                changed.append(case)
                written.append((row.line, case, before))
        Case.objects.bulk_create(new, batch_size=1000)
        if changed:
            Case.objects.bulk_update(changed, list(values), batch_size=500)
        audit_import_rows(
            actor=ctx.user,
            object_type="service.case",
            file=self.filename,
            run_id=ctx.run_id,
            records=[
                ImportedRecord(
                    pk=case.pk,
                    label=str(case),
                    line=line,
                    before=before,
                    after=snapshot(case, LOGGED_FIELDS),
                    customer_id=case.customer_id,
                )
                for line, case, before in written
            ],
        )
        self._timeline(new)
        opened: list[int] = ctx.cache.setdefault("service_open_cases", [])
        opened += [c.pk for c in new + changed if c.status in OPEN_STATUSES and c.queue_id is None]
        return len(new), len(changed)

    def _timeline(self, cases: list[Case]) -> None:
        """The imported history on the customers' timelines: opened and, if so, closed."""
        events = []
        for case in cases:
            if not case.customer_id:
                continue
            reference = f"C-{case.pk:06d}"
            payload = {"case_id": case.pk, "reference": reference}
            events.append(
                CustomerEvent(
                    customer_id=case.customer_id,
                    occurred_at=case.opened_at,
                    kind="case_opened",
                    summary=f"{reference}: {CaseKind(case.kind).label} by "
                    f"{CaseChannel(case.channel).label}: {case.subject}"[:300],
                    source="service",
                    payload=payload,
                )
            )
            if case.closed_at:
                events.append(
                    CustomerEvent(
                        customer_id=case.customer_id,
                        occurred_at=case.closed_at,
                        kind="case_closed",
                        summary=f"{reference}: closed"
                        + (f" - {case.resolution[:200]}" if case.resolution else ""),
                        source="service",
                        payload=payload,
                    )
                )
        CustomerEvent.objects.bulk_create(events, batch_size=2000)

    def finish(self, ctx: LoadContext, extra_types: dict[str, str]) -> None:
        ids = ctx.cache.pop("service_open_cases", [])
        if ids:
            from ckm.service.services.imported import cases_triage

            cases_triage(case_ids=ids)
        ctx.notes.append(f"{len(ids)} open cases classified, timed and routed")


LOADERS = [CaseLoader()]
