"""Forms of the customer pages."""

from __future__ import annotations

from django import forms

from ckm.core.forms import DateInput
from ckm.core.models import Role, Team, User
from ckm.customers.models import Consent, Customer, PersonalFact


class CustomerForm(forms.ModelForm):
    email = forms.EmailField(required=False, label="E-mail")
    phone = forms.CharField(required=False, max_length=40, label="Phone")

    class Meta:
        model = Customer
        fields = [
            "kind",
            "first_name",
            "last_name",
            "name",
            "date_of_birth",
            "status",
            "address",
            "postcode",
            "city",
            "country",
        ]
        widgets = {"date_of_birth": DateInput()}
        labels = {"name": "Organisation name"}

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if data.get("kind") == Customer.Kind.PERSON and not data.get("last_name"):
            self.add_error("last_name", "A person needs a last name.")
        if data.get("kind") == Customer.Kind.ORGANISATION and not data.get("name"):
            self.add_error("name", "An organisation needs a name.")
        return data


class PersonalFactForm(forms.ModelForm):
    class Meta:
        model = PersonalFact
        fields = ["kind", "label", "value", "date", "recurring"]
        widgets = {
            "date": DateInput(),
            "label": forms.TextInput(
                attrs={"placeholder": "e.g. Wife's name, Wedding anniversary"}
            ),
            "value": forms.TextInput(attrs={"placeholder": "e.g. Maria; likes calls after 5 pm"}),
        }


class ConsentForm(forms.Form):
    purpose = forms.ChoiceField(choices=Consent.Purpose.choices)
    channel = forms.ChoiceField(choices=Consent.Channel.choices)
    granted = forms.TypedChoiceField(
        choices=[("1", "Granted"), ("0", "Withdrawn")], coerce=lambda v: v == "1"
    )


class ReassignForm(forms.Form):
    owner = forms.ModelChoiceField(
        queryset=User.objects.filter(
            role__in=[Role.RELATIONSHIP_MANAGER, Role.MANAGER], is_active=True
        ),
        required=False,
        empty_label="No owner (pool)",
    )
    team = forms.ModelChoiceField(
        queryset=Team.objects.all(), required=False, empty_label="The owner's team"
    )
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        label="Handover note",
        help_text="What the new owner must know: open promises, family, preferences, history.",
    )
