"""The managers' service settings pages: queues with members, SLA policies, business calendars
with holidays, reply templates. Thin: forms parse, the desk-settings services check and write,
selectors read. Each section needs its own change permission; others get 403."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Model, QuerySet
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from ckm.core.errors import NotFound
from ckm.core.http import AuthedRequest
from ckm.service import selectors
from ckm.service.services import desk_settings as ds
from ckm.service.settings_forms import (
    CalendarForm,
    HolidayForm,
    MemberForm,
    QueueForm,
    ReplyTemplateForm,
    SlaPolicyForm,
)


@dataclass(frozen=True)
class Section:
    slug: str
    label: str
    noun: str
    perm: str
    form: type[forms.Form]
    rows: Callable[..., QuerySet[Any]]
    fields_of: Callable[[Any], Any]
    create: Callable[..., Model]
    update: Callable[..., Model]
    id_arg: str
    deactivate: Callable[..., Model] | None = None


SECTIONS = {
    s.slug: s
    for s in [
        Section(
            "queues",
            "Queues",
            "queue",
            ds.PERM_QUEUES,
            QueueForm,
            selectors.settings_queues,
            ds.queue_fields_of,
            ds.queue_create,
            ds.queue_update,
            "queue_id",
            ds.queue_deactivate,
        ),
        Section(
            "sla",
            "SLA policies",
            "SLA policy",
            ds.PERM_SLA,
            SlaPolicyForm,
            selectors.settings_sla_policies,
            ds.sla_policy_fields_of,
            ds.sla_policy_create,
            ds.sla_policy_update,
            "policy_id",
            ds.sla_policy_deactivate,
        ),
        Section(
            "calendars",
            "Business calendars",
            "calendar",
            ds.PERM_CALENDARS,
            CalendarForm,
            selectors.settings_calendars,
            ds.calendar_fields_of,
            ds.calendar_create,
            ds.calendar_update,
            "calendar_id",
        ),
        Section(
            "templates",
            "Reply templates",
            "reply template",
            ds.PERM_TEMPLATES,
            ReplyTemplateForm,
            selectors.settings_reply_templates,
            ds.reply_template_fields_of,
            ds.reply_template_create,
            ds.reply_template_update,
            "template_id",
            ds.reply_template_deactivate,
        ),
    ]
}


def _section(request: AuthedRequest, slug: str) -> Section:
    section = SECTIONS.get(slug)
    if section is None:
        raise NotFound("No such settings section.")
    if not request.user.has_perm(section.perm):
        raise PermissionDenied("Your role may not change the service settings.")
    return section


def _tabs(request: AuthedRequest, current: str) -> list[dict[str, Any]]:
    return [
        {"slug": s.slug, "label": s.label, "active": s.slug == current}
        for s in SECTIONS.values()
        if request.user.has_perm(s.perm)
    ]


def _errors_into(form: forms.Form, exc: ValidationError) -> None:
    """The service's field errors on the form's fields (others above the form)."""
    for name, messages_ in exc.message_dict.items():
        target = name if name in form.fields else None
        for message in messages_:
            form.add_error(target, message)


def _row(section: Section, request: AuthedRequest, pk: int) -> Any:
    row = section.rows(user=request.user).filter(pk=pk).first()
    if row is None:
        raise NotFound(f"No such {section.noun}.")
    return row


def settings_index(request: AuthedRequest) -> HttpResponse:
    """The first settings section the user may change."""
    tabs = _tabs(request, "")
    if not tabs:
        raise PermissionDenied("Your role may not change the service settings.")
    return redirect("service:settings_list", section=tabs[0]["slug"])


def settings_list(request: AuthedRequest, section: str) -> HttpResponse:
    current = _section(request, section)
    return render(
        request,
        "service/settings/list.html",
        {
            "section": current,
            "tabs": _tabs(request, section),
            "rows": current.rows(user=request.user),
        },
    )


def _extras(request: AuthedRequest, section: Section, row: Any) -> dict[str, Any]:
    if row is None:
        return {}
    if section.slug == "queues":
        return {"members": row.memberships.select_related("user"), "member_form": MemberForm()}
    if section.slug == "calendars":
        return {"holidays": row.holidays.order_by("date"), "holiday_form": HolidayForm()}
    return {}


def settings_edit(request: AuthedRequest, section: str, pk: int | None = None) -> HttpResponse:
    current = _section(request, section)
    row = _row(current, request, pk) if pk is not None else None
    form_class: Any = current.form
    status = 200
    if request.method == "POST":
        form = form_class(request.POST)
        if form.is_valid():
            try:
                if row is None:
                    saved = current.create(actor=request.user, fields=form.to_fields())
                else:
                    saved = current.update(
                        actor=request.user, fields=form.to_fields(), **{current.id_arg: row.pk}
                    )
            except ValidationError as exc:
                _errors_into(form, exc)
            else:
                messages.success(request, f"Saved {current.noun} “{saved}”.")
                if row is None and current.slug in ("queues", "calendars"):
                    # members and holidays are added on the edit page
                    return redirect("service:settings_edit", section=current.slug, pk=saved.pk)
                return redirect("service:settings_list", section=current.slug)
        status = 422
    elif row is not None:
        form = form_class(initial=form_class.initial_from(current.fields_of(row)))
    else:
        form = form_class()
    context = {
        "section": current,
        "tabs": _tabs(request, section),
        "row": row,
        "form": form,
        "time_zones": ds.time_zone_choices() if current.slug == "calendars" else (),
        **_extras(request, current, row),
    }
    return render(request, "service/settings/edit.html", context, status=status)


@require_POST
def settings_deactivate(request: AuthedRequest, section: str, pk: int) -> HttpResponse:
    current = _section(request, section)
    if current.deactivate is None:
        raise NotFound("This setting cannot be deactivated.")
    try:
        row = current.deactivate(actor=request.user, **{current.id_arg: pk})
    except ValidationError as exc:
        messages.error(request, " ".join(m for ms in exc.message_dict.values() for m in ms))
    else:
        messages.success(request, f"Deactivated {current.noun} “{row}”.")
    return redirect("service:settings_list", section=current.slug)


@require_POST
def queue_member_save(request: AuthedRequest, pk: int) -> HttpResponse:
    """Add an agent to the queue or change one's skills and active flag (htmx: the members)."""
    _section(request, "queues")
    queue = selectors.settings_queue(user=request.user, queue_id=pk)
    form = MemberForm(request.POST)
    status = 200
    if form.is_valid():
        data = form.cleaned_data
        try:
            ds.queue_member_save(
                actor=request.user,
                queue_id=queue.pk,
                user_id=data["user_id"],
                skills=[s.strip() for s in data["skills"].split(",")],
                active=data["active"],
            )
        except ValidationError as exc:
            _errors_into(form, exc)
            status = 422
        else:
            form = MemberForm()
    else:
        status = 422
    if not request.htmx:
        if status == 200:
            messages.success(request, "Members saved.")
        else:
            messages.error(request, "Pick an active agent.")
        return redirect("service:settings_edit", section="queues", pk=queue.pk)
    # htmx swaps only 2xx answers: the errors come back in the fragment
    context = {
        "row": queue,
        "members": queue.memberships.select_related("user"),
        "member_form": form,
    }
    return render(request, "service/settings/_members.html", context)


