"""Forms of the service pages: a phone case on the profile, the filters of the case list,
the correction of a classification, replies, assignment, satisfaction."""

from __future__ import annotations

from django import forms

from ckm.customers.models import Product
from ckm.service.models import CaseChannel, CaseKind, CasePriority, CaseStatus, ReplyTemplate

AGENT_CHANNELS = [
    (CaseChannel.PHONE, "Phone"),
    (CaseChannel.BRANCH, "Branch visit"),
    (CaseChannel.LETTER, "Letter"),
    (CaseChannel.EMAIL, "E-mail"),
    (CaseChannel.CHAT, "Chat"),
]


def _products() -> list[tuple[str, str]]:
    return [("", "— not sure (the classifier suggests) —")] + [
        (str(p.pk), p.name) for p in Product.objects.filter(is_active=True).order_by("name")
    ]


class CaseLogForm(forms.Form):
    """A case an agent takes on the phone (or at the branch, from a letter)."""

    channel = forms.ChoiceField(choices=AGENT_CHANNELS, initial=CaseChannel.PHONE)
    kind = forms.ChoiceField(choices=CaseKind.choices, initial=CaseKind.REQUEST)
    priority = forms.ChoiceField(choices=CasePriority.choices, initial=CasePriority.NORMAL)
    product = forms.ChoiceField(required=False, choices=())
    subject = forms.CharField(
        max_length=255, widget=forms.TextInput(attrs={"placeholder": "In a few words"})
    )
    body = forms.CharField(
        label="What the customer said",
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    idempotency_key = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["product"].choices = _products()  # type: ignore[attr-defined]


class CaseFilterForm(forms.Form):
    q = forms.CharField(required=False, label="Search")
    status = forms.ChoiceField(
        required=False,
        choices=[("open", "Open"), ("", "Any status"), *CaseStatus.choices],
        initial="open",
    )
    kind = forms.ChoiceField(required=False, choices=[("", "Any kind"), *CaseKind.choices])
    channel = forms.ChoiceField(required=False, choices=[("", "Any channel"), *CaseChannel.choices])
    queue = forms.IntegerField(required=False)
    mine = forms.BooleanField(required=False, label="Only mine")
    breached = forms.BooleanField(required=False, label="Past a target")
    unknown = forms.BooleanField(required=False, label="Unknown contact")
    unassigned = forms.BooleanField(required=False, label="Waiting for an agent")
    order = forms.ChoiceField(
        required=False,
        label="Order",
        choices=[("due", "Next SLA target first"), ("newest", "Newest first")],
    )


class CorrectForm(forms.Form):
    product = forms.ChoiceField(required=False, choices=())
    category = forms.CharField(required=False, max_length=120)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["product"].choices = _products()  # type: ignore[attr-defined]


REPLY_BODY_MAX = 20_000  # a reply's text, and what an inserted answer may make it


class ReplyForm(forms.Form):
    template = forms.ModelChoiceField(
        required=False,
        queryset=ReplyTemplate.objects.filter(active=True),
        empty_label="— free text —",
    )
    body = forms.CharField(
        label="Reply", required=False, max_length=REPLY_BODY_MAX, widget=forms.Textarea({"rows": 4})
    )
    internal = forms.BooleanField(required=False, label="Internal note (not sent)")


class TransitionForm(forms.Form):
    to_status = forms.ChoiceField(choices=CaseStatus.choices)
    note = forms.CharField(required=False, max_length=1000)
    resolution = forms.CharField(required=False, max_length=10_000)
    answer = forms.CharField(label="Answer", required=False, max_length=20_000)


SATISFACTION_COMMENT_MAX = 500  # the case's satisfaction_comment


class SatisfactionForm(forms.Form):
    score = forms.IntegerField(min_value=1, max_value=5)
    comment = forms.CharField(required=False, max_length=SATISFACTION_COMMENT_MAX)
