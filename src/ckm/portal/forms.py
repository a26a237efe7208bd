"""The portal's contact form: validated fields with clear errors and a honeypot for bots."""

from __future__ import annotations

from typing import Any

from django import forms

# what the customer writes about: the case kinds of the service desk (a complaint has its own
# queue, SLA and acknowledgement)
KINDS = [
    ("request", "A question or a request"),
    ("complaint", "A complaint"),
    ("idea", "An idea or a suggestion"),
]


class ContactForm(forms.Form):
    kind = forms.ChoiceField(
        label="What is it about?",
        choices=KINDS,
        initial="request",
        required=False,  # not chosen: a question
        widget=forms.RadioSelect,
    )
    subject = forms.CharField(
        max_length=200,
        min_length=3,
        error_messages={
            "required": "Give your message a subject.",
            "min_length": "Make the subject a little longer (at least 3 characters).",
            "max_length": "Keep the subject under 200 characters.",
        },
    )
    message = forms.CharField(
        max_length=5000,
        min_length=10,
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={
            "required": "Write your question.",
            "min_length": "Tell us a little more (at least 10 characters).",
            "max_length": "Keep your message under 5000 characters.",
        },
    )
    name = forms.CharField(max_length=150, required=False, label="Your name")
    email = forms.EmailField(
        label="Your e-mail address",
        required=False,
        error_messages={"invalid": "Enter an e-mail address like name@example.com."},
    )
    # a honeypot: hidden from people (CSS and aria-hidden), filled in by bots
    website = forms.CharField(
        required=False,
        label="Leave this empty",
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )
    # set once the customer has seen the articles that might answer the question
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, email_required: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.email_required = email_required
        if email_required:
            self.fields["email"].help_text = "We answer by e-mail."

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if str(data.get("website") or "").strip():
            # a bot filled in the hidden field: say nothing that helps it
            raise forms.ValidationError("This message could not be sent.")
        return data

    def clean_kind(self) -> str:
        return str(self.cleaned_data.get("kind") or "request")

    def clean_email(self) -> str:
        value = str(self.cleaned_data.get("email") or "").strip()
        if self.email_required and not value:
            raise forms.ValidationError("Give your e-mail address so that we can answer you.")
        return value
