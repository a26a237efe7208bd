"""Churn early warning: rules a manager edits, evaluated over the data as it arrives (after an
import, by `ckm alerts-evaluate` or `ckm analytics-schedule`), raising an alert to the
customer's owner and putting the customer on the retention list with the reason.

Each rule kind is evaluated for all customers at once (vectorised over pandas frames); a
customer is not alerted again by the same rule while an alert is open or within the rule's
cooldown."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from ckm.analytics.features import (
    _days_of_datetimes,
    _frame,
    balances_at,
    case_frame,
    data_as_of,
    day_number,
    local_start,
    make_keys,
    sentence_start,
)
from ckm.analytics.models import Alert, AlertRule, ModelVersion, Score
from ckm.analytics.segments import definition_queryset, definition_validate
from ckm.core.audit import audit_record, snapshot
from ckm.core.errors import NotFound, ValidationError
from ckm.core.models import AuditEntry
from ckm.core.permissions import require_perm
from ckm.customers.models import Customer, Holding, Product, Transaction
from ckm.customers.selectors import customer_queryset
from ckm.customers.services import customer_event_record
from ckm.interactions.models import Channel, Interaction

logger = logging.getLogger(__name__)

Hits = dict[int, tuple[str, dict[str, Any]]]

DEFAULT_PARAMS: dict[str, dict[str, Any]] = {
    AlertRule.Kind.BALANCE_DROP: {
        "family": "savings",
        "drop_pct": 30,
        "days": 30,
        "min_balance": 1000,
    },
    AlertRule.Kind.PRODUCT_CLOSED: {"family": "", "days": 30},
    AlertRule.Kind.COMPLAINT_OPEN: {"days": 14, "use_contacts": True, "contact_window_days": 60},
    AlertRule.Kind.CONTACT_DROP: {"channel": "web", "drop_pct": 60, "min_before": 4},
    AlertRule.Kind.SCORE_THRESHOLD: {"slot": "churn", "min_value": 0.5, "min_decile": 0},
    AlertRule.Kind.CUSTOM: {"definition": {"match": "all", "conditions": []}},
}
DEFAULT_RULES: list[tuple[str, str, dict[str, Any]]] = [
    (
        "Savings drain away",
        AlertRule.Kind.BALANCE_DROP,
        {"family": "savings", "drop_pct": 30, "days": 30, "min_balance": 1000},
    ),
    ("Complaint left open", AlertRule.Kind.COMPLAINT_OPEN, {"days": 14, "use_contacts": True}),
    ("Product closed", AlertRule.Kind.PRODUCT_CLOSED, {"family": "", "days": 30}),
    (
        "Logins drop sharply",
        AlertRule.Kind.CONTACT_DROP,
        {"channel": "web", "drop_pct": 60, "min_before": 4},
    ),
]
RULE_FIELDS = ["name", "kind", "params", "is_active", "cooldown_days"]


def _positive(
    params: dict[str, Any], key: str, errors: dict[str, str], *, maximum: float | None = None
) -> None:
    try:
        value = float(params.get(key, 0))
    except (TypeError, ValueError):
        errors[key] = "a number"
        return
    if value < 0 or (maximum is not None and value > maximum):
        errors[key] = f"between 0 and {maximum:g}" if maximum else "zero or more"
    params[key] = value


def _known_slot(clean: dict[str, Any], errors: dict[str, str], *, keep_slot: str) -> None:
    # a slot no scoring model was ever trained for would silently raise nothing; the rule's own slot
    # stays acceptable when it is unchanged, so an old rule can still be edited
    clean["slot"] = str(clean.get("slot") or "churn")
    if clean["slot"] == keep_slot:
        return
    known = sorted(
        set(
            ModelVersion.objects.filter(
                kind__in=[ModelVersion.Kind.CHURN, ModelVersion.Kind.PROPENSITY]
            )
            .exclude(slot__startswith="bench:")
            .order_by()
            .values_list("slot", flat=True)
        )
    )
    if clean["slot"] not in known:
        errors["slot"] = f"no model {clean['slot']!r} (known: {', '.join(known) or 'none yet'})"


def params_clean(kind: str, params: dict[str, Any], *, keep_slot: str = "") -> dict[str, Any]:
    """A rule's parameters with defaults filled in, or ValidationError; `keep_slot` is the
    rule's current model slot, accepted even if the registry no longer has it."""
    if kind not in AlertRule.Kind.values:
        raise ValidationError({"kind": f"unknown rule kind {kind!r}"})
    clean = {**DEFAULT_PARAMS[kind], **(params or {})}
    errors: dict[str, str] = {}
    if kind == AlertRule.Kind.BALANCE_DROP:
        _positive(clean, "drop_pct", errors, maximum=100)
        _positive(clean, "days", errors, maximum=365)
        _positive(clean, "min_balance", errors)
        clean["family"] = str(clean.get("family") or "")
    elif kind == AlertRule.Kind.PRODUCT_CLOSED:
        _positive(clean, "days", errors, maximum=365)
        clean["family"] = str(clean.get("family") or "")
    elif kind == AlertRule.Kind.COMPLAINT_OPEN:
        _positive(clean, "days", errors, maximum=365)
        # an escalated contact older than this with no follow-up is history, not an open complaint
        _positive(clean, "contact_window_days", errors, maximum=365)
        clean["use_contacts"] = bool(clean.get("use_contacts"))
    elif kind == AlertRule.Kind.CONTACT_DROP:
        _positive(clean, "drop_pct", errors, maximum=100)
        _positive(clean, "min_before", errors)
        clean["channel"] = str(clean.get("channel") or "")
    elif kind == AlertRule.Kind.SCORE_THRESHOLD:
        _positive(clean, "min_value", errors, maximum=1)
        _positive(clean, "min_decile", errors, maximum=10)
        _known_slot(clean, errors, keep_slot=keep_slot)
    elif kind == AlertRule.Kind.CUSTOM:
        try:
            clean["definition"] = definition_validate(clean.get("definition"))
        except ValidationError as exc:
            errors["definition"] = " ".join(exc.messages)
    if errors:
        raise ValidationError({"params": "; ".join(f"{k}: {v}" for k, v in errors.items())})
    return clean


