"""The audit log: every write and every profile view is recorded here by the service doing it."""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import functools
import json
import operator
from collections.abc import Iterable
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import Q
from django.utils import timezone

from ckm.core.imports.bulk import bulk_insert
from ckm.core.middleware import audit_context
from ckm.core.models import AuditEntry
from ckm.core.permissions import visible_customer_ids


def _jsonable(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, (bytes, bytearray, memoryview)):
        return f"<{len(value)} bytes>"  # an embedding or a file: its size, not its content
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    return value


def snapshot(instance: models.Model, fields: Iterable[str] | None = None) -> dict[str, Any]:
    """The concrete field values of a model instance, JSON-ready, for before/after records."""
    names = (
        list(fields)
        if fields is not None
        else [f.attname for f in instance._meta.concrete_fields if f.name not in {"id"}]
    )
    return {name: _jsonable(getattr(instance, name)) for name in names}


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """Fields whose values differ, as {field: [before, after]}."""
    keys = before.keys() | after.keys()
    return {k: [before.get(k), after.get(k)] for k in sorted(keys) if before.get(k) != after.get(k)}


def audit_record(
    *,
    actor: Any,
    action: str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str | int = "",
    object_repr: str = "",
    customer_id: int | None = None,
    summary: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    changes: dict[str, Any] | None = None,
) -> AuditEntry:
    """Write one audit entry. Pass `obj` or object_type/object_id; before/after become a diff."""
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or obj.pk or ""
        object_repr = object_repr or str(obj)[:200]
    if changes is None:
        if before is not None and after is not None:
            changes = diff(before, after)
        elif after is not None:
            changes = {"after": after}
        elif before is not None:
            changes = {"before": before}
        else:
            changes = {}
    action, summary = normalise_action(action, summary)
    context = audit_context.get()
    user, label = _who(actor)
    return AuditEntry.objects.create(
        actor=user,
        actor_label=label,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        object_repr=object_repr[:200],
        customer_ref=customer_id,
        summary=summary[:300],
        changes=_jsonable(changes),
        ip_address=context.ip_address if context else None,
        request_id=context.request_id if context else "",
    )


def _who(actor: Any) -> tuple[Any, str]:
    """The entry's user and label: the actor; without one, the person a background job runs
    for (marked so); else "system"."""
    if actor is not None and getattr(actor, "is_authenticated", False):
        return actor, actor.get_username()[:150]
    context = audit_context.get()
    if context is not None and context.on_behalf_of is not None:
        return context.on_behalf_of, f"{context.on_behalf_of.get_username()} (background job)"[:150]
    return None, "system"


_VERBS = {
    "created": AuditEntry.Action.CREATE,
    "found": AuditEntry.Action.CREATE,
    "contact": AuditEntry.Action.CREATE,
    "viewed": AuditEntry.Action.VIEW,
    "deleted": AuditEntry.Action.DELETE,
    "exported": AuditEntry.Action.EXPORT,
    "imported": AuditEntry.Action.IMPORT,
}


def normalise_action(action: str, summary: str) -> tuple[str, str]:
    """An app may name its own event ("feedback.insight_created"): the entry keeps one of the
    standard actions (so the log filters and the column width hold) and the event's name leads
    the summary."""
    if action in AuditEntry.Action.values or ("." not in action and len(action) <= 20):
        return action, summary
    verb = action.rsplit(".", 1)[-1].rsplit("_", 1)[-1]
    standard = _VERBS.get(verb, AuditEntry.Action.UPDATE)
    return str(standard), f"{action}: {summary}" if summary else action


def audit_bulk(entries: list[AuditEntry]) -> None:
    """Write many prepared entries at once (imports, bulk reassignments)."""
    context = audit_context.get()
    for entry in entries:
        if context and not entry.request_id:
            entry.ip_address = context.ip_address
            entry.request_id = context.request_id
    AuditEntry.objects.bulk_create(entries, batch_size=2000)


@dataclasses.dataclass(frozen=True)
class ImportedRecord:
    """One record an import file wrote: its values before (None when it is new) and after."""

    pk: Any
    label: str
    line: int
    before: dict[str, Any] | None
    after: dict[str, Any]
    customer_id: int | None = None


