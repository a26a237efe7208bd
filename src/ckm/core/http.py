"""Request types for views (the user is logged in by LoginRequiredMiddleware, htmx is parsed), the
one way to read a whole number from a query string or form, and the CSV download every export
streams through."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import models
from django.http import HttpRequest, HttpResponseRedirect, StreamingHttpResponse
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django_htmx.middleware import HtmxDetails

from ckm.core.audit import audit_record
from ckm.core.models import AuditEntry, User


class AuthedRequest(HttpRequest):
    user: User  # type: ignore[assignment]
    htmx: HtmxDetails


# the largest key a database column holds (a signed 64-bit integer)
_KEY_MAX = 2**63 - 1


def int_param(value: str | None) -> int | None:
    """A whole number from a query string or form field, else None. ASCII digits only:
    str.isdigit() also says yes to '²' and '١', which int() or the database then refuse (a 500);
    a number beyond what a database key holds is no key either."""
    if not value or not value.isascii() or not value.isdigit():
        return None
    number = int(value)
    return number if number <= _KEY_MAX else None


def redirect_back(
    request: HttpRequest, target: str | None, fallback: str, **kwargs: Any
) -> HttpResponseRedirect:
    """Back to `target` (a form's `next`, the Referer) when it is a page of this site, else to
    `fallback` (a URL name, with its kwargs). Never redirect() on the target itself: it would
    read 'abc' as a URL name (a 500) and https://elsewhere.example as a place to send the user."""
    if (
        target
        and target.startswith(("/", "http://", "https://"))
        and url_has_allowed_host_and_scheme(
            target, {request.get_host()}, require_https=request.is_secure()
        )
    ):
        return HttpResponseRedirect(target)
    return redirect(fallback, **kwargs)


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