@transaction.atomic
def alert_rule_save(
    *,
    actor: Any,
    name: str,
    kind: str,
    params: dict[str, Any] | None = None,
    is_active: bool = True,
    cooldown_days: int = 30,
    rule_id: int | None = None,
) -> AlertRule:
    """Create or change an early-warning rule (managers)."""
    require_perm(
        actor, "analytics.add_alertrule" if rule_id is None else "analytics.change_alertrule"
    )
    if rule_id is None:
        rule = AlertRule(created_by=actor if actor is not None and actor.is_authenticated else None)
        before = None
    else:
        found = AlertRule.objects.filter(pk=rule_id).first()
        if found is None:
            raise NotFound("No such rule.")
        rule = found
        before = snapshot(rule, RULE_FIELDS)
    if not name.strip():
        raise ValidationError({"name": "Give the rule a name."})
    rule.name = name.strip()[:120]
    rule.kind = kind
    keep_slot = str((rule.params or {}).get("slot") or "") if before is not None else ""
    rule.params = params_clean(kind, params or {}, keep_slot=keep_slot)
    rule.is_active = is_active
    rule.cooldown_days = cooldown_days
    rule.full_clean()
    rule.save()
    audit_record(
        actor=actor,
        action=AuditEntry.Action.CREATE if before is None else AuditEntry.Action.UPDATE,
        obj=rule,
        before=before,
        after=snapshot(rule, RULE_FIELDS),
    )
    return rule


