"""Forms of the analytics pages: training, alert rules, value settings, retention alerts and the
segment builder's conditions."""

from __future__ import annotations

import json
from typing import Any

from django import forms

from ckm.analytics.models import Alert, AlertRule
from ckm.core.http import int_param
from ckm.customers.models import Product


class TrainForm(forms.Form):
    kind = forms.ChoiceField(
        choices=[("churn", "Churn risk"), ("propensity", "Propensity for a product")]
    )
    product = forms.ModelChoiceField(
        queryset=Product.objects.order_by("family", "name"),
        required=False,
        help_text="For a propensity model",
    )
    label = forms.CharField(
        required=False,
        max_length=60,
        help_text="Outcome label to learn (e.g. churned); empty: the default target",
    )
    horizon_days = forms.IntegerField(
        required=False,
        min_value=0,
        max_value=730,
        help_text="Days between features and outcome; empty: default",
    )
    auto_promote = forms.BooleanField(
        required=False,
        initial=False,
        help_text="Make it active if it ranks as well as the active one",
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("kind") == "propensity" and not data.get("product"):
            self.add_error("product", "Choose the product the model predicts.")
        return data


class AlertRuleForm(forms.Form):
    name = forms.CharField(max_length=120)
    kind = forms.ChoiceField(choices=AlertRule.Kind.choices)
    is_active = forms.BooleanField(required=False, initial=True, label="Active")
    cooldown_days = forms.IntegerField(
        min_value=0, max_value=365, initial=30, label="Do not repeat within (days)"
    )
    family = forms.CharField(
        required=False,
        max_length=60,
        help_text="Product family (balance drop, product closed); empty: all",
    )
    days = forms.IntegerField(
        required=False, min_value=1, max_value=365, help_text="Window or age in days"
    )
    drop_pct = forms.FloatField(required=False, min_value=0, max_value=100, label="Drop (%)")
    min_balance = forms.FloatField(
        required=False, min_value=0, help_text="Balance drop: only balances above this"
    )
    channel = forms.CharField(
        required=False, max_length=20, help_text="Contact drop: channel (web = logins)"
    )
    min_before = forms.FloatField(
        required=False, min_value=0, label="Contacts a month before, at least"
    )
    use_contacts = forms.BooleanField(
        required=False, label="Also escalated contacts count as complaints"
    )
    slot = forms.ChoiceField(
        required=False,
        label="Model",
        help_text="Score threshold: the model whose score is watched",
        error_messages={"invalid_choice": "No such model; choose one from the list."},
    )
    min_value = forms.FloatField(
        required=False, min_value=0, max_value=1, label="Score at least (0-1)"
    )
    min_decile = forms.IntegerField(
        required=False, min_value=0, max_value=10, label="Decile at least"
    )
    definition = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Custom: a segment definition (JSON)",
    )

    PARAMS = [
        "family",
        "days",
        "drop_pct",
        "min_balance",
        "channel",
        "min_before",
        "use_contacts",
        "slot",
        "min_value",
        "min_decile",
        "definition",
    ]

    def __init__(
        self, *args: Any, slots: list[tuple[str, str]] | None = None, **kwargs: Any
    ) -> None:
        """`slots`: the registry's models as (slot, title as the pages show it)."""
        super().__init__(*args, **kwargs)
        choices = [("", "---------"), *(slots or [])]
        # a rule saved with a slot the registry does not (or no longer) hold still shows it
        current = str(self.initial.get("slot") or "")
        if current and current not in {value for value, _ in choices}:
            choices.append((current, f"{current} (no such model)"))
        field = self.fields["slot"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = choices

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind, slot = data.get("kind"), data.get("slot")
        if kind == AlertRule.Kind.SCORE_THRESHOLD and not slot and "slot" not in self.errors:
            self.add_error("slot", "Choose the model whose score is watched.")
        return data

    def params(self) -> dict[str, Any]:
        data = self.cleaned_data
        params: dict[str, Any] = {}
        for name in self.PARAMS:
            value = data.get(name)
            if value in (None, "") and name not in ("use_contacts",):
                continue
            if name == "definition":
                try:
                    value = json.loads(str(value))
                except ValueError:
                    self.add_error("definition", "Not valid JSON.")
                    continue
            params[name] = value
        return params

    @classmethod
    def initial_for(cls, rule: AlertRule) -> dict[str, Any]:
        initial: dict[str, Any] = {
            "name": rule.name,
            "kind": rule.kind,
            "is_active": rule.is_active,
            "cooldown_days": rule.cooldown_days,
        }
        for name, value in (rule.params or {}).items():
            initial[name] = json.dumps(value) if name == "definition" else value
        return initial


class ValueSettingsForm(forms.Form):
    interaction_costs = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text='Cost of a contact per channel, JSON: {"phone": 4, "branch": 12}',
    )
    case_costs = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text='Cost of a case per kind, JSON: {"complaint": 45}',
    )
    transaction_rates = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text='Share of |amount| earned per transaction kind, JSON: {"card": 0.008}',
    )
    purchase_kinds = forms.CharField(
        required=False,
        max_length=500,
        help_text="Transaction kinds that count as purchases for CLV, comma-separated; empty: all",
    )
    clv_horizon_weeks = forms.IntegerField(min_value=1, max_value=520)
    discount_rate = forms.FloatField(min_value=0, max_value=0.99, help_text="Annual, e.g. 0.08")
    currency = forms.CharField(max_length=3)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name in ("interaction_costs", "case_costs", "transaction_rates"):
            raw = data.get(name) or "{}"
            try:
                data[name] = json.loads(raw)
            except ValueError:
                self.add_error(name, "Not valid JSON.")
        data["purchase_kinds"] = [
            k.strip() for k in (data.get("purchase_kinds") or "").split(",") if k.strip()
        ]
        return data


class AlertStatusForm(forms.Form):
    status = forms.ChoiceField(choices=Alert.Status.choices)
    note = forms.CharField(required=False, max_length=500)


class SegmentForm(forms.Form):
    name = forms.CharField(max_length=120)
    description = forms.CharField(required=False, max_length=500)
    match = forms.ChoiceField(
        choices=[("all", "all conditions"), ("any", "any condition")],
        initial="all",
        label="Customers who meet",
    )


def conditions_from_post(data: Any) -> list[dict[str, Any]]:
    """The builder's condition rows (field_N, op_N, value_N) as a list of conditions."""
    indexes = sorted(
        {
            index
            for k in data
            if k.startswith("field_") and (index := int_param(k.split("_", 1)[1])) is not None
        }
    )
    conditions = []
    for index in indexes:
        field = data.get(f"field_{index}", "").strip()
        if not field:
            continue
        value: Any = data.get(f"value_{index}", "")
        if isinstance(value, str):
            value = value.strip()
        conditions.append({"field": field, "op": data.get(f"op_{index}", "eq"), "value": value})
    return conditions
