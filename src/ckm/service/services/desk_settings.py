"""The managers' service desk settings: queues with their members and skills, SLA policies,
business calendars with holidays, reply templates. Every write checks the permission, validates
with field errors, runs in one transaction and leaves an audit entry with before and after."""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import math
import re
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.db import IntegrityError, models, transaction

from ckm.core.audit import audit_record, snapshot
from ckm.core.errors import NotFound, ValidationError
from ckm.core.models import AuditEntry, Office, Team, User
from ckm.core.permissions import require_perm
from ckm.customers.models import Product
from ckm.service.models import (
    BusinessCalendar,
    CaseKind,
    CasePriority,
    Holiday,
    Queue,
    QueueMember,
    ReplyTemplate,
    SlaPolicy,
)
from ckm.service.services.replies import PLACEHOLDERS
from ckm.service.sla import DEFAULT_HOURS

PERM_QUEUES = "service.change_queue"
PERM_SLA = "service.change_slapolicy"
PERM_CALENDARS = "service.change_businesscalendar"
PERM_TEMPLATES = "service.change_replytemplate"

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# business hours: a year of office hours is far beyond any sensible target
MAX_TARGET_HOURS = 10_000
_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")

M = TypeVar("M", bound=models.Model)


def _may_change(actor: Any, perm: str) -> None:
    """The permission check of a write; actor None is the system itself (the defaults of a new
    installation, the demo), as elsewhere in the service app."""
    if actor is not None:
        require_perm(actor, perm)


def _raise(errors: dict[str, list[str]]) -> None:
    if errors:
        raise ValidationError(errors)


def _add(errors: dict[str, list[str]], name: str, message: str) -> None:
    errors.setdefault(name, []).append(message)


def _get(model: type[M], pk: int, what: str, *, lock: bool = True) -> M:
    rows = model._default_manager.select_for_update() if lock else model._default_manager.all()
    row = rows.filter(pk=pk).first()
    if row is None:
        raise NotFound(f"No such {what}.")
    return row


def _unique_name(
    errors: dict[str, list[str]], model: type[models.Model], value: str, pk: int | None, what: str
) -> None:
    field_name = "code" if model is ReplyTemplate else "name"
    taken = model._default_manager.filter(**{f"{field_name}__iexact": value}).exclude(pk=pk)
    if value and taken.exists():
        _add(errors, field_name, f"{what} {value!r} already exists.")