def _holidays(
    request: AuthedRequest, calendar: Any, form: HolidayForm, status: int
) -> HttpResponse:
    if not request.htmx:
        if status == 200:
            messages.success(request, "Holidays saved.")
        else:
            messages.error(request, " ".join(str(m) for ms in form.errors.values() for m in ms))
        return redirect("service:settings_edit", section="calendars", pk=calendar.pk)
    context = {
        "row": calendar,
        "holidays": calendar.holidays.order_by("date"),
        "holiday_form": form,
    }
    return render(request, "service/settings/_holidays.html", context)


def _calendar(request: AuthedRequest, pk: int) -> Any:
    return _row(_section(request, "calendars"), request, pk)


@require_POST
def holiday_add(request: AuthedRequest, pk: int) -> HttpResponse:
    calendar = _calendar(request, pk)
    form = HolidayForm(request.POST)
    if not form.is_valid():
        return _holidays(request, calendar, form, 422)
    try:
        ds.holiday_add(actor=request.user, calendar_id=calendar.pk, **form.cleaned_data)
    except ValidationError as exc:
        _errors_into(form, exc)
        return _holidays(request, calendar, form, 422)
    return _holidays(request, calendar, HolidayForm(), 200)


@require_POST
def holiday_remove(request: AuthedRequest, pk: int, holiday_id: int) -> HttpResponse:
    calendar = _calendar(request, pk)
    ds.holiday_remove(actor=request.user, calendar_id=calendar.pk, holiday_id=holiday_id)
    return _holidays(request, calendar, HolidayForm(), 200)