def audit_import_rows(
    *, actor: Any, object_type: str, file: str, run_id: int, records: list[ImportedRecord]
) -> int:
    """An entry per record an import created or changed (unchanged rows leave none), naming the
    file and line it came from; written in the file's transaction. Returns the entries written."""
    user, label = _who(actor)
    context = audit_context.get()
    rows = []
    for record in records:
        if record.before is None:
            after = {k: v for k, v in record.after.items() if v not in (None, "")}
            action, changes = AuditEntry.Action.CREATE, {"after": _jsonable(after)}
        else:
            changes = diff(_jsonable(record.before), _jsonable(record.after))
            if not changes:
                continue
            action = AuditEntry.Action.UPDATE
        # as many rows as the file has records: written with one prepared statement, not as
        # model instances (which took most of a large customers.csv's time)
        rows.append(
            {
                "actor_id": user.pk if user is not None else None,
                "actor_label": label,
                "action": str(action),
                "object_type": object_type,
                "object_id": str(record.pk),
                "object_repr": record.label[:200],
                "customer_ref": record.customer_id,
                "summary": f"import {run_id}: {file} line {record.line}"[:300],
                "changes": changes,
                "ip_address": context.ip_address if context else None,
                "request_id": context.request_id if context else "",
            }
        )
    return bulk_insert(AuditEntry, rows)


@dataclasses.dataclass(frozen=True)
class ChangeRow:
    """One line of an entry's "what changed", in words (the code stays for auditors)."""

    label: str
    code: str
    before: str | None
    after: str | None


def audit_readable(entries: Iterable[AuditEntry], *, user: Any = None) -> list[AuditEntry]:
    """Give each entry `record_label` ('Customer' for 'customers.customer') and `rows`, its
    changes with field labels and readable values: choices as their labels, yes/no, and a
    related record's name instead of its id (one query per related model for all entries). A
    customer the `user` may not see keeps its id: the log does not tell their name."""
    entries = list(entries)
    pending: dict[tuple[type[models.Model], Any], list[tuple[AuditEntry, int, str]]] = {}
    for entry in entries:
        model = _model_of(entry.object_type)
        entry.record_label = (  # type: ignore[attr-defined]
            str(model._meta.verbose_name).capitalize() if model else entry.object_type
        )
        rows = []
        for code, before, after in _changed_values(entry.changes or {}):
            field = _field_of(model, code)
            rows.append(
                ChangeRow(
                    _field_label(field, code),
                    code,
                    _value_words(field, before),
                    _value_words(field, after),
                )
            )
            related = getattr(field, "related_model", None) if field is not None else None
            if related is not None and field.many_to_one:
                for side, value in (("before", before), ("after", after)):
                    if isinstance(value, (int, str)) and value != "":
                        pending.setdefault((related, value), []).append(
                            (entry, len(rows) - 1, side)
                        )
        entry.rows = rows  # type: ignore[attr-defined]
    by_model: dict[type[models.Model], set[Any]] = {}
    for related, pk in pending:
        by_model.setdefault(related, set()).add(pk)
    scope = visible_customer_ids(user) if user is not None else None
    for related, pks in by_model.items():
        named = related._default_manager.all()
        if related._meta.label_lower == "customers.customer" and scope is not None:
            named = named.filter(
                functools.reduce(operator.or_, (Q(pk__in=ids) for ids in scope), Q(pk__in=[]))
            )
        found = named.in_bulk(list(pks))
        for pk in pks:
            if pk not in found:
                continue
            for entry, index, side in pending[(related, pk)]:
                row = entry.rows[index]  # type: ignore[attr-defined]
                entry.rows[index] = dataclasses.replace(  # type: ignore[attr-defined]
                    row, **{side: str(found[pk])[:120]}
                )
    return entries


def _changed_values(changes: dict[str, Any]) -> Iterable[tuple[str, Any, Any]]:
    """(field, before, after) per field: a diff's pairs, a created record's values as `after`,
    a deleted one's as `before`; fields empty on both sides are left out."""
    for code, pair in changes.items():
        if code in ("after", "before") and isinstance(pair, dict):
            for name, value in pair.items():
                if value not in (None, ""):
                    yield (name, None, value) if code == "after" else (name, value, None)
            continue
        before, after = pair if isinstance(pair, (list, tuple)) and len(pair) == 2 else (None, pair)
        if before not in (None, "") or after not in (None, ""):
            yield code, before, after


def _moment(value: str) -> dt.datetime | None:
    """A stored ISO time as an aware moment (None for anything else)."""
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if timezone.is_aware(moment) else None


def _model_of(object_type: str) -> type[models.Model] | None:
    try:
        return apps.get_model(object_type)
    except (LookupError, ValueError):
        return None


def _field_of(model: type[models.Model] | None, name: str) -> Any:
    if model is None:
        return None
    for candidate in (name, name.removesuffix("_id")):
        try:
            return model._meta.get_field(candidate)
        except FieldDoesNotExist:
            continue
    return None


def _field_label(field: Any, code: str) -> str:
    text = str(getattr(field, "verbose_name", None) or code.removesuffix("_id").replace("_", " "))
    return text[:1].upper() + text[1:]


def _value_words(field: Any, value: Any) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(field, models.DateTimeField) and isinstance(value, str):
        moment = _moment(value)
        if moment is not None:
            return f"{timezone.localtime(moment):%Y-%m-%d %H:%M:%S}"
    choices = dict(getattr(field, "flatchoices", None) or ())
    return str(choices.get(value, value))