def _full_clean(row: models.Model, errors: dict[str, list[str]]) -> None:
    """The model's own checks (lengths, choices), merged with ours; uniqueness is ours."""
    checked = set(errors) | {name.removesuffix("_id") for name in errors}
    try:
        row.full_clean(exclude=checked, validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            for message in messages:
                _add(errors, name, message)
    _raise(errors)


def _save_unique(row: models.Model, what: str) -> None:
    """Save a row whose name (a template's code) is unique: a save that loses a race with another
    one of the same name is a field error, like the check before it, not a server error."""
    field_name = "code" if isinstance(row, ReplyTemplate) else "name"
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError:
        value = getattr(row, field_name)
        raise ValidationError({field_name: [f"{what} {value!r} already exists."]}) from None


def _words(values: Sequence[str], *, lower: bool = False) -> list[str]:
    """Trimmed, de-duplicated, in the order given."""
    out: list[str] = []
    for value in values:
        word = value.strip().lower() if lower else value.strip()
        if word and word not in out:
            out.append(word)
    return out


def _audit(
    actor: Any, row: models.Model, before: dict[str, Any] | None, after: dict[str, Any]
) -> None:
    audit_record(
        actor=actor,
        action=AuditEntry.Action.CREATE if before is None else AuditEntry.Action.UPDATE,
        obj=row,
        before=before,
        after=after,
        summary=f"Service settings: {row._meta.verbose_name} {row}"[:300],
    )


# --- queues -------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class MemberFields:
    user_id: int
    skills: list[str] = field(default_factory=list)
    active: bool = True


@dataclass(frozen=True, kw_only=True)
class QueueFields:
    """A queue's routing rules; members=None leaves the members as they are."""

    name: str
    product_ids: list[int] = field(default_factory=list)
    product_families: list[str] = field(default_factory=list)
    office_ids: list[int] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    strategy: str = Queue.Strategy.LEAST_LOADED
    team_id: int | None = None
    rank: int = 100
    is_default: bool = False
    active: bool = True
    members: list[MemberFields] | None = None


def queue_fields_of(queue: Queue) -> QueueFields:
    """The stored values of a queue, as the edit form and a partial API update start from."""
    return QueueFields(
        name=queue.name,
        product_ids=sorted(p.pk for p in queue.products.all()),
        product_families=list(queue.product_families or []),
        office_ids=sorted(o.pk for o in queue.offices.all()),
        kinds=list(queue.kinds or []),
        categories=list(queue.categories or []),
        strategy=queue.strategy,
        team_id=queue.team_id,
        rank=queue.rank,
        is_default=queue.is_default,
        active=queue.active,
    )


QUEUE_FIELDS = [
    "name",
    "product_families",
    "kinds",
    "categories",
    "strategy",
    "team_id",
    "rank",
    "is_default",
    "active",
]


def _queue_snapshot(queue: Queue) -> dict[str, Any]:
    data = snapshot(
        queue,
        QUEUE_FIELDS,
    )
    data["product_ids"] = sorted(p.pk for p in queue.products.all())
    data["office_ids"] = sorted(o.pk for o in queue.offices.all())
    data["members"] = [
        {"user_id": m.user_id, "skills": m.skills, "active": m.active}
        for m in queue.memberships.order_by("user_id")
    ]
    return data


def _member_errors(
    members: Sequence[MemberFields], errors: dict[str, list[str]], field: str = "members"
) -> None:
    """Members are active users whose role works on cases, each listed once."""
    ids = [m.user_id for m in members]
    users = {u.pk: u for u in User.objects.filter(pk__in=ids, is_active=True)}
    for member in members:
        user = users.get(member.user_id)
        if user is None:
            _add(errors, field, f"No active user with id {member.user_id}.")
        elif member.active and not user.has_perm("service.change_case"):
            _add(errors, field, f"{user} does not work on cases (their role cannot change one).")
    if len(set(ids)) != len(ids):
        _add(errors, field, "A user is listed twice.")


def queue_write(*, actor: Any, queue: Queue | None, fields: QueueFields) -> Queue:
    """Create (queue None) or change a queue; the create/update/deactivate services and the
    desk's defaults share it."""
    _may_change(actor, PERM_QUEUES)
    before = _queue_snapshot(queue) if queue is not None else None
    row = queue or Queue()
    errors: dict[str, list[str]] = {}
    name = fields.name.strip()
    if not name:
        _add(errors, "name", "Give the queue a name.")
    _unique_name(errors, Queue, name, row.pk, "A queue named")
    products = list(Product.objects.filter(pk__in=fields.product_ids))
    if len(products) != len(set(fields.product_ids)):
        _add(errors, "product_ids", "Some products do not exist.")
    offices = list(Office.objects.filter(pk__in=fields.office_ids))
    if len(offices) != len(set(fields.office_ids)):
        _add(errors, "office_ids", "Some offices do not exist.")
    bad_kinds = [k for k in fields.kinds if k not in CaseKind.values]
    if bad_kinds:
        _add(errors, "kinds", f"Unknown case kinds: {', '.join(bad_kinds)}.")
    if fields.team_id is not None and not Team.objects.filter(pk=fields.team_id).exists():
        _add(errors, "team_id", "No such team.")
    if fields.rank < 0 or fields.rank > 32767:
        _add(errors, "rank", "The rank is a number from 0 to 32767.")
    if not fields.active and fields.is_default:
        _add(errors, "active", "The default queue must stay active; make another the default.")
    if fields.members is not None:
        _member_errors(fields.members, errors)
    row.name = name
    row.product_families = _words(fields.product_families, lower=True)
    row.kinds = _words(fields.kinds)
    row.categories = _words(fields.categories)
    row.strategy = fields.strategy
    row.team_id = fields.team_id
    row.rank = max(0, min(fields.rank, 32767))
    row.is_default = fields.is_default
    row.active = fields.active
    _full_clean(row, errors)
    _save_unique(row, "A queue named")
    if row.is_default:
        Queue.objects.exclude(pk=row.pk).filter(is_default=True).update(is_default=False)
    row.products.set(products)
    row.offices.set(offices)
    if fields.members is not None:
        listed = {m.user_id for m in fields.members}
        for member in fields.members:
            QueueMember.objects.update_or_create(
                queue=row,
                user_id=member.user_id,
                defaults={"skills": _words(member.skills), "active": member.active},
            )
        row.memberships.exclude(user_id__in=listed).update(active=False)
    _audit(actor, row, before, _queue_snapshot(row))
    return row


@transaction.atomic
def queue_create(*, actor: Any, fields: QueueFields) -> Queue:
    """A new queue with its routing rules (and members, when given)."""
    require_perm(actor, PERM_QUEUES)
    return queue_write(actor=actor, queue=None, fields=fields)


@transaction.atomic
def queue_update(*, actor: Any, queue_id: int, fields: QueueFields) -> Queue:
    """Change a queue's routing rules (and members, when given: the unlisted ones go inactive)."""
    require_perm(actor, PERM_QUEUES)
    return queue_write(actor=actor, queue=_get(Queue, queue_id, "queue"), fields=fields)


@transaction.atomic
def queue_deactivate(*, actor: Any, queue_id: int) -> Queue:
    """Take a queue out of routing; its cases stay where they are. Not the default queue: it
    takes the cases no other queue's rules match."""
    require_perm(actor, PERM_QUEUES)
    queue = _get(Queue, queue_id, "queue")
    if queue.is_default:
        raise ValidationError(
            {
                "active": f"“{queue.name}” is the default queue: it takes the cases no other "
                "queue's rules match, so it cannot be deactivated. Make another queue the "
                "default first."
            }
        )
    return queue_write(
        actor=actor,
        queue=queue,
        fields=QueueFields(**{**vars(queue_fields_of(queue)), "active": False}),
    )


@transaction.atomic
def queue_member_save(
    *, actor: Any, queue_id: int, user_id: int, skills: Sequence[str] = (), active: bool = True
) -> QueueMember:
    """Add an agent to a queue or change their skills (empty: every category) and active flag."""
    require_perm(actor, PERM_QUEUES)
    queue = _get(Queue, queue_id, "queue")
    errors: dict[str, list[str]] = {}
    _member_errors([MemberFields(user_id=user_id, active=active)], errors, field="user_id")
    _raise(errors)
    before = _queue_snapshot(queue)
    member, _ = QueueMember.objects.update_or_create(
        queue=queue, user_id=user_id, defaults={"skills": _words(skills), "active": active}
    )
    _audit(actor, queue, before, _queue_snapshot(queue))
    return member


# --- SLA policies -------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class SlaPolicyFields:
    name: str
    kind: str = ""
    priority: str = ""
    first_response_hours: float = 8
    resolution_hours: float = 40
    warn_at_percent: int = 80
    escalate_at_percent: int = 95
    calendar_id: int | None = None
    escalate_to_id: int | None = None
    active: bool = True


SLA_FIELDS = [
    "name",
    "kind",
    "priority",
    "first_response_hours",
    "resolution_hours",
    "warn_at_percent",
    "escalate_at_percent",
    "calendar_id",
    "escalate_to_id",
    "active",
]


def sla_policy_fields_of(policy: SlaPolicy) -> SlaPolicyFields:
    """The stored values of a policy."""
    return SlaPolicyFields(**{name: getattr(policy, name) for name in SLA_FIELDS})


def _sla_write(*, actor: Any, policy: SlaPolicy | None, fields: SlaPolicyFields) -> SlaPolicy:
    _may_change(actor, PERM_SLA)
    before = snapshot(policy, SLA_FIELDS) if policy is not None else None
    row = policy or SlaPolicy()
    errors: dict[str, list[str]] = {}
    name = fields.name.strip()
    if not name:
        _add(errors, "name", "Give the policy a name.")
    _unique_name(errors, SlaPolicy, name, row.pk, "An SLA policy named")
    if fields.kind and fields.kind not in CaseKind.values:
        _add(errors, "kind", "Unknown case kind.")
    if fields.priority and fields.priority not in CasePriority.values:
        _add(errors, "priority", "Unknown priority.")
    first, resolution = fields.first_response_hours, fields.resolution_hours
    for target, value in (("first_response_hours", first), ("resolution_hours", resolution)):
        if not (math.isfinite(value) and 0 < value <= MAX_TARGET_HOURS):
            _add(errors, target, f"Give a target above 0 and up to {MAX_TARGET_HOURS:,} hours.")
    if not ({"first_response_hours", "resolution_hours"} & errors.keys()) and resolution < first:
        _add(
            errors,
            "resolution_hours",
            "The resolution target cannot come before the first response target.",
        )
    if not 0 < fields.escalate_at_percent <= 100:
        _add(errors, "escalate_at_percent", "Escalate at a share from 1 to 100 %.")
    if not 0 < fields.warn_at_percent < fields.escalate_at_percent:
        _add(
            errors,
            "warn_at_percent",
            "The warning comes before the escalation: above 0 and below the escalation share.",
        )
    if (
        fields.calendar_id is not None
        and not BusinessCalendar.objects.filter(pk=fields.calendar_id).exists()
    ):
        _add(errors, "calendar_id", "No such calendar.")
    if (
        fields.escalate_to_id is not None
        and not User.objects.filter(pk=fields.escalate_to_id, is_active=True).exists()
    ):
        _add(errors, "escalate_to_id", "Pick an active user.")
    for name_ in SLA_FIELDS:
        setattr(row, name_, getattr(fields, name_))
    row.name = name
    _full_clean(row, errors)
    _save_unique(row, "An SLA policy named")
    _audit(actor, row, before, snapshot(row, SLA_FIELDS))
    return row


@transaction.atomic
def sla_policy_create(*, actor: Any, fields: SlaPolicyFields) -> SlaPolicy:
    """A new SLA policy (targets in business hours of its calendar)."""
    require_perm(actor, PERM_SLA)
    return _sla_write(actor=actor, policy=None, fields=fields)


@transaction.atomic
def sla_policy_update(*, actor: Any, policy_id: int, fields: SlaPolicyFields) -> SlaPolicy:
    """Change an SLA policy; cases keep the deadlines they were given."""
    require_perm(actor, PERM_SLA)
    return _sla_write(actor=actor, policy=_get(SlaPolicy, policy_id, "SLA policy"), fields=fields)


@transaction.atomic
def sla_policy_deactivate(*, actor: Any, policy_id: int) -> SlaPolicy:
    """Stop using a policy for new cases."""
    require_perm(actor, PERM_SLA)
    policy = _get(SlaPolicy, policy_id, "SLA policy")
    values = {**vars(sla_policy_fields_of(policy)), "active": False}
    return _sla_write(actor=actor, policy=policy, fields=SlaPolicyFields(**values))


# --- business calendars -------------------------------------------------------------------------


@functools.cache
def _zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def time_zone_choices() -> list[str]:
    """Every IANA time zone name, sorted."""
    return sorted(_zones())


def hours_clean(hours: Any) -> dict[str, list[list[str]]]:
    """Opening hours in the stored form {"0": [["09:00", "17:00"]], ..., "6": []} (Monday is "0"),
    checked: HH:MM times, opening before closing ("24:00" closes at midnight), no overlaps.
    Every weekday is written, so a calendar closed all week is not read as the default."""
    if not isinstance(hours, dict):
        raise ValidationError({"hours": ["Opening hours are a mapping of weekday to spans."]})
    errors: list[str] = []
    unknown = [k for k in hours if str(k) not in {str(d) for d in range(7)}]
    if unknown:
        errors.append(f"Weekdays are 0 (Monday) to 6 (Sunday), not {', '.join(map(str, unknown))}.")
    out: dict[str, list[list[str]]] = {}
    for day in range(7):
        spans = hours.get(str(day), hours.get(day, [])) or []  # type: ignore[call-overload]
        label = WEEKDAYS[day]
        clean: list[list[str]] = []
        for span in spans if isinstance(spans, list) else [None]:
            if not (isinstance(span, (list, tuple)) and len(span) == 2):
                errors.append(f"{label}: each span is an opening and a closing time.")
                continue
            opening, closing = str(span[0]).strip(), str(span[1]).strip()
            if not _TIME.match(opening) or not (_TIME.match(closing) or closing == "24:00"):
                errors.append(f"{label}: times are HH:MM, e.g. 09:00-17:00.")
                continue
            if opening >= closing:
                errors.append(f"{label}: opening {opening} must be before closing {closing}.")
                continue
            clean.append([opening, closing])
        clean.sort()
        for (_, end), (start, _) in itertools.pairwise(clean):
            if start < end:
                errors.append(f"{label}: the spans overlap ({start} is before {end}).")
        out[str(day)] = clean
    if errors:
        raise ValidationError({"hours": errors})
    return out


@dataclass(frozen=True, kw_only=True)
class CalendarFields:
    """A calendar; holidays=None leaves the holidays as they are, a list replaces them."""

    name: str
    time_zone: str = "Europe/Berlin"
    hours: dict[str, list[list[str]]] = field(default_factory=dict)
    is_default: bool = False
    holidays: list[tuple[dt.date, str]] | None = None


def calendar_fields_of(calendar: BusinessCalendar) -> CalendarFields:
    """The stored values of a calendar (without holidays)."""
    return CalendarFields(
        name=calendar.name,
        time_zone=calendar.time_zone,
        hours=calendar.hours or DEFAULT_HOURS,
        is_default=calendar.is_default,
    )


def _calendar_snapshot(calendar: BusinessCalendar) -> dict[str, Any]:
    data = snapshot(calendar, ["name", "time_zone", "hours", "is_default"])
    data["holidays"] = [[h.date.isoformat(), h.name] for h in calendar.holidays.all()]
    return data


def calendar_write(
    *, actor: Any, calendar: BusinessCalendar | None, fields: CalendarFields
) -> BusinessCalendar:
    """Create (calendar None) or change a calendar; the services and the desk's defaults share it."""
    _may_change(actor, PERM_CALENDARS)
    before = _calendar_snapshot(calendar) if calendar is not None else None
    row = calendar or BusinessCalendar()
    errors: dict[str, list[str]] = {}
    name = fields.name.strip()
    if not name:
        _add(errors, "name", "Give the calendar a name.")
    _unique_name(errors, BusinessCalendar, name, row.pk, "A calendar named")
    if fields.time_zone not in _zones():
        _add(errors, "time_zone", f"{fields.time_zone!r} is not a time zone (e.g. Europe/Berlin).")
    try:
        hours = hours_clean(fields.hours)
    except ValidationError as exc:
        hours = {}
        errors.update(exc.message_dict)
    if calendar is not None and calendar.is_default and not fields.is_default:
        _add(errors, "is_default", "Make another calendar the default instead.")
    if fields.holidays is not None:
        days = [day for day, _ in fields.holidays]
        if len(set(days)) != len(days):
            _add(errors, "holidays", "A date is listed twice.")
    row.name, row.time_zone, row.hours, row.is_default = (
        name,
        fields.time_zone,
        hours,
        fields.is_default,
    )
    _full_clean(row, errors)
    _save_unique(row, "A calendar named")
    if row.is_default:
        BusinessCalendar.objects.exclude(pk=row.pk).filter(is_default=True).update(is_default=False)
    if fields.holidays is not None:
        row.holidays.all().delete()
        Holiday.objects.bulk_create(
            Holiday(calendar=row, date=day, name=label.strip()[:120])
            for day, label in fields.holidays
        )
    _audit(actor, row, before, _calendar_snapshot(row))
    return row


@transaction.atomic
def calendar_create(*, actor: Any, fields: CalendarFields) -> BusinessCalendar:
    """A new business calendar: weekly opening hours in a time zone, holidays."""
    require_perm(actor, PERM_CALENDARS)
    return calendar_write(actor=actor, calendar=None, fields=fields)


@transaction.atomic
def calendar_update(*, actor: Any, calendar_id: int, fields: CalendarFields) -> BusinessCalendar:
    """Change a calendar; open cases keep the deadlines they were given."""
    require_perm(actor, PERM_CALENDARS)
    calendar = _get(BusinessCalendar, calendar_id, "calendar")
    return calendar_write(actor=actor, calendar=calendar, fields=fields)


@transaction.atomic
def holiday_add(*, actor: Any, calendar_id: int, date: dt.date, name: str = "") -> Holiday:
    """A day the calendar's clock does not run."""
    require_perm(actor, PERM_CALENDARS)
    calendar = _get(BusinessCalendar, calendar_id, "calendar")
    if calendar.holidays.filter(date=date).exists():
        raise ValidationError({"date": [f"{date:%Y-%m-%d} is already a holiday."]})
    if len(name) > 120:
        raise ValidationError({"name": ["At most 120 characters."]})
    before = _calendar_snapshot(calendar)
    holiday = Holiday.objects.create(calendar=calendar, date=date, name=name.strip())
    _audit(actor, calendar, before, _calendar_snapshot(calendar))
    return holiday


@transaction.atomic
def holiday_remove(*, actor: Any, calendar_id: int, holiday_id: int) -> None:
    """The clock runs on that day again."""
    require_perm(actor, PERM_CALENDARS)
    calendar = _get(BusinessCalendar, calendar_id, "calendar")
    holiday = calendar.holidays.filter(pk=holiday_id).first()
    if holiday is None:
        raise NotFound("No such holiday.")
    before = _calendar_snapshot(calendar)
    holiday.delete()
    _audit(actor, calendar, before, _calendar_snapshot(calendar))


# --- reply templates ----------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ReplyTemplateFields:
    code: str
    name: str
    subject: str
    body: str
    purpose: str = ReplyTemplate.Purpose.OTHER
    kind: str = ""
    active: bool = True


TEMPLATE_FIELDS = ["code", "name", "purpose", "kind", "subject", "body", "active"]


def reply_template_fields_of(template: ReplyTemplate) -> ReplyTemplateFields:
    """The stored values of a reply template."""
    return ReplyTemplateFields(**{name: getattr(template, name) for name in TEMPLATE_FIELDS})


def _placeholder_errors(text: str) -> list[str]:
    import string

    try:
        fields = [(n, s, c) for _, n, s, c in string.Formatter().parse(text) if n is not None]
    except ValueError:
        return ["A brace is not closed: write placeholders as {name}."]
    unknown = sorted(n for n, _, _ in fields if n not in PLACEHOLDERS)
    if unknown:
        allowed = ", ".join("{" + p + "}" for p in sorted(PLACEHOLDERS))
        return [f"Unknown placeholder {{{unknown[0]}}}; use {allowed}."]
    for name, spec, conversion in fields:
        if spec or conversion:
            written = "{" + name + (f"!{conversion}" if conversion else "")
            written += (f":{spec}" if spec else "") + "}"
            return [
                f"Write the placeholder {written} as plain {{{name}}}: "
                "a format or a conversion is not allowed."
            ]
    return []


def _template_write(
    *, actor: Any, template: ReplyTemplate | None, fields: ReplyTemplateFields
) -> ReplyTemplate:
    _may_change(actor, PERM_TEMPLATES)
    before = snapshot(template, TEMPLATE_FIELDS) if template is not None else None
    row = template or ReplyTemplate()
    errors: dict[str, list[str]] = {}
    code = fields.code.strip().lower()
    if not code:
        _add(errors, "code", "Give the template a code (letters, digits, hyphens).")
    _unique_name(errors, ReplyTemplate, code, row.pk, "A template with the code")
    if not fields.name.strip():
        _add(errors, "name", "Give the template a name.")
    if not fields.subject.strip():
        _add(errors, "subject", "Give the message a subject.")
    if not fields.body.strip():
        _add(errors, "body", "Write the message.")
    for name_ in ("subject", "body"):
        for message in _placeholder_errors(getattr(fields, name_)):
            _add(errors, name_, message)
    for name_ in TEMPLATE_FIELDS:
        value = getattr(fields, name_)
        setattr(row, name_, value.strip() if isinstance(value, str) else value)
    row.code = code
    _full_clean(row, errors)
    _save_unique(row, "A template with the code")
    _audit(actor, row, before, snapshot(row, TEMPLATE_FIELDS))
    return row


@transaction.atomic
def reply_template_create(*, actor: Any, fields: ReplyTemplateFields) -> ReplyTemplate:
    """A new reply template in the house style."""
    require_perm(actor, PERM_TEMPLATES)
    return _template_write(actor=actor, template=None, fields=fields)


@transaction.atomic
def reply_template_update(
    *, actor: Any, template_id: int, fields: ReplyTemplateFields
) -> ReplyTemplate:
    """Change a reply template; messages already sent keep their text."""
    require_perm(actor, PERM_TEMPLATES)
    template = _get(ReplyTemplate, template_id, "reply template")
    return _template_write(actor=actor, template=template, fields=fields)


@transaction.atomic
def reply_template_deactivate(*, actor: Any, template_id: int) -> ReplyTemplate:
    """Stop offering a template to agents and automatic messages."""
    require_perm(actor, PERM_TEMPLATES)
    template = _get(ReplyTemplate, template_id, "reply template")
    values = {**vars(reply_template_fields_of(template)), "active": False}
    return _template_write(actor=actor, template=template, fields=ReplyTemplateFields(**values))
