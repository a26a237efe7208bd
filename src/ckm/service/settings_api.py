"""API of the service desk settings: queues (with members and skills), SLA policies, business
calendars (with holidays) and reply templates. Create with POST, change with PATCH (only the
fields sent). Thin: schemas check types, the desk-settings services check the rules and write;
bad input is answered with 400 or 422 and field errors, a role without the permission with 403."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any, Literal

from ninja import Field, Router, Schema, Status

from ckm.core.apikit import In, Patch, sent_fields
from ckm.core.errors import NotFound
from ckm.core.http import AuthedRequest
from ckm.service import selectors
from ckm.service.models import BusinessCalendar, Queue, ReplyTemplate, SlaPolicy
from ckm.service.services import desk_settings as ds

router = Router(tags=["service settings"])

Kind = Literal["request", "complaint", "idea"]
AnyKind = Literal["", "request", "complaint", "idea"]
AnyPriority = Literal["", "low", "normal", "high", "urgent"]
Strategy = Literal["round_robin", "least_loaded"]
Purpose = Literal["acknowledgement", "answer", "satisfaction", "other"]


# fields that may be set to null by a PATCH (a null anywhere else is refused)
NULLABLE = frozenset({"team_id", "calendar_id", "escalate_to_id"})


def _sent(payload: Patch) -> dict[str, Any]:
    """The fields a PATCH sent."""
    return sent_fields(payload)


# --- queues -------------------------------------------------------------------------------------


class MemberSchema(In):
    user_id: int
    skills: list[str] = Field(default_factory=list, description="Categories; empty: all")
    active: bool = True


class QueueMemberOut(MemberSchema):
    username: str


class QueueOut(Schema):
    id: int
    name: str
    product_ids: list[int]
    product_families: list[str]
    office_ids: list[int]
    kinds: list[str]
    categories: list[str]
    strategy: str
    team_id: int | None
    rank: int
    is_default: bool
    active: bool
    members: list[QueueMemberOut]

    @staticmethod
    def resolve_product_ids(q: Queue) -> list[int]:
        return sorted(p.pk for p in q.products.all())

    @staticmethod
    def resolve_office_ids(q: Queue) -> list[int]:
        return sorted(o.pk for o in q.offices.all())

    @staticmethod
    def resolve_members(q: Queue) -> list[dict[str, Any]]:
        return [
            {
                "user_id": m.user_id,
                "username": m.user.username,
                "skills": m.skills,
                "active": m.active,
            }
            for m in q.memberships.all()
        ]


class QueueIn(In):
    name: str = Field(..., max_length=120)
    product_ids: list[int] = Field(default_factory=list)
    product_families: list[str] = Field(default_factory=list)
    office_ids: list[int] = Field(default_factory=list)
    kinds: list[Kind] = Field(default_factory=list)
    categories: list[str] = Field(default_factory=list, description="Skills: issue categories")
    strategy: Strategy = "least_loaded"
    team_id: int | None = None
    rank: int = Field(100, ge=0, le=32767)
    is_default: bool = False
    active: bool = True
    members: list[MemberSchema] | None = Field(
        None, description="The whole member list; omitted: members stay as they are"
    )


class QueuePatch(Patch):
    nullable = NULLABLE

    name: str | None = Field(None, max_length=120)
    product_ids: list[int] | None = None
    product_families: list[str] | None = None
    office_ids: list[int] | None = None
    kinds: list[Kind] | None = None
    categories: list[str] | None = None
    strategy: Strategy | None = None
    team_id: int | None = None
    rank: int | None = Field(None, ge=0, le=32767)
    is_default: bool | None = None
    active: bool | None = None
    members: list[MemberSchema] | None = None


def _queue_fields(data: dict[str, Any], base: ds.QueueFields | None = None) -> ds.QueueFields:
    members = data.pop("members", None)
    if members is not None:
        data["members"] = [ds.MemberFields(**m) for m in members]
    return replace(base, **data) if base is not None else ds.QueueFields(**data)


def _queue(request: AuthedRequest, queue_id: int) -> Queue:
    return selectors.settings_queue(user=request.user, queue_id=queue_id)


@router.get("/service/queues", response=list[QueueOut], summary="Every queue with its members")
def queue_list(request: AuthedRequest) -> Any:
    return list(selectors.settings_queues(user=request.user, read_only=True))


@router.post("/service/queues", response={201: QueueOut}, summary="Create a queue")
def queue_create(request: AuthedRequest, payload: QueueIn) -> Status[Queue]:
    queue = ds.queue_create(actor=request.user, fields=_queue_fields(payload.dict()))
    return Status(201, _queue(request, queue.pk))


@router.patch(
    "/service/queues/{int:queue_id}", response=QueueOut, summary="Change a queue (fields sent)"
)
def queue_update(request: AuthedRequest, queue_id: int, payload: QueuePatch) -> Queue:
    base = ds.queue_fields_of(_queue(request, queue_id))
    fields = _queue_fields(_sent(payload), base)
    ds.queue_update(actor=request.user, queue_id=queue_id, fields=fields)
    return _queue(request, queue_id)


# --- SLA policies -------------------------------------------------------------------------------


class SlaPolicyOut(Schema):
    id: int
    name: str
    kind: str
    priority: str
    first_response_hours: float
    resolution_hours: float
    warn_at_percent: int
    escalate_at_percent: int
    calendar_id: int | None
    escalate_to_id: int | None
    active: bool


class SlaPolicyIn(In):
    name: str = Field(..., max_length=120)
    kind: AnyKind = ""
    priority: AnyPriority = ""
    first_response_hours: float = Field(8, description="Business hours")
    resolution_hours: float = Field(40, description="Business hours")
    warn_at_percent: int = 80
    escalate_at_percent: int = 95
    calendar_id: int | None = None
    escalate_to_id: int | None = None
    active: bool = True


class SlaPolicyPatch(Patch):
    nullable = NULLABLE

    name: str | None = Field(None, max_length=120)
    kind: AnyKind | None = None
    priority: AnyPriority | None = None
    first_response_hours: float | None = None
    resolution_hours: float | None = None
    warn_at_percent: int | None = None
    escalate_at_percent: int | None = None
    calendar_id: int | None = None
    escalate_to_id: int | None = None
    active: bool | None = None


def _policy(request: AuthedRequest, policy_id: int) -> SlaPolicy:
    row = selectors.settings_sla_policies(user=request.user).filter(pk=policy_id).first()
    if row is None:
        raise NotFound("No such SLA policy.")
    return row


@router.get("/service/sla-policies", response=list[SlaPolicyOut], summary="Every SLA policy")
def sla_policy_list(request: AuthedRequest) -> Any:
    return list(selectors.settings_sla_policies(user=request.user, read_only=True))


@router.post("/service/sla-policies", response={201: SlaPolicyOut}, summary="Create an SLA policy")
def sla_policy_create(request: AuthedRequest, payload: SlaPolicyIn) -> Status[SlaPolicy]:
    policy = ds.sla_policy_create(actor=request.user, fields=ds.SlaPolicyFields(**payload.dict()))
    return Status(201, policy)


@router.patch(
    "/service/sla-policies/{int:policy_id}",
    response=SlaPolicyOut,
    summary="Change an SLA policy (fields sent)",
)
def sla_policy_update(request: AuthedRequest, policy_id: int, payload: SlaPolicyPatch) -> Any:
    base = ds.sla_policy_fields_of(_policy(request, policy_id))
    fields = replace(base, **_sent(payload))
    return ds.sla_policy_update(actor=request.user, policy_id=policy_id, fields=fields)


# --- business calendars -------------------------------------------------------------------------


class HolidaySchema(In):
    date: dt.date
    name: str = Field("", max_length=120)


class CalendarOut(Schema):
    id: int
    name: str
    time_zone: str
    hours: dict[str, list[list[str]]]
    is_default: bool
    holidays: list[HolidaySchema]

    @staticmethod
    def resolve_holidays(c: BusinessCalendar) -> list[dict[str, Any]]:
        return [{"date": h.date, "name": h.name} for h in c.holidays.all()]


HOURS_HELP = 'Weekday ("0" = Monday) to opening spans, e.g. {"0": [["09:00", "17:00"]]}'


class CalendarIn(In):
    name: str = Field(..., max_length=120)
    time_zone: str = Field("Europe/Berlin", max_length=60, description="IANA name")
    hours: dict[str, list[list[str]]] = Field(..., description=HOURS_HELP)
    is_default: bool = False
    holidays: list[HolidaySchema] | None = Field(None, description="Replaces the holidays")


class CalendarPatch(Patch):
    nullable = NULLABLE

    name: str | None = Field(None, max_length=120)
    time_zone: str | None = Field(None, max_length=60)
    hours: dict[str, list[list[str]]] | None = Field(None, description=HOURS_HELP)
    is_default: bool | None = None
    holidays: list[HolidaySchema] | None = None


def _calendar_fields(data: dict[str, Any], base: ds.CalendarFields | None) -> ds.CalendarFields:
    holidays = data.pop("holidays", None)
    if holidays is not None:
        data["holidays"] = [(h["date"], h.get("name", "")) for h in holidays]
    return replace(base, **data) if base is not None else ds.CalendarFields(**data)


def _calendar(request: AuthedRequest, calendar_id: int) -> BusinessCalendar:
    row = selectors.settings_calendars(user=request.user).filter(pk=calendar_id).first()
    if row is None:
        raise NotFound("No such calendar.")
    return row


@router.get(
    "/service/calendars", response=list[CalendarOut], summary="Every calendar with holidays"
)
def calendar_list(request: AuthedRequest) -> Any:
    return list(selectors.settings_calendars(user=request.user, read_only=True))


@router.post("/service/calendars", response={201: CalendarOut}, summary="Create a calendar")
def calendar_create(request: AuthedRequest, payload: CalendarIn) -> Status[BusinessCalendar]:
    fields = _calendar_fields(payload.dict(), None)
    calendar = ds.calendar_create(actor=request.user, fields=fields)
    return Status(201, _calendar(request, calendar.pk))


@router.patch(
    "/service/calendars/{int:calendar_id}",
    response=CalendarOut,
    summary="Change a calendar (fields sent; holidays, when sent, replace the old ones)",
)
def calendar_update(request: AuthedRequest, calendar_id: int, payload: CalendarPatch) -> Any:
    base = ds.calendar_fields_of(_calendar(request, calendar_id))
    fields = _calendar_fields(_sent(payload), base)
    ds.calendar_update(actor=request.user, calendar_id=calendar_id, fields=fields)
    return _calendar(request, calendar_id)


# --- reply templates ----------------------------------------------------------------------------


class ReplyTemplateOut(Schema):
    id: int
    code: str
    name: str
    purpose: str
    kind: str
    subject: str
    body: str
    active: bool


class ReplyTemplateIn(In):
    code: str = Field(..., max_length=60)
    name: str = Field(..., max_length=120)
    purpose: Purpose = "other"
    kind: AnyKind = ""
    subject: str = Field(..., max_length=255)
    body: str = Field(..., max_length=20_000)
    active: bool = True


class ReplyTemplatePatch(Patch):
    nullable = NULLABLE

    code: str | None = Field(None, max_length=60)
    name: str | None = Field(None, max_length=120)
    purpose: Purpose | None = None
    kind: AnyKind | None = None
    subject: str | None = Field(None, max_length=255)
    body: str | None = Field(None, max_length=20_000)
    active: bool | None = None


def _template(request: AuthedRequest, template_id: int) -> ReplyTemplate:
    row = selectors.settings_reply_templates(user=request.user).filter(pk=template_id).first()
    if row is None:
        raise NotFound("No such reply template.")
    return row


@router.get(
    "/service/reply-templates", response=list[ReplyTemplateOut], summary="Every reply template"
)
def reply_template_list(request: AuthedRequest) -> Any:
    return list(selectors.settings_reply_templates(user=request.user, read_only=True))


@router.post(
    "/service/reply-templates", response={201: ReplyTemplateOut}, summary="Create a template"
)
def reply_template_create(
    request: AuthedRequest, payload: ReplyTemplateIn
) -> Status[ReplyTemplate]:
    fields = ds.ReplyTemplateFields(**payload.dict())
    return Status(201, ds.reply_template_create(actor=request.user, fields=fields))


@router.patch(
    "/service/reply-templates/{int:template_id}",
    response=ReplyTemplateOut,
    summary="Change a reply template (fields sent)",
)
def reply_template_update(
    request: AuthedRequest, template_id: int, payload: ReplyTemplatePatch
) -> Any:
    base = ds.reply_template_fields_of(_template(request, template_id))
    fields = replace(base, **_sent(payload))
    return ds.reply_template_update(actor=request.user, template_id=template_id, fields=fields)
