"""The one short form that logs a contact on the profile."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone

from ckm.core.forms import DateTimeInput
from ckm.interactions.models import OUTCOMES, Direction
from ckm.interactions.services import CHANNELS_FOR_LOGGING


class InteractionForm(forms.Form):
    channel = forms.ChoiceField(
        choices=[(c.value, c.label) for c in CHANNELS_FOR_LOGGING], initial="phone"
    )
    direction = forms.ChoiceField(choices=Direction.choices, initial=Direction.INBOUND)
    subject = forms.CharField(
        max_length=255,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "What was it about?"}),
    )
    text = forms.CharField(
        label="Notes",
        required=False,  # a subject alone will do ("No answer"); the service wants one of them
        widget=forms.Textarea(
            attrs={
                "rows": 3,
                "placeholder": "What the customer said, what you did, what was agreed",
            }
        ),
    )
    outcome = forms.ChoiceField(
        required=False,
        choices=[("", "—"), *OUTCOMES],
    )
    occurred_at = forms.DateTimeField(
        required=False,
        label="When (if not now)",
        widget=DateTimeInput(),
    )
    idempotency_key = forms.CharField(required=False, widget=forms.HiddenInput)

    def clean_occurred_at(self) -> object:
        value = self.cleaned_data.get("occurred_at")
        if value and value > timezone.now() + dt.timedelta(minutes=5):
            raise forms.ValidationError("A contact cannot be in the future.")
        return value
