"""Forms of the desk pages."""

from __future__ import annotations

from typing import Any

from django import forms

from ckm.core.http import int_param
from ckm.core.models import Office, Team, User
from ckm.customers.models import Customer
from ckm.customers.selectors import customer_filter_options


class CustomerFilterForm(forms.Form):
    q = forms.CharField(required=False, label="Name, e-mail, phone or id")
    kind = forms.ChoiceField(required=False, choices=[("", "Any kind"), *Customer.Kind.choices])
    status = forms.ChoiceField(
        required=False, choices=[("", "Any status"), *Customer.Status.choices]
    )
    owner = forms.ModelChoiceField(
        required=False, queryset=User.objects.none(), empty_label="Any owner"
    )
    team = forms.ModelChoiceField(
        required=False, queryset=Team.objects.none(), empty_label="Any team"
    )
    office = forms.ModelChoiceField(
        required=False, queryset=Office.objects.none(), empty_label="Any office"
    )
    mine = forms.BooleanField(required=False, label="Only my customers")

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # offer only the owners, teams and offices of customers this user may see
        current = self.data if self.is_bound else {}
        options = customer_filter_options(
            user=user,
            owner_id=int_param(current.get("owner")),
            team_id=int_param(current.get("team")),
            office_id=int_param(current.get("office")),
        )
        self.fields["owner"].queryset = options.owners  # type: ignore[attr-defined]
        self.fields["team"].queryset = options.teams  # type: ignore[attr-defined]
        self.fields["office"].queryset = options.offices  # type: ignore[attr-defined]
