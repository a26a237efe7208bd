"""The portal's contact form."""

from __future__ import annotations

from django import forms


class ContactForm(forms.Form):
    subject = forms.CharField(max_length=200)
    message = forms.CharField(max_length=5000, widget=forms.Textarea(attrs={"rows": 6}))
    name = forms.CharField(max_length=150, required=False, label="Your name")
    email = forms.EmailField(label="Your e-mail address", required=False)
    # set once the customer has seen the articles that might answer the question
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)
