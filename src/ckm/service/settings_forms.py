"""Forms of the service settings pages. They parse what a manager types (comma lists, opening
hours as "09:00-12:00, 13:00-17:00"); the services check the rules and write."""

from __future__ import annotations

import re
from typing import Any

from django import forms

from ckm.core.models import Office, Team, User
from ckm.core.roles import roles_with
from ckm.customers.models import Product
from ckm.service.models import BusinessCalendar, CaseKind, CasePriority, Queue, ReplyTemplate
from ckm.service.services.desk_settings import (
    WEEKDAYS,
    CalendarFields,
    QueueFields,
    ReplyTemplateFields,
    SlaPolicyFields,
)

_SPAN = re.compile(r"^\s*(\d{1,2}:\d{2})\s*[-–]\s*(\d{1,2}:\d{2})\s*$")


def _comma_list(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def _users(permission: str = "") -> list[tuple[Any, str]]:
    """Active users (with a role that grants `permission`, when given)."""
    rows = User.objects.filter(is_active=True).order_by("username")
    if permission:
        rows = rows.filter(role__in=roles_with(permission))
    return [(u.pk, f"{u.get_full_name() or u.username} ({u.username})") for u in rows]


class QueueForm(forms.Form):
    name = forms.CharField(max_length=120)
    strategy = forms.ChoiceField(choices=Queue.Strategy.choices)
    rank = forms.IntegerField(min_value=0, max_value=32767, initial=100, help_text="Lower first")
    team_id = forms.TypedChoiceField(
        label="Team", required=False, coerce=int, empty_value=None, choices=()
    )
    kinds = forms.MultipleChoiceField(
        label="Case kinds",
        required=False,
        choices=CaseKind.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: every kind",
    )
    categories = forms.CharField(
        label="Skills (issue categories)",
        required=False,
        help_text="Comma-separated; empty: every category",
    )
    product_families = forms.CharField(
        required=False, help_text="Comma-separated, e.g. cards, loans"
    )
    product_ids = forms.TypedMultipleChoiceField(
        label="Products", required=False, coerce=int, choices=()
    )
    office_ids = forms.TypedMultipleChoiceField(
        label="Offices", required=False, coerce=int, choices=()
    )
    is_default = forms.BooleanField(
        label="Default queue (catches what no rule matches)", required=False
    )
    active = forms.BooleanField(required=False, initial=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team_id"].choices = [("", "— no team —")] + [  # type: ignore[attr-defined]
            (t.pk, t.name) for t in Team.objects.order_by("name")
        ]
        self.fields["product_ids"].choices = [  # type: ignore[attr-defined]
            (p.pk, f"{p.name} ({p.family})") for p in Product.objects.order_by("family", "name")
        ]
        self.fields["office_ids"].choices = [  # type: ignore[attr-defined]
            (o.pk, f"{o.name} ({o.code})") for o in Office.objects.order_by("name")
        ]

    @staticmethod
    def initial_from(fields: QueueFields) -> dict[str, Any]:
        data = dict(vars(fields))
        data.pop("members")
        data["categories"] = ", ".join(fields.categories)
        data["product_families"] = ", ".join(fields.product_families)
        return data

    def to_fields(self) -> QueueFields:
        data = dict(self.cleaned_data)
        data["categories"] = _comma_list(data["categories"])
        data["product_families"] = _comma_list(data["product_families"])
        return QueueFields(**data)


class MemberForm(forms.Form):
    user_id = forms.TypedChoiceField(label="Agent", coerce=int, choices=())
    skills = forms.CharField(required=False, help_text="Comma-separated; empty: every category")
    active = forms.BooleanField(required=False, initial=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # the people who work on cases
        self.fields["user_id"].choices = _users("service.change_case")  # type: ignore[attr-defined]


class SlaPolicyForm(forms.Form):
    name = forms.CharField(max_length=120)
    kind = forms.ChoiceField(required=False, choices=[("", "Any kind"), *CaseKind.choices])
    priority = forms.ChoiceField(
        required=False, choices=[("", "Any priority"), *CasePriority.choices]
    )
    first_response_hours = forms.FloatField(help_text="Business hours")
    resolution_hours = forms.FloatField(help_text="Business hours")
    warn_at_percent = forms.IntegerField(label="Warn at %", initial=80)
    escalate_at_percent = forms.IntegerField(label="Escalate at %", initial=95)
    calendar_id = forms.TypedChoiceField(
        label="Calendar", required=False, coerce=int, empty_value=None, choices=()
    )
    escalate_to_id = forms.TypedChoiceField(
        label="Escalate to",
        required=False,
        coerce=int,
        empty_value=None,
        choices=(),
        help_text="Empty: the queue's team manager",
    )
    active = forms.BooleanField(required=False, initial=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["calendar_id"].choices = [  # type: ignore[attr-defined]
            ("", "— the default calendar —"),
            *((c.pk, c.name) for c in BusinessCalendar.objects.order_by("name")),
        ]
        self.fields["escalate_to_id"].choices = [  # type: ignore[attr-defined]
            ("", "— the team manager —"),
            *_users(),
        ]

    @staticmethod
    def initial_from(fields: SlaPolicyFields) -> dict[str, Any]:
        return dict(vars(fields))

    def to_fields(self) -> SlaPolicyFields:
        return SlaPolicyFields(**self.cleaned_data)


class CalendarForm(forms.Form):
    name = forms.CharField(max_length=120)
    time_zone = forms.CharField(
        max_length=60,
        initial="Europe/Berlin",
        widget=forms.TextInput(attrs={"list": "time-zones", "autocomplete": "off"}),
    )
    is_default = forms.BooleanField(label="Default calendar", required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for day, label in enumerate(WEEKDAYS):
            self.fields[f"hours_{day}"] = forms.CharField(
                label=label,
                required=False,
                max_length=200,
                widget=forms.TextInput(attrs={"placeholder": "closed"}),
            )

    @staticmethod
    def initial_from(fields: CalendarFields) -> dict[str, Any]:
        data: dict[str, Any] = {
            "name": fields.name,
            "time_zone": fields.time_zone,
            "is_default": fields.is_default,
        }
        for day in range(7):
            spans = fields.hours.get(str(day), [])
            data[f"hours_{day}"] = ", ".join(f"{a}-{b}" for a, b in spans)
        return data

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        hours: dict[str, list[list[str]]] = {}
        for day in range(7):
            text = data.get(f"hours_{day}") or ""
            spans = []
            for part in _comma_list(text):
                match = _SPAN.match(part)
                if match is None:
                    self.add_error(f"hours_{day}", "Write spans as 09:00-17:00, comma-separated.")
                    break
                spans.append([t.zfill(5) for t in match.groups()])
            hours[str(day)] = spans
        data["hours"] = hours
        return data

    def to_fields(self) -> CalendarFields:
        data = self.cleaned_data
        return CalendarFields(
            name=data["name"],
            time_zone=data["time_zone"].strip(),
            hours=data["hours"],
            is_default=data["is_default"],
        )


class HolidayForm(forms.Form):
    date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    name = forms.CharField(required=False, max_length=120)


class ReplyTemplateForm(forms.Form):
    name = forms.CharField(max_length=120)
    code = forms.SlugField(max_length=60, help_text="Letters, digits and hyphens")
    purpose = forms.ChoiceField(choices=ReplyTemplate.Purpose.choices)
    kind = forms.ChoiceField(required=False, choices=[("", "Any kind"), *CaseKind.choices])
    subject = forms.CharField(max_length=255)
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text="Placeholders: {reference}, {name}, {subject}, {agent}, {product}, {resolution}",
    )
    active = forms.BooleanField(required=False, initial=True)

    @staticmethod
    def initial_from(fields: ReplyTemplateFields) -> dict[str, Any]:
        return dict(vars(fields))

    def to_fields(self) -> ReplyTemplateFields:
        return ReplyTemplateFields(**self.cleaned_data)
