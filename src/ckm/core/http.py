"""Request types for views (the user is logged in by LoginRequiredMiddleware, htmx is parsed) and
the CSV download every export streams through."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import models
from django.http import HttpRequest, StreamingHttpResponse
from django_htmx.middleware import HtmxDetails

from ckm.core.audit import audit_record
from ckm.core.models import AuditEntry, User


class AuthedRequest(HttpRequest):
    user: User  # type: ignore[assignment]
    htmx: HtmxDetails


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_download(
    rows: Iterable[Sequence[Any]],
    filename: str,
    *,
    actor: Any,
    what: str,
    obj: models.Model | None = None,
) -> StreamingHttpResponse:
    """Stream rows (the header first) as a CSV attachment, and record in the audit log who took
    `what` out of the system: an export of customer data is a read worth knowing about."""
    audit_record(
        actor=actor,
        action=AuditEntry.Action.EXPORT,
        obj=obj,
        object_type="" if obj is not None else "export",
        object_id="" if obj is not None else filename,
        summary=f"Exported {what} ({filename})",
    )
    writer = csv.writer(_Echo())
    response = StreamingHttpResponse(
        (writer.writerow(row) for row in rows), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