def alert_rules_default(*, actor: Any = None) -> list[AlertRule]:
    """The default early-warning rules (savings drain, open complaint, product closed, logins
    drop), created once."""
    rules = []
    for name, kind, params in DEFAULT_RULES:
        rule = AlertRule.objects.filter(kind=kind, name=name).first()
        if rule is None:
            rule = AlertRule.objects.create(name=name, kind=kind, params=params_clean(kind, params))
            audit_record(
                actor=actor, action=AuditEntry.Action.CREATE, obj=rule, summary="default rule"
            )
        rules.append(rule)
    return rules


# --- evaluation ------------------------------------------------------------------------------------


def _money(value: float) -> str:
    return f"{value:,.0f}"


def _balance_drop(params: dict[str, Any], as_of: dt.date, ids: Sequence[int] | None) -> Hits:
    days = int(params["days"])
    drop = float(params["drop_pct"]) / 100
    family = params.get("family") or ""
    filters: dict[str, Any] = {"balance__isnull": False}
    if family:
        filters["product__family"] = family
    holdings = _frame(
        Holding,
        ["customer_id", "product_id", "product__family", "opened", "closed", "status", "balance"],
        ["customer_id", "product_id", "family", "opened", "closed", "status", "balance"],
        ids,
        **filters,
    )
    if holdings.empty:
        return {}
    customers = pd.unique(holdings["customer_id"])
    tx = _frame(
        Transaction,
        ["customer_id", "product_id", "booked_at", "amount"],
        ["customer_id", "product_id", "booked_at", "amount"],
        customers.tolist() if ids is not None else None,
        booked_at__gte=local_start(as_of - dt.timedelta(days=days)),
    )
    tx["day"] = _days_of_datetimes(tx["booked_at"])
    tx["amount"] = pd.to_numeric(tx["amount"], errors="coerce").astype(float)
    keys = make_keys(customers, as_of)
    tables = balances_at(holdings, tx, keys, offsets=(0, days))
    if not tables:
        return {}
    now = tables[0].groupby(level=0)["balance"].sum().reindex(keys.index, fill_value=0.0)
    then = tables[days].groupby(level=0)["balance"].sum().reindex(keys.index, fill_value=0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        change = np.where(then > 0, (now - then) / then, 0.0)
    hit = (then >= float(params["min_balance"])) & (change <= -drop)
    words = (family or "total").replace("_", " ")
    hits: Hits = {}
    for row in np.flatnonzero(hit.to_numpy()):
        customer = int(keys.at[row, "customer_id"])
        pct = -change[row] * 100
        hits[customer] = (
            f"{sentence_start(words)} balance down {pct:.0f} % in {_days(days)} (from {_money(then.iloc[row])} to {_money(now.iloc[row])})",
            {
                "before": round(float(then.iloc[row]), 2),
                "now": round(float(now.iloc[row]), 2),
                "change_pct": round(float(-pct), 1),
            },
        )
    return hits


def _product_closed(params: dict[str, Any], as_of: dt.date, ids: Sequence[int] | None) -> Hits:
    days = int(params["days"])
    filters: dict[str, Any] = {"closed__gt": as_of - dt.timedelta(days=days), "closed__lte": as_of}
    if params.get("family"):
        filters["product__family"] = params["family"]
    closed = _frame(
        Holding,
        ["customer_id", "product__name", "closed"],
        ["customer_id", "product", "closed"],
        ids,
        **filters,
    )
    hits: Hits = {}
    for row in closed.sort_values("closed").itertuples(index=False):
        hits[int(row.customer_id)] = (
            f"Closed {row.product} on {row.closed}",
            {"product": row.product, "closed": str(row.closed)},
        )
    return hits


def _complaint_open(params: dict[str, Any], as_of: dt.date, ids: Sequence[int] | None) -> Hits:
    days = int(params["days"])
    cut = day_number(as_of)
    hits: Hits = {}
    cases = case_frame(customer_ids=ids, until=as_of)
    if len(cases):
        cases = cases[cases["kind"].astype(str).str.lower() == "complaint"]
        opened = _days_of_datetimes(cases["opened_at"])
        closed = _days_of_datetimes(cases["closed_at"])
        status = cases["status"].fillna("").astype(str).str.lower()
        still_open = (np.isnan(closed) | (closed > cut)) & ~status.isin(
            ["closed", "resolved"]
        ).to_numpy()
        old = still_open & (cut - opened >= days)
        for row, age in zip(
            cases[old].itertuples(index=False), (cut - opened[old]).tolist(), strict=True
        ):
            hits.setdefault(
                int(row.customer_id),
                (
                    f"Complaint open for {_days(age)} (since {from_day(opened_day=cut - age)})",
                    {"source": "case", "days_open": int(age)},
                ),
            )
    if params.get("use_contacts"):
        # complaints recorded as contacts: escalated and not followed by a resolved contact
        contacts = _frame(
            Interaction,
            ["customer_id", "occurred_at", "outcome", "channel", "subject"],
            ["customer_id", "occurred_at", "outcome", "channel", "subject"],
            ids,
            occurred_at__gte=local_start(
                as_of - dt.timedelta(days=int(params["contact_window_days"]))
            ),
            occurred_at__lt=local_start(as_of + dt.timedelta(days=1)),
            outcome__in=["escalated", "resolved"],
        )
        if len(contacts):
            contacts["day"] = _days_of_datetimes(contacts["occurred_at"])
            # the first escalated contact per customer, named so the reader finds it on the timeline
            first = (
                contacts[contacts["outcome"] == "escalated"]
                .sort_values(["customer_id", "day", "occurred_at"])
                .drop_duplicates("customer_id")
                .set_index("customer_id")
            )
            escalated = first["day"]
            resolved = (
                contacts[contacts["outcome"] == "resolved"].groupby("customer_id")["day"].max()
            )
            for customer, day in escalated.items():
                age = cut - day
                if (
                    age >= days
                    and not (resolved.get(customer, -1) >= day)
                    and int(customer) not in hits
                ):
                    contact = first.loc[customer]
                    hits[int(customer)] = (
                        f"Complaint open for {_days(age)} (escalated "
                        f"{_contact_words(contact['channel'], contact['subject'])} "
                        f"on {from_day(opened_day=day)}, nothing resolved since)",
                        {"source": "contact", "days_open": int(age)},
                    )
    return hits


def _contact_words(channel: Any, subject: Any) -> str:
    """'chat "Online banking not working"', or 'phone call' when the contact has no subject."""
    try:
        kind = Channel(channel).label.lower()
    except ValueError:
        kind = "contact"
    kind = "phone call" if kind == "phone" else kind
    subject = str(subject or "").strip()
    return f'{kind} "{subject}"' if subject else kind


def _days(number: float) -> str:
    """'1 day', '20 days'."""
    return f"{number:.0f} day" if round(number) == 1 else f"{number:.0f} days"


def from_day(*, opened_day: float) -> str:
    return (dt.date(1970, 1, 1) + dt.timedelta(days=int(opened_day))).isoformat()


def _contact_drop(params: dict[str, Any], as_of: dt.date, ids: Sequence[int] | None) -> Hits:
    filters: dict[str, Any] = {
        "occurred_at__gte": local_start(as_of - dt.timedelta(days=119)),
        "occurred_at__lt": local_start(as_of + dt.timedelta(days=1)),
    }
    if params.get("channel"):
        filters["channel"] = params["channel"]
    contacts = _frame(
        Interaction, ["customer_id", "occurred_at"], ["customer_id", "occurred_at"], ids, **filters
    )
    if contacts.empty:
        return {}
    age = day_number(as_of) - _days_of_datetimes(contacts["occurred_at"])
    recent = contacts[age < 30].groupby("customer_id").size()
    before = contacts[(age >= 30) & (age < 120)].groupby("customer_id").size() / 3
    frame = (
        pd.DataFrame({"before": before})
        .join(pd.DataFrame({"recent": recent}), how="left")
        .fillna(0.0)
    )
    drop = float(params["drop_pct"]) / 100
    hit = frame[
        (frame["before"] >= float(params["min_before"]))
        & (frame["recent"] <= frame["before"] * (1 - drop))
    ]
    words = (params.get("channel") or "all").replace("_", " ")
    hits: Hits = {}
    for customer, row in hit.iterrows():
        pct = (1 - row["recent"] / row["before"]) * 100
        hits[int(customer)] = (
            f"{sentence_start(words)} contacts down {pct:.0f} % ({row['recent']:.0f} in the last 30 days, {row['before']:.0f} a month before)",
            {"recent": int(row["recent"]), "monthly_before": round(float(row["before"]), 1)},
        )
    return hits


def _score_threshold(params: dict[str, Any], as_of: dt.date, ids: Sequence[int] | None) -> Hits:
    version = ModelVersion.objects.filter(
        slot=params["slot"], status=ModelVersion.Status.ACTIVE
    ).first()
    if version is None or version.current_run_id is None:
        return {}
    rows = _frame(
        Score,
        ["customer_id", "value", "decile"],
        ["customer_id", "value", "decile"],
        ids,
        run_id=version.current_run_id,
        value__gte=float(params["min_value"]),
        decile__gte=int(params.get("min_decile") or 0),
    )
    return {
        int(r.customer_id): (
            f"{version.title} {r.value * 100:.0f} % (decile {r.decile})",
            {"score": round(float(r.value), 4), "decile": int(r.decile)},
        )
        for r in rows.itertuples(index=False)
    }


def _custom(params: dict[str, Any], rule_name: str, ids: Sequence[int] | None) -> Hits:
    customers = definition_queryset(params["definition"])
    if ids is not None:
        customers = customers.filter(pk__in=list(ids))
    return {
        int(pk): (rule_name, {})
        for pk in customers.values_list("pk", flat=True).iterator(chunk_size=20_000)
    }


EVALUATORS: dict[str, Callable[[dict[str, Any], dt.date, Sequence[int] | None], Hits]] = {
    AlertRule.Kind.BALANCE_DROP: _balance_drop,
    AlertRule.Kind.PRODUCT_CLOSED: _product_closed,
    AlertRule.Kind.COMPLAINT_OPEN: _complaint_open,
    AlertRule.Kind.CONTACT_DROP: _contact_drop,
    AlertRule.Kind.SCORE_THRESHOLD: _score_threshold,
}


def rule_hits(
    rule: AlertRule, *, as_of: dt.date, customer_ids: Sequence[int] | None = None
) -> Hits:
    """Customers a rule fires for as of a date, with the reason in words (nothing is written)."""
    params = params_clean(rule.kind, rule.params)
    if rule.kind == AlertRule.Kind.CUSTOM:
        return _custom(params, rule.name, customer_ids)
    return EVALUATORS[rule.kind](params, as_of, customer_ids)


def alerts_evaluate(
    *,
    actor: Any = None,
    as_of: dt.date | None = None,
    customer_ids: Sequence[int] | None = None,
    rule_ids: Sequence[int] | None = None,
) -> dict[str, int]:
    """Evaluate the active rules and raise alerts (retention list entries, owner notified on the
    start page, a timeline event on the customer). Returns {rule name: alerts raised}."""
    if actor is not None:
        require_perm(actor, "analytics.change_alertrule")
    cut = as_of or data_as_of()
    rules = AlertRule.objects.filter(is_active=True)
    if rule_ids is not None:
        rules = rules.filter(pk__in=list(rule_ids))
    raised: dict[str, int] = {}
    now = timezone.now()
    for rule in rules.order_by("pk"):
        try:
            hits = rule_hits(rule, as_of=cut, customer_ids=customer_ids)
        except ValidationError as exc:
            # a rule that no longer holds (an operator or a product since refused) is skipped
            # with the reason in the log and the audit trail; the other rules still run
            reason = "; ".join(exc.messages)
            logger.warning("alert rule %s not evaluated: %s", rule.name, reason)
            audit_record(
                actor=actor,
                action=AuditEntry.Action.UPDATE,
                obj=rule,
                summary=f"not evaluated as of {cut.isoformat()}: {reason}"[:300],
            )
            continue
        blocked: set[int] = set()
        candidates = list(hits)
        for start in range(0, len(candidates), 5000):
            blocked |= set(
                Alert.objects.filter(rule=rule, customer_id__in=candidates[start : start + 5000])
                .filter(
                    ~Q(status=Alert.Status.RESOLVED)
                    | Q(raised_at__gte=now - dt.timedelta(days=rule.cooldown_days))
                )
                .values_list("customer_id", flat=True)
            )
        new = [c for c in candidates if c not in blocked]
        owners: dict[int, int | None] = {}
        for start in range(0, len(new), 5000):
            # a customer who has left is no retention case any more
            owners.update(
                Customer.objects.filter(pk__in=new[start : start + 5000])
                .exclude(status=Customer.Status.CLOSED)
                .values_list("pk", "owner_id")
            )
        alerts = [
            Alert(
                customer_id=c,
                rule=rule,
                reason=hits[c][0][:300],
                details={**hits[c][1], "as_of": cut.isoformat()},
                owner_id=owners.get(c),
                raised_at=now,
            )
            for c in new
            if c in owners
        ]
        with transaction.atomic():
            Alert.objects.bulk_create(alerts, batch_size=2000)
            for alert in alerts:
                customer_event_record(
                    customer_id=alert.customer_id,
                    kind="retention_alert",
                    summary=f"Retention alert: {alert.reason}",
                    source="analytics",
                    payload={"rule": rule.name},
                )
            AlertRule.objects.filter(pk=rule.pk).update(last_evaluated_at=now)
            # each rule commits on its own, with its own entry: a later rule that fails leaves
            # no alerts unaccounted for
            audit_record(
                actor=actor,
                action=AuditEntry.Action.UPDATE,
                obj=rule,
                summary=f"evaluated as of {cut.isoformat()}: {len(alerts)} alerts raised",
            )
        raised[rule.name] = len(alerts)
    return raised


@transaction.atomic
def alert_update(*, actor: Any, alert_id: int, status: str, note: str = "") -> Alert:
    """Mark a retention alert contacted or resolved (the owner, their manager)."""
    require_perm(actor, "analytics.change_alert")
    # record-level access: an alert of a customer outside the actor's scope reads as none
    alert = (
        Alert.objects.select_related("rule")
        .filter(pk=alert_id, customer__in=customer_queryset(user=actor).values("pk"))
        .first()
    )
    if alert is None:
        raise NotFound("No such alert.")
    if status not in Alert.Status.values:
        raise ValidationError({"status": f"one of {', '.join(Alert.Status.values)}"})
    before = snapshot(alert, ["status", "note"])
    alert.status = status
    if note.strip():
        alert.note = note.strip()[:500]
    alert.handled_by = actor
    alert.full_clean()
    alert.save()
    audit_record(
        actor=actor,
        action=AuditEntry.Action.UPDATE,
        obj=alert,
        customer_id=alert.customer_id,
        before=before,
        after=snapshot(alert, ["status", "note"]),
    )
    if status != before["status"]:
        customer_event_record(
            customer_id=alert.customer_id,
            kind="retention_contact",
            summary=f"Retention alert {alert.get_status_display().lower()}: {alert.reason}"
            + (f" — {alert.note}" if note.strip() else ""),
            actor=actor,
            source="analytics",
        )
    return alert


def product_families() -> list[str]:
    return sorted(Product.objects.order_by().values_list("family", flat=True).distinct())
