"""Forms of the campaign pages: the builder, the gate's override, one-click outcomes, import."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django import forms
from django.utils import timezone

from ckm.analytics.models import Segment
from ckm.campaigns.models import Campaign, CampaignMember
from ckm.campaigns.services.planning import CAMPAIGN_FIELDS
from ckm.core.forms import DateInput
from ckm.customers.models import Consent, Product

# every field the service takes except the random seed (kept from the first plan)
BUILDER_FIELDS = [name for name in CAMPAIGN_FIELDS if name != "seed"]


class CampaignForm(forms.ModelForm):
    rule = forms.CharField(
        required=False,
        label="Audience rule",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text='A rule as JSON, e.g. {"match": "all", "conditions": [{"field": '
        '"value:value_decile", "op": "gte", "value": 8}]}',
    )
    consent_purpose = forms.ChoiceField(
        choices=Consent.Purpose.choices, initial=Consent.Purpose.MARKETING
    )

    class Meta:
        model = Campaign
        fields = BUILDER_FIELDS
        widgets = {
            "starts_on": DateInput(),
            "ends_on": DateInput(),
            "description": forms.TextInput(),
        }
        labels = {
            "selection_value": "k, % or threshold",
            "control_share": "Control share (0-0.5)",
            "margin_per_month": "Margin per conversion a month",
            "margin_months": "Margin lasts (months)",
            "discount_rate": "Discount rate (annual)",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        product_field = self.fields["product"]
        segment_field = self.fields["segment"]
        assert isinstance(product_field, forms.ModelChoiceField)
        assert isinstance(segment_field, forms.ModelChoiceField)
        product_field.queryset = Product.objects.filter(is_active=True).order_by("name")
        segment_field.queryset = Segment.objects.filter(is_active=True).order_by("name")
        if not self.is_bound and self.instance.pk is None:
            today = timezone.localdate()
            self.initial.setdefault("starts_on", today)
            self.initial.setdefault("ends_on", today + dt.timedelta(days=30))
        if self.instance.pk and self.instance.rule:
            self.initial["rule"] = json.dumps(self.instance.rule)

    def clean_rule(self) -> dict[str, Any]:
        text = (self.cleaned_data.get("rule") or "").strip()
        if not text:
            return {}
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(f"Not valid JSON: {exc.msg}") from exc
        if not isinstance(value, dict):
            raise forms.ValidationError("A rule is an object with match and conditions.")
        return value

    def service_fields(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in BUILDER_FIELDS}


class LaunchForm(forms.Form):
    override_reason = forms.CharField(
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Reason to launch despite a negative NPV",
    )


class OutcomeForm(forms.Form):
    outcome = forms.ChoiceField(choices=CampaignMember.Outcome.choices[1:])


class ResponsesUploadForm(forms.Form):
    file = forms.FileField(
        help_text="CSV with customer_id, outcome (reached, not_reached, interested, converted, "
        "declined) and optionally occurred_at"
    )
