"""Forms of the desk pages."""

from __future__ import annotations

from django import forms

from ckm.core.models import Office, Team, User
from ckm.customers.models import Customer


class CustomerFilterForm(forms.Form):
    q = forms.CharField(required=False, label="Name, e-mail, phone or id")
    kind = forms.ChoiceField(required=False, choices=[("", "Any kind"), *Customer.Kind.choices])
    status = forms.ChoiceField(
        required=False, choices=[("", "Any status"), *Customer.Status.choices]
    )
    owner = forms.ModelChoiceField(
        required=False,
        queryset=User.objects.filter(role__in=["relationship_manager", "manager"]),
        empty_label="Any owner",
    )
    team = forms.ModelChoiceField(
        required=False, queryset=Team.objects.all(), empty_label="Any team"
    )
    office = forms.ModelChoiceField(
        required=False, queryset=Office.objects.all(), empty_label="Any office"
    )
    mine = forms.BooleanField(required=False, label="Only my customers")
